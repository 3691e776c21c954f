"""`cora manifest generate|check` (also `python -m manifest_gen generate|check`).

Exit codes: 0 everything matches (or was written), 1 drift found by `check`, 2 usage or input
error (one line per problem on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cora_constructs.assembly.reader import APPS as APP_KINDS
from cora_constructs.assembly.reader import read_cloud_assembly, synthesized_apps
from cora_constructs.assembly.synth import ensure_cloud_assembly, find_project_root, synthesize
from manifest_gen.drift import Problem, find_drift
from manifest_gen.errors import ManifestGenError
from manifest_gen.generated import REGENERATE_COMMAND, GeneratedFile
from manifest_gen.model import MANIFEST_PATH, ProductionLambda
from manifest_gen.outputs import expected_files
from manifest_gen.workflows import coverage_guard_paths
from manifest_gen.writer import apply_plan, plan_generation, read_project_files

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_ERROR = 2


def main(argv: list[str] | None = None, *, prog: str = "cora manifest") -> int:
    """Run ``generate`` or ``check`` with ``argv`` (default: the process arguments)."""
    parser = _parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse has printed the usage error or the help
        return stop.code if isinstance(stop.code, int) else EXIT_ERROR
    try:
        if args.command == "generate":
            return _generate(args)
        return _check(args, prog)
    except ManifestGenError as error:
        for problem in error.problems:
            print(f"{prog}: error: {problem}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as error:
        print(f"{prog}: error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Generate or check the Lambda workflow manifest and GitHub Actions workflows "
        "from the synthesized CDK app.",
        epilog=f"examples:\n  {prog} generate\n  {prog} check --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{generate,check}")
    generate = commands.add_parser(
        "generate",
        help="write the manifest and workflows (only the files that change)",
        description="Write the manifest and the deploy workflows from the synthesized app; only "
        "generated (marked) files are ever written or deleted.",
        epilog=f"examples:\n  {prog} generate\n  {prog} generate --cdk-out cdk.out",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check = commands.add_parser(
        "check",
        help="exit 1 and list every difference between the app and the committed files",
        description="Compare the committed manifest and workflows with what the app generates; a "
        "hand-written workflow that deploys a Lambda is a finding too. Exit 1 on any difference.",
        epilog=f"examples:\n  {prog} check\n  {prog} check --json --cdk-out cdk.out",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for sub in (generate, check):
        sub.add_argument(
            "--cdk-out",
            type=Path,
            metavar="DIR",
            help="read this cloud assembly instead of synthesizing (default: <project>/cdk.out, "
            "synthesized first when missing or older than the sources)",
        )
        sub.add_argument(
            "--project-root",
            type=Path,
            metavar="DIR",
            help="the project to write or check (default: the nearest folder up holding cdk.json)",
        )
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def _load(args: argparse.Namespace) -> tuple[Path, tuple[ProductionLambda, ...], tuple[GeneratedFile, ...]]:
    project_root: Path = args.project_root.resolve() if args.project_root else find_project_root()
    if not project_root.is_dir():
        raise ManifestGenError(f"project root {project_root} is not a folder")
    cdk_out = ensure_cloud_assembly(project_root, args.cdk_out)
    missing = _apps_missing_from(cdk_out)
    if missing and args.cdk_out is None:
        # The default cdk.out holds a one-app synth (`cdk synth -c app=stack`): judging the
        # manifest by it would drop the other app's Lambdas, so synthesize both apps first.
        print(f"cdk.out holds no {' or '.join(missing)} app: synthesizing both apps…", file=sys.stderr)
        synthesize(project_root)
        missing = _apps_missing_from(cdk_out)
    if missing:
        raise ManifestGenError(
            f"{cdk_out} was synthesized without the {' and '.join(missing)} app (-c app=...), but "
            f"{MANIFEST_PATH} and the deploy workflows cover both apps: synthesize both apps "
            "(`cora synth`, or `cdk synth` without -c app) and run again"
        )
    lambdas = read_cloud_assembly(cdk_out)
    guarded = coverage_guard_paths(
        lambda pattern: next(project_root.glob(pattern.removesuffix("/**")), None) is not None
    )
    return project_root, lambdas, expected_files(lambdas, guarded)


def _apps_missing_from(cdk_out: Path) -> list[str]:
    """The apps (stack, infra) the synth that wrote ``cdk_out`` did not build, when it recorded
    them: a one-app assembly is never read as the whole app, or the manifest would lose the
    other app's Lambdas (and a first `generate` after `cdk synth -c app=stack` would omit them)."""
    built = synthesized_apps(cdk_out)
    if built is None:
        return []
    return sorted(app for app in APP_KINDS if app not in built)


def _generate(args: argparse.Namespace) -> int:
    project_root, lambdas, expected = _load(args)
    plan = plan_generation(expected, read_project_files(project_root, expected))
    apply_plan(project_root, plan)
    for file in plan.writes:
        print(f"wrote {file.path}")
    for path in plan.deletes:
        print(f"deleted {path}")
    print(
        f"{len(lambdas)} Lambdas: {len(plan.writes)} files written, {len(plan.deletes)} deleted, "
        f"{len(plan.unchanged)} unchanged"
    )
    return EXIT_OK


def _check(args: argparse.Namespace, prog: str) -> int:
    project_root, lambdas, expected = _load(args)
    problems = find_drift(lambdas, expected, read_project_files(project_root, expected))
    if args.json:
        report = {
            "ok": not problems,
            "lambdas": len(lambdas),
            "generated_files": len(expected),
            "problems": [problem.as_dict() for problem in problems],
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(_text_report(problems, len(lambdas), len(expected), prog))
    return EXIT_DRIFT if problems else EXIT_OK


def _text_report(problems: list[Problem], lambdas: int, files: int, prog: str) -> str:
    if not problems:
        return f"{prog} check: OK: {lambdas} Lambdas, {files} generated files match the app"
    lines = [f"{prog} check: {len(problems)} problem(s) ({lambdas} Lambdas, {files} generated files):"]
    for problem in problems:
        lines.append(f"- [{problem.kind}] {problem.message}")
        if problem.diff:
            lines.extend(f"    {line}" for line in problem.diff.rstrip("\n").split("\n"))
    lines.append(f"Run `{REGENERATE_COMMAND}` and commit the result.")
    return "\n".join(lines)
