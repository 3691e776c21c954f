"""A stand-in for `npx --no-install cdk synth --quiet` in the end-to-end tests.

It "synthesizes" the project in the working folder the way the reference app discovers its
Lambdas (``packages/module-*/backend/lambdas/*/lambda_function.py`` and ``lambdas/authorizer``),
writes the cloud assembly into ``cdk.out`` with the test builder, and logs each call to
``$FAKE_NPX_LOG``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.manifest_gen.conftest import SyntheticLambda, route, write_cloud_assembly


def main(argv: list[str]) -> int:
    with Path(os.environ["FAKE_NPX_LOG"]).open("a", encoding="utf-8") as log:
        log.write(" ".join(argv) + "\n")
    if argv != ["--no-install", "cdk", "synth", "--quiet"]:
        print(f"fake npx: unexpected arguments {argv}", file=sys.stderr)
        return 64
    root = Path.cwd()
    lambdas = []
    for handler in sorted(root.glob("packages/module-*/backend/lambdas/*/lambda_function.py")):
        module = handler.parents[3].name.removeprefix("module-")
        text = handler.read_text(encoding="utf-8")
        routes = tuple(
            route(line.split()[1], line.split()[2], "documented")
            for line in text.splitlines()
            if line.startswith("- ") and len(line.split()) >= 3
        )
        lambdas.append(SyntheticLambda(module, handler.parent.name, routes))
    if (root / "lambdas/authorizer/lambda_function.py").is_file():
        lambdas.append(SyntheticLambda("authorizer", "authorizer", app="infra", layers=()))
    out = root / "cdk.out"
    if out.exists():
        for path in out.iterdir():
            path.unlink()
    write_cloud_assembly(out, lambdas)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
