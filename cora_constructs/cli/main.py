"""``cora``: create a project, add Lambdas, synthesize the app, print its route table, generate and
check the deploy workflows, diagnose the toolchain.

This module imports no ``aws_cdk``: the app is synthesized by the CDK CLI in a child process
and read back from the cloud assembly, so ``cora routes`` reports what API Gateway will get.
Exit codes: 0 success, 1 a check found problems, 2 bad input or a failed step.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cora_constructs import packaged
from cora_constructs.assembly.api_routes import RouteRow, read_api_routes, route_table
from cora_constructs.assembly.errors import ToolError
from cora_constructs.assembly.model import ProductionLambda
from cora_constructs.assembly.reader import read_cloud_assembly, read_stack_templates
from cora_constructs.assembly.synth import (
    default_cdk_out,
    ensure_cloud_assembly,
    find_project_root,
    synth_command,
    synthesize,
)
from cora_constructs.cli import audit_command, doctor_command, init_command, new_command, serve_command
from cora_constructs.cli.route_table import render_table
from cora_constructs.cli.size_table import function_sizes, render_sizes

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
APPS = ("stack", "infra")


def _prepare_environment() -> None:
    """Let `cdk synth` run this interpreter's ``python3`` (the venv's) and quiet jsii's Node notice."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + path
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["manifest"]:
        from manifest_gen.cli import main as manifest_main

        _prepare_environment()
        return manifest_main(args_list[1:], prog="cora manifest")
    parser = _parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else EXIT_ERROR
    _prepare_environment()
    try:
        if args.command == "synth":
            return _synth(args)
        if args.command == "routes":
            return _routes(args)
        if args.command == "check":
            from cora_constructs.cli import check_command

            return check_command.run(args)
        if args.command == "audit":
            return audit_command.run(args)
        if args.command == "init":
            return init_command.run(args)
        if args.command == "new":
            return new_command.run(args)
        if args.command == "doctor":
            return doctor_command.run(args)
        if args.command == "serve":
            return serve_command.run_serve(args)
        if args.command == "token":
            return serve_command.run_token(args)
    except ToolError as error:
        for problem in error.problems:
            print(f"cora {args.command}: error: {problem}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("cora: interrupted", file=sys.stderr)
        return 130
    parser.print_help(sys.stderr)
    return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cora",
        description="Ship compliant serverless backends: create a project (`cora init`), add Lambdas "
        "(`cora new lambda`), synthesize the CDK app, list its routes, generate and check its deploy "
        "workflows (`cora manifest generate|check`), check the toolchain (`cora doctor`).",
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"cora-constructs {packaged.version()}",
        help="print the version and exit",
    )
    commands = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="{init,new,synth,routes,check,manifest,audit,doctor,serve,token}",
    )
    init_command.add_parser(commands)
    new_command.add_parser(commands)
    synth = commands.add_parser(
        "synth",
        help="synthesize the app(s) with `cdk synth` and summarise them",
        description="Synthesize the infra and stack apps with the project's CDK CLI and summarise them.",
        epilog="examples:\n  cora synth              # both apps\n  cora synth --app stack  # one app",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    synth.add_argument("--app", choices=APPS, help="only this app (default: both)")
    _project_option(synth)
    routes = commands.add_parser(
        "routes",
        help="print the route table of the synthesized app",
        description="The route table of the synthesized app (synthesized first when stale).",
        epilog="examples:\n  cora routes\n  cora routes --json --cdk-out cdk.out",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    routes.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    routes.add_argument("--cdk-out", type=Path, help="read this cloud assembly (never synthesizes)")
    _project_option(routes)
    commands.add_parser(
        "manifest", help="`cora manifest generate|check`: the deploy workflows", add_help=False
    )
    from cora_constructs.cli import check_command

    check_command.add_parser(commands)
    audit_command.add_parser(commands)
    doctor_command.add_parser(commands)
    serve_command.add_parsers(commands)
    return parser


MAIN_EPILOG = """examples:
  cora init shop && cd shop                           # a new project that synthesizes as is
  cora new lambda billing invoice-api --route "GET /invoices"
  cora synth && cora routes                           # build both apps, list the API
  cora manifest generate && cora manifest check       # the deploy workflows, and CI's guard
  cora serve --watch                                  # the API on localhost (token: cora token)
  cora doctor                                         # what is missing on this machine
`cora COMMAND --help` shows each command's options and examples.
"""


def _project_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project-root", type=Path, help="the folder holding cdk.json (default: found from cwd)"
    )


def _synth(args: argparse.Namespace) -> int:
    root = args.project_root.resolve() if args.project_root else find_project_root()
    command = list(synth_command(root))
    if args.app:
        command += ["-c", f"app={args.app}"]
    which = f"the {args.app} app" if args.app else "both apps (stack and infra)"
    print(f"cora synth: synthesizing {which} with `{' '.join(command)}`…", file=sys.stderr, flush=True)
    synthesize(root, command)
    cdk_out = default_cdk_out(root)
    lambdas = read_cloud_assembly(cdk_out)
    rows, _problems = route_table(read_api_routes(cdk_out), lambdas)
    print(_summary(lambdas, rows, cdk_out, root))
    sizes = function_sizes(template for _stack, template in read_stack_templates(cdk_out))
    for line in render_sizes(sizes):
        print(line)
    return EXIT_OK


def _summary(lambdas: Sequence[ProductionLambda], rows: Sequence[RouteRow], cdk_out: Path, root: Path) -> str:
    stacks = sorted({fn.stack for fn in lambdas})
    by_auth: dict[str, int] = {}
    for row in rows:
        by_auth[row.auth] = by_auth.get(row.auth, 0) + 1
    where = cdk_out.relative_to(root) if cdk_out.is_relative_to(root) else cdk_out
    lines = [f"cora synth: wrote {where}/ ({len(stacks)} stacks with Lambdas)"]
    for app in APPS:
        names = [fn.function_name for fn in lambdas if fn.app == app]
        if names:
            lines.append(f"  {app} app: {len(names)} StandardLambda(s): {', '.join(names)}")
    auth = ", ".join(f"{count} {name}" for name, count in sorted(by_auth.items()))
    lines.append(f"  routes: {len(rows)} ({auth or 'none'})")
    return "\n".join(lines)


def _routes(args: argparse.Namespace) -> int:
    if args.cdk_out is not None:
        cdk_out = ensure_cloud_assembly(Path(), args.cdk_out.resolve())
    else:
        root = args.project_root.resolve() if args.project_root else find_project_root()
        cdk_out = ensure_cloud_assembly(root)
    rows, problems = route_table(read_api_routes(cdk_out), read_cloud_assembly(cdk_out))
    if args.json:
        print(json.dumps([row.as_dict() for row in rows], indent=2))
    else:
        print(render_table(rows))
    for problem in problems:
        print(f"cora routes: error: {problem}", file=sys.stderr)
    return EXIT_PROBLEMS if problems else EXIT_OK


__all__ = ["RouteRow", "main"]


if __name__ == "__main__":
    sys.exit(main())
