"""The CORA rule pack's Python on a large cloud assembly: what ``cdk synth`` pays for the pack
besides CDK's own validation machinery in Node.

Synthesizes once (not timed) the stack app of the synthetic project (``synthetic_project.py``,
``--functions`` Lambdas, 10 per module, built with ``CoraApp`` as ``bench_synth.py``'s
``standard`` variant), then times what the validation plugin runs on that ``cdk.out``:
``check_templates(...)`` on every template plus ``write_report_files``, several rounds, and the
same work split in three: loading the templates and manifests, running the rules, writing the
report files. Each round writes the report files into a fresh folder (the bytes are always
written, as in a first synth); ``--unchanged`` writes into ``cdk.out`` instead, where the files
already hold the same bytes. Nothing asserts.

    .venv/bin/python benchmarks/bench_pack.py [--functions 200] [--rounds 15] [--work DIR]
        [--profile FILE] [--synths N] [--json]

``--work DIR`` keeps the synthetic project and its assembly in DIR and reuses them on the next
run (the synth takes several seconds); ``--profile FILE`` writes a cProfile of the rounds into
FILE and prints its 25 costliest functions; ``--synths N`` also times the pack where it runs,
inside N more synths of the app (``CoraChecks.validate``, wall clock: the process then holds the
whole construct tree, which Python's garbage collector walks on every full collection).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_VALIDATION", "false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cora_constructs.assembly.reader import stack_artifacts  # noqa: E402
from cora_constructs.compliance import engine  # noqa: E402
from cora_constructs.compliance.assembly import load_templates  # noqa: E402
from cora_constructs.compliance.engine import check_templates, run  # noqa: E402
from cora_constructs.compliance.report import write_report_files  # noqa: E402

# The engine's own pause of the garbage collector (none before it had one: then the split runs
# with the collector on, as check_templates did).
_paused: Callable[[], contextlib.AbstractContextManager[None]] = getattr(
    engine, "collector_paused", contextlib.nullcontext
)


def synthesize(functions: int, work: Path) -> tuple[Path, Path]:
    """(project, cdk.out) of the synthetic project, synthesized unless ``work`` already holds it."""
    project = work / f"project-{functions}"
    cdk_out = work / f"cdk.out-{functions}"
    if (cdk_out / "manifest.json").is_file():
        return project, cdk_out
    from benchmarks.bench_synth import standard
    from benchmarks.synthetic_project import write_project

    write_project(project, functions)
    start = time.perf_counter()
    standard(project, cdk_out)
    print(f"synthesized {functions} functions in {time.perf_counter() - start:.1f} s (not timed)")
    return project, cdk_out


def template_files(cdk_out: Path) -> list[Path]:
    """The templates the validation plugin receives: every stack of the assembly, manifest order."""
    manifest = json.loads((cdk_out / "manifest.json").read_text(encoding="utf-8"))
    stacks, _, problems = stack_artifacts(manifest, cdk_out)
    if problems:
        raise SystemExit(f"the benchmark assembly is broken: {problems}")
    return [stack.template_file for stack in stacks]


def _ms(action: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action(*args)
    return (time.perf_counter() - start) * 1000, result


def measure(templates: list[Path], project: Path, out: Path, rounds: int, unchanged: bool) -> dict[str, Any]:
    figures: dict[str, list[float]] = {"total": [], "load": [], "rules": [], "report": []}
    for _ in range(rounds):
        target = out if unchanged else Path(tempfile.mkdtemp(prefix="bench-pack-report-"))
        try:
            # What the plugin runs: check_templates, then the report files.
            whole, report = _ms(check_templates, templates, project)
            written, _ = _ms(write_report_files, report, target)
            figures["total"].append(whole + written)
            # The same, split: load, rules, report (into a fresh folder again), the collector
            # paused as check_templates pauses it.
            with _paused():
                load, assembly = _ms(load_templates, templates, project)
                rules, split = _ms(run, assembly)
                del assembly
            if not unchanged:
                for file in target.iterdir():
                    file.unlink()
            report_ms, _ = _ms(write_report_files, split, target)
            figures["load"].append(load)
            figures["rules"].append(rules)
            figures["report"].append(report_ms)
        finally:
            if not unchanged:
                shutil.rmtree(target, ignore_errors=True)
    return {
        name: {"best_ms": round(min(values), 1), "median_ms": round(statistics.median(values), 1)}
        for name, values in figures.items()
    }


def in_synth(functions: int, work: Path, synths: int) -> dict[str, float]:
    """Wall ms of the pack inside ``synths`` synths of the same app (``CoraChecks.validate``:
    check_templates, the report files, the violations handed back to Node), where the process
    also holds the construct tree the garbage collector walks."""
    from benchmarks.bench_synth import clear_content_caches, standard
    from benchmarks.synthetic_project import write_project
    from cora_constructs.compliance import plugin

    times: list[float] = []
    validate = plugin.CoraChecks.validate

    def timed(self: plugin.CoraChecks, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return validate(self, context)
        finally:
            times.append((time.perf_counter() - start) * 1000)

    project = write_project(work / f"project-synth-{functions}", functions)
    plugin.CoraChecks.validate = timed  # type: ignore[method-assign]
    try:
        for round_ in range(synths):
            clear_content_caches()
            standard(project, work / f"cdk.out-synth-{functions}-{round_}")
    finally:
        plugin.CoraChecks.validate = validate  # type: ignore[method-assign]
    return {"best_ms": round(min(times), 1), "median_ms": round(statistics.median(times), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--work", type=Path, help="keep (and reuse) the project and its assembly here")
    parser.add_argument(
        "--unchanged", action="store_true", help="report into cdk.out: same bytes, not rewritten"
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of the rounds here")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--synths", type=int, default=0, help="also time the pack inside this many synths of the app"
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="cora-bench-pack-"))
    work.mkdir(parents=True, exist_ok=True)
    project, cdk_out = synthesize(args.functions, work)
    templates = template_files(cdk_out)
    size = sum(path.stat().st_size for path in templates)
    report = check_templates(templates, project)
    write_report_files(report, cdk_out)  # warms the file cache; --unchanged compares with these
    summary = {
        "functions": args.functions,
        "templates": len(templates),
        "template_mb": round(size / 1e6, 2),
        "findings": len(report.findings),
        "failures": len(report.failures),
        "rounds": args.rounds,
    }
    if args.profile:
        profiler = cProfile.Profile()
        figures = profiler.runcall(measure, templates, project, cdk_out, args.rounds, args.unchanged)
        profiler.dump_stats(str(args.profile))
    else:
        figures = measure(templates, project, cdk_out, args.rounds, args.unchanged)
    if args.synths:
        figures["in_synth"] = in_synth(args.functions, work, args.synths)
    if args.json:
        print(json.dumps({**summary, "figures": figures}, indent=2))
    else:
        print(
            f"{args.functions} functions, {len(templates)} templates ({size / 1e6:.1f} MB), "
            f"{len(report.findings)} verdicts, {len(report.failures)} failing; {args.rounds} rounds"
        )
        for name, label in (
            ("total", "check_templates + report files"),
            ("load", "  load (templates, manifests)"),
            ("rules", "  rules"),
            ("report", "  report files"),
            ("in_synth", "in synth (CoraChecks.validate)"),
        ):
            if name not in figures:
                continue
            best, median = figures[name]["best_ms"], figures[name]["median_ms"]
            print(f"{label:<32} best {best:7.1f} ms  median {median:7.1f} ms")
    if args.profile:
        pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
