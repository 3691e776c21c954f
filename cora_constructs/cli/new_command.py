"""``cora new lambda MODULE NAME [--route "GET /path"]...``: the seed's "New Lambda Process" as
one command.

The module's folders when the module is new, the Lambda's folder with a handler on the
runtime's router (the routes in its docstring), a unit test that calls it with a payload 2.0
event, then the manifest and the deploy workflows regenerated (`--no-generate` skips that).
Everything is validated before a file is written; a refusal exits 2 with one line per reason.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from cora_constructs.assembly.errors import ToolError
from cora_constructs.assembly.synth import CDK_JSON, find_project_root
from cora_constructs.scaffold.new_lambda import LambdaPlan, NewLambdaError, plan_new_lambda

EXIT_OK, EXIT_ERROR = 0, 2

EPILOG = """examples:
  cora new lambda billing invoice-api --route "GET /invoices" --route "GET /invoices/{invoice_id}"
  cora new lambda billing invoice-api --route "POST /invoices - Create an invoice"
  cora new lambda status health --route "GET /health - Probe [public: uptime check]"
  cora new lambda jobs nightly-digest          # no routes: a scheduled or queue worker
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``new`` (``new lambda``) on the ``cora`` command's subparsers."""
    new: argparse.ArgumentParser = subparsers.add_parser(
        "new",
        help="add a Lambda to the project: folders, handler, test, workflows",
        description="Add something to the project. `cora new lambda --help` for the options.",
        epilog='example:\n  cora new lambda billing invoice-api --route "GET /invoices"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kinds = new.add_subparsers(dest="kind", required=True, metavar="{lambda}")
    parser: argparse.ArgumentParser = kinds.add_parser(
        "lambda",
        help="a new Lambda (and its module when new)",
        description="Add Lambda NAME to module MODULE: the module's folders when new, "
        "packages/module-MODULE/backend/lambdas/NAME/lambda_function.py on the runtime's router "
        "with the routes in its docstring, a unit test in packages/module-MODULE/backend/tests/, "
        "then `cora manifest generate` (synthesizes the app). Nothing is written when a name, "
        "a folder or a route is refused (exit 2).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("module", metavar="MODULE", help="the module (folder packages/module-MODULE)")
    parser.add_argument("name", metavar="NAME", help="the Lambda (folder .../lambdas/NAME)")
    parser.add_argument(
        "--route",
        action="append",
        default=[],
        metavar='"METHOD /path[ - description][ [public: reason]]"',
        help="a route of the Lambda, as its docstring line (repeat for more)",
    )
    parser.add_argument(
        "--no-generate",
        action="store_true",
        help="do not synthesize and regenerate the workflows (run `cora manifest generate` later)",
    )
    parser.add_argument(
        "--project-root", type=Path, help="the folder holding cdk.json (default: found from cwd)"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    root = args.project_root.resolve() if args.project_root else find_project_root()
    context = _context(root)
    try:
        plan = plan_new_lambda(root, args.module, args.name, args.route, context)
    except NewLambdaError as error:
        for problem in error.problems:
            print(f"cora new lambda: error: {problem}", file=sys.stderr)
        return EXIT_ERROR
    write_files(root, plan.files)
    _report(plan)
    if args.no_generate:
        print("Skipped the workflows (--no-generate): run `cora manifest generate` and commit the result.")
        return EXIT_OK
    from manifest_gen.cli import main as manifest_main

    print("Regenerating the manifest and the deploy workflows (cora manifest generate)…", file=sys.stderr)
    code = manifest_main(["generate", "--project-root", str(root)])
    if code != 0:
        print(
            "cora new lambda: error: the Lambda's files are written, but the workflows were not "
            "regenerated (see above): fix the problem, then run `cora manifest generate`",
            file=sys.stderr,
        )
        return EXIT_ERROR
    test = next((path for path in plan.files if "/tests/" in path), "")
    print(f"Next: `pytest {test}`, then commit the new files and the regenerated workflows.")
    return EXIT_OK


def _context(root: Path) -> dict[str, object]:
    path = root / CDK_JSON
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ToolError(f"cannot read {path}: {error}") from error
    context = document.get("context") if isinstance(document, dict) else None
    return dict(context) if isinstance(context, dict) else {}


def write_files(root: Path, files: dict[str, str]) -> None:
    """Create every file (none exists yet), each written to a temporary file then renamed; on a
    failure the files and folders made so far are removed."""
    made: list[Path] = []
    folders: list[Path] = []
    try:
        for relative, content in files.items():
            target = root / relative
            folders += [p for p in (target.parent, *target.parent.parents) if not p.exists()]
            target.parent.mkdir(parents=True, exist_ok=True)
            descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                stream.write(content)
            Path(name).chmod(0o644)
            Path(name).replace(target)
            made.append(target)
    except OSError as error:
        for path in made:
            path.unlink(missing_ok=True)
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            _remove_empty(folder)
        raise ToolError(f"cannot write {error.filename or 'a file'}: {error.strerror}") from error


def _remove_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


def _report(plan: LambdaPlan) -> None:
    what = f"module {plan.module} (new, {plan.module_folder}/) and " if plan.module_is_new else ""
    print(f"cora new lambda: added {what}Lambda {plan.name}:")
    for path in plan.files:
        print(f"  {path}")
    if plan.routes:
        print(f"  routes: {', '.join(route.key for route in plan.routes)}")
    else:
        print("  no routes: a plain handler for a schedule, a queue or another trigger")
