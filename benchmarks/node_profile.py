"""Where the CDK's Node process spends a synth: StandardLambda app against raw CDK, per build.

Run: ``.venv/bin/python benchmarks/node_profile.py [--functions 18] [--builds 9] [--skip 3]``.

jsii runs the CDK in a Node process (the kernel, started by a small launcher process). Each
variant of ``bench_synth.py`` (``standard``, ``raw``) is built ``--builds`` times in a fresh
Python process whose Node runs with V8's sampling profiler (``--cpu-prof``, through
``JSII_NODE``). Each build's start and end are recorded on the monotonic clock, which V8's
sample timestamps also use, so only the samples of the builds after the first ``--skip`` (the
process's first builds load modules and compile) are counted. Printed: the self time per build
by source file and by function, both variants side by side, largest differences first.

``read`` (the kernel waiting on its stdin) is the time Node waits for Python: Python's own work
and its jsii marshalling. ``(garbage collector)`` is V8's.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("standard", "raw")
_MARKS = "marks.json"


def self_times(
    profile: Mapping[str, Any], windows: Sequence[tuple[int, int]]
) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Milliseconds of self time by source file and by (function, file) of the samples of a V8
    ``.cpuprofile`` whose timestamps (microseconds) fall in one of ``windows``."""
    nodes = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    by_file: Counter[str] = Counter()
    by_function: Counter[tuple[str, str]] = Counter()
    now = profile["startTime"]
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        now += delta
        if not any(start <= now <= end for start, end in windows):
            continue
        frame = nodes[sample]
        where = short_url(frame["url"])
        by_file[where] += delta / 1000
        by_function[(frame["functionName"] or "(anonymous)", where)] += delta / 1000
    return by_file, by_function


def short_url(url: str) -> str:
    """A source file as it reads in aws-cdk-lib (``core/lib/private/resolve.js``), a package
    (``yaml/dist/...``), the jsii kernel, or Node's own (``node:internal/...``, ``""``)."""
    if "/aws-cdk-lib/" in url:
        return url.split("/aws-cdk-lib/")[-1]
    if "node_modules/" in url:
        return url.split("node_modules/")[-1]
    if url.startswith("file://") and url.endswith("/lib/program.js"):
        return "(jsii kernel)"
    return url


def side_by_side(
    left: Mapping[Any, float], right: Mapping[Any, float], builds: int, top: int
) -> list[tuple[str, float, float]]:
    """(name, left ms per build, right ms per build), largest differences first, then the
    largest opposite differences; ``top`` of each."""
    rows = [
        (
            " ".join(key) if isinstance(key, tuple) else str(key),
            left.get(key, 0.0) / builds,
            right.get(key, 0.0) / builds,
        )
        for key in set(left) | set(right)
    ]
    rows.sort(key=lambda row: row[1] - row[2], reverse=True)
    return rows[:top] + [row for row in rows[top:][-top:] if row[1] < row[2]]


def build_and_mark(variant: str, functions: int, builds: int, marks: Path) -> list[float]:
    """Build ``variant`` ``builds`` times in this process (its Node already profiled), writing
    each build's monotonic (start, end) in microseconds to ``marks``; the builds' seconds."""
    sys.path.insert(0, str(ROOT))
    from benchmarks import bench_synth
    from benchmarks.synthetic_project import write_project

    build = dict(bench_synth.VARIANTS)[variant]
    work = Path(tempfile.mkdtemp(prefix="cora-node-profile-"))
    project = write_project(work / "project", functions)
    windows, seconds = [], []
    for index in range(builds):
        bench_synth.clear_content_caches()
        start, wall = time.monotonic_ns() // 1000, time.perf_counter()
        build(project, work / f"out-{index}")
        seconds.append(time.perf_counter() - wall)
        windows.append((start, time.monotonic_ns() // 1000))
    marks.write_text(json.dumps(windows))
    return seconds


def profile_variant(variant: str, functions: int, builds: int, folder: Path) -> list[float]:
    """Run :func:`build_and_mark` in a fresh process whose Node writes CPU profiles to ``folder``."""
    launcher = folder / "node"
    launcher.write_text(
        f'#!/bin/sh\nexec node --cpu-prof --cpu-prof-interval 250 --cpu-prof-dir="{folder}" "$@"\n'
    )
    launcher.chmod(launcher.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "JSII_NODE": str(launcher), "CDK_VALIDATION": "false"}
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    command = [sys.executable, __file__, "--functions", str(functions), "--builds", str(builds)]
    out = subprocess.run(
        [*command, "--one", variant, "--marks", str(folder / _MARKS)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [float(s) for s in json.loads(out.strip().splitlines()[-1])]


def kernel_profile(folder: Path) -> dict[str, Any]:
    """The kernel's profile: the largest of the folder's (the launcher's is a few KB)."""
    profiles = sorted(folder.glob("*.cpuprofile"), key=lambda path: path.stat().st_size)
    if not profiles:
        raise SystemExit(f"no .cpuprofile written in {folder}: did Node start with --cpu-prof?")
    return json.loads(profiles[-1].read_text())  # type: ignore[no-any-return]


def print_rows(title: str, rows: Iterable[tuple[str, float, float]]) -> None:
    print(f"\n{title:<70} {'standard':>9} {'raw':>9} {'diff':>8}")
    for name, left, right in rows:
        print(f"{name[:70]:<70} {left:9.2f} {right:9.2f} {left - right:+8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--functions", type=int, default=18)
    parser.add_argument("--builds", type=int, default=9)
    parser.add_argument("--skip", type=int, default=3, help="first builds of each process not counted")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--one", choices=VARIANTS, help=argparse.SUPPRESS)  # a profiled process
    parser.add_argument("--marks", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(build_and_mark(args.one, args.functions, args.builds, args.marks)))
        return
    if args.skip >= args.builds:
        parser.error(f"--skip {args.skip} leaves no build of --builds {args.builds} to count")
    counted = args.builds - args.skip
    results = {}
    with tempfile.TemporaryDirectory(prefix="cora-node-profile-") as scratch:
        for variant in VARIANTS:
            folder = Path(scratch) / variant
            folder.mkdir()
            seconds = profile_variant(variant, args.functions, args.builds, folder)
            windows = [(start, end) for start, end in json.loads((folder / _MARKS).read_text())][args.skip :]
            results[variant] = (seconds, self_times(kernel_profile(folder), windows))
    for variant, (seconds, (by_file, _)) in results.items():
        builds = ", ".join(f"{s * 1000:.0f}" for s in seconds)
        node = sum(by_file.values()) / counted
        print(f"{variant}: builds (ms, profiled) {builds}; Node per counted build {node:.1f} ms")
    (_, (std_files, std_functions)), (_, (raw_files, raw_functions)) = results["standard"], results["raw"]
    print_rows("self ms per build, by file", side_by_side(std_files, raw_files, counted, args.top))
    print_rows(
        "self ms per build, by function", side_by_side(std_functions, raw_functions, counted, args.top)
    )


if __name__ == "__main__":
    main()
