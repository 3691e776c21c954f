"""`cora serve`: warm request latency through the authorizer and a handler, and start-to-first-answer.

Serves the project's own cloud assembly (``cdk.out``, synthesized first if it is stale) from a
copy of the project whose ``project_service`` handler answers at once (no DynamoDB), so the
figures are `cora serve`'s own cost: routing, event building, the real org authorizer (RS256
verify with the development key) and two worker round trips. Requests go over one keep-alive
connection, as a browser sends them.

- ``GET /health``: public, handler only;
- ``GET /projects``: the org authorizer, then the handler (goal p50 <= 5 ms);
- start to first answer: from starting `cora serve` to the first 200 of ``GET /health``, with
  a warm cache (assembly current, layer bundles cached) (goal < 3 s).

Prints figures, asserts nothing. Not a pytest test.

    .venv/bin/python benchmarks/bench_serve.py [--requests 500] [--starts 3]
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cora_constructs.assembly.synth import ensure_cloud_assembly  # noqa: E402

HANDLER = Path("packages/module-projects/backend/lambdas/project_service/lambda_function.py")
FAST_HANDLER = "def lambda_handler(event, context):\n    return {'ok': True}\n"
GOAL_P50_MS = 5.0
CORA = (sys.executable, "-m", "cora_constructs.cli.main")
GOAL_START_S = 3.0


class Served:
    def __init__(self, root: Path, cdk_out: Path, env: dict[str, str]) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [*CORA, "serve", "--port", "0", "--cdk-out", str(cdk_out), "--project-root", str(root)],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.port = 0
        ready = threading.Event()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                if "listening on http://" in line:
                    self.port = int(line.split("listening on http://", 1)[1].split()[0].rsplit(":", 1)[1])
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(120):
            raise SystemExit("cora serve did not start")

    def first_answer_s(self) -> float:
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.01)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


def latencies(port: int, path: str, headers: dict[str, str], count: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times: list[float] = []
    for index in range(count + 20):
        start = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}")
        if index >= 20:  # the first ones warm the workers and the JWKS cache
            times.append((time.perf_counter() - start) * 1000)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--starts", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    cdk_out = ensure_cloud_assembly(ROOT).resolve()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copy(ROOT / "cdk.json", root / "cdk.json")
        shutil.copytree(ROOT / "packages", root / "packages", ignore=shutil.ignore_patterns("__pycache__"))
        (root / HANDLER).write_text(FAST_HANDLER, encoding="utf-8")
        env = {**os.environ, "CORA_DEV_KEY": str(root / "dev-key.pem")}
        token = subprocess.run(
            [sys.executable, "-m", "cora_constructs.cli.main", "token", "--sub", "bench"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        starts = []
        for _ in range(args.starts):
            served = Served(root, cdk_out, env)
            starts.append(served.first_answer_s())
            served.stop()
        served = Served(root, cdk_out, env)
        try:
            served.first_answer_s()
            public = latencies(served.port, "/health", {}, args.requests)
            org = latencies(served.port, "/projects", {"Authorization": f"Bearer {token}"}, args.requests)
        finally:
            served.stop()
    print(f"cora serve, {args.requests} warm requests each over one keep-alive connection (ms):")
    print(f"{'route':<40} {'p50':>7} {'p95':>7} {'max':>7}")
    for label, values in (("GET /health (public)", public), ("GET /projects (authorizer + handler)", org)):
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        print(f"{label:<40} {p50:7.2f} {p95:7.2f} {max(values):7.2f}")
    p50 = statistics.median(org)
    print(
        f"authorizer + handler p50 {p50:.2f} ms: goal <= {GOAL_P50_MS} ms "
        f"{'ok' if p50 <= GOAL_P50_MS else 'OVER'}"
    )
    first = statistics.median(starts)
    runs = ", ".join(f"{s:.2f}" for s in starts)
    print(
        f"start to first answer (s): median {first:.2f} of {runs}: goal < {GOAL_START_S} s "
        f"{'ok' if first < GOAL_START_S else 'OVER'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
