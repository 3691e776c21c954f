"""`cora audit` of 200 functions (600 routes) against moto in server mode: goal a few seconds.

Starts `moto_server` on a free port of 127.0.0.1, deploys a compliant synthetic project (the
test builders of tests/audit) and times the audit in-process with 1 worker and with the default
16, so the effect of the bounded concurrency shows side by side. moto answers one request at a
time per connection on a shared 2-core machine, so the figures are an upper bound of what a
real account costs. Prints seconds and ratios. Not a pytest test.

    .venv/bin/python benchmarks/bench_audit.py [--functions 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cora_constructs.cli.main import main  # noqa: E402
from tests.audit.conftest import AWS_ENV, deploy, free_port, make_audit_project  # noqa: E402
from tests.manifest_gen.conftest import many_lambdas  # noqa: E402

GOAL_SECONDS = 5.0


def _audit(endpoint: str, root: Path, workers: int) -> float:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(
            [
                *("audit", "--json", "--endpoint-url", endpoint, "--region", "us-east-1"),
                *("--project-root", str(root), "--workers", str(workers)),
            ]
        )
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"audit exited {code}: the benchmark deployment is not clean")
    return elapsed


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.update(AWS_ENV)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        with tempfile.TemporaryDirectory() as folder:
            project = make_audit_project(Path(folder) / "project", many_lambdas(args.functions, 12))
            start = time.perf_counter()
            deploy(endpoint, project)
            routes = sum(len(fn.routes) for fn in project.lambdas)
            print(
                f"deployed {args.functions} functions, {routes} routes in {time.perf_counter() - start:.1f} s"
            )
            figures = {}
            for workers in (1, 16):
                timings = [_audit(endpoint, project.root, workers) for _ in range(args.repeat)]
                figures[workers] = statistics.median(timings)
                print(
                    f"cora audit, {workers:>2} worker(s): median {figures[workers]:.2f} s "
                    f"(min {min(timings):.2f}, {args.repeat} runs)"
                )
            print(f"speed-up 16 vs 1 worker: {figures[1] / figures[16]:.1f}x")
            print(f"16 workers vs the goal of {GOAL_SECONDS:.0f} s: {figures[16] / GOAL_SECONDS:.2f}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main_()
