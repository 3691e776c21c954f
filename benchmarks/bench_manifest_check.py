"""`cora manifest check` on an existing cdk.out of 200 functions: goal 0.3 s or less.

Builds a synthetic 200-function cloud assembly (the test builder, in the CDK side's contract,
over 12 module stacks, 3 routes each), generates into a temporary project, then times `check`
in-process and as `python -m manifest_gen check --cdk-out ...` (interpreter start included).
Prints seconds and the ratio to the goal. Not a pytest test.

    .venv/bin/python benchmarks/bench_manifest_check.py [--functions 200] [--repeat 15]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from manifest_gen.cli import main  # noqa: E402
from tests.manifest_gen.conftest import make_project, many_lambdas, write_cloud_assembly  # noqa: E402

GOAL_SECONDS = 0.3


def _time(action: Callable[[], int], repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        code = action()
        timings.append(time.perf_counter() - start)
        if code != 0:
            raise SystemExit(f"check exited {code}: the benchmark project is not clean")
    return timings


def _report(label: str, timings: list[float]) -> None:
    median = statistics.median(timings)
    print(
        f"{label:<34} median {median:.3f} s  min {min(timings):.3f} s  max {max(timings):.3f} s  "
        f"ratio to the {GOAL_SECONDS} s goal {median / GOAL_SECONDS:.2f}"
    )


def run(functions: int, modules: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-manifest-") as temporary:
        folder = Path(temporary)
        cdk_out = write_cloud_assembly(folder / "cdk.out", many_lambdas(functions, modules))
        project = make_project(folder / "project")
        args = ["--cdk-out", str(cdk_out), "--project-root", str(project)]
        with contextlib.redirect_stdout(io.StringIO()):
            if main(["generate", *args]) != 0:
                raise SystemExit("generate failed")
        size = sum(path.stat().st_size for path in cdk_out.glob("*.json"))
        files = len(list((project / ".github/workflows").glob("*.yml"))) + 1
        print(
            f"{functions} functions in {modules + 2} stacks ({size / 1e6:.1f} MB of JSON), "
            f"{files} generated files"
        )

        def in_process() -> int:
            with contextlib.redirect_stdout(io.StringIO()):
                return main(["check", *args])

        def subprocess_check() -> int:
            command = [sys.executable, "-m", "manifest_gen", "check", *args]
            return subprocess.run(command, capture_output=True, check=False).returncode

        in_process()  # warm the file system cache
        _report("check, in-process", _time(in_process, repeat))
        _report("python -m manifest_gen check", _time(subprocess_check, repeat))


def main_cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--functions", type=int, default=200)
    parser.add_argument("--modules", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args()
    run(options.functions, options.modules, options.repeat)


if __name__ == "__main__":
    main_cli()
