"""``cora audit``: what is deployed, against the standards, the workflow manifest and cdk.out.

Exit codes: 0 clean, 1 drift found, 2 the audit cannot run (no credentials, endpoint
unreachable, no manifest, unreadable cdk.out), with one line per reason and no traceback.
Read-only: only List/Get calls. Never synthesizes: it reads the cdk.out `cdk deploy` or
`cdk synth` left (``--cdk-out``), and warns when that assembly is older than the sources.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from cora_constructs.assembly.errors import ToolError
from cora_constructs.assembly.model import MANIFEST_PATH
from cora_constructs.assembly.synth import assembly_is_stale, default_cdk_out, find_project_root

EXIT_CLEAN, EXIT_DRIFT = 0, 1
APP_CHOICES = ("stack", "infra", "all")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``audit`` on the ``cora`` subcommands (an ``argparse`` subparsers action)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "audit",
        help="compare what is deployed in AWS with the standards, the manifest and cdk.out",
        description="Audit the deployed functions and HTTP API routes (read-only). Exit 0 clean, "
        "1 drift, 2 the audit cannot run.",
        epilog="examples:\n  cora audit --region eu-west-1\n"
        "  cora audit --function shop-dev-orders-order-api --json\n"
        "  cora audit --endpoint-url http://127.0.0.1:5000   # an emulator",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--region", help="AWS region (default: AWS_REGION or the profile's region)")
    parser.add_argument("--profile", help="AWS named profile (default: the default credential chain)")
    parser.add_argument("--endpoint-url", help="send every AWS call to this endpoint (an emulator)")
    parser.add_argument("--app", choices=APP_CHOICES, default="all", help="audit one app (default: all)")
    parser.add_argument(
        "--function",
        metavar="NAME",
        help="audit only this manifest function and its routes (a deploy workflow's post-deploy step)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    parser.add_argument("--cdk-out", type=Path, help="the cloud assembly to read (default: the project's)")
    parser.add_argument(
        "--manifest", type=Path, help=f"the workflow manifest (default: <project>/{MANIFEST_PATH})"
    )
    parser.add_argument(
        "--project-root", type=Path, help="the folder holding cdk.json (default: found from cwd)"
    )
    parser.add_argument(
        "--workers", type=int, default=16, help="concurrent AWS requests (default: 16, at most 64)"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the audit; print the report on stdout. Problems that stop it are ToolErrors, which
    `cora` (cli.main) prints one line each on stderr with exit 2, as for every command."""
    from cora_constructs.audit.checks import audit
    from cora_constructs.audit.collect import AwsTarget, collect, make_clients
    from cora_constructs.audit.expected import (
        expected_state,
        read_manifest,
        read_project_settings,
        read_template_functions,
    )
    from cora_constructs.audit.model import AuditError
    from cora_constructs.audit.render import render_json, render_text

    started = time.perf_counter()
    workers = max(1, min(int(args.workers), 64))
    root = _project_root(args)
    manifest_path = args.manifest.resolve() if args.manifest else (root or Path.cwd()) / MANIFEST_PATH
    if args.cdk_out is not None:
        cdk_out = args.cdk_out.resolve()
    elif root is not None:
        cdk_out = default_cdk_out(root)
    else:
        raise AuditError("no cdk.out: pass --cdk-out DIR or run from the project (cdk.json)")
    notes: list[str] = []
    if root is not None and args.cdk_out is None and assembly_is_stale(root, cdk_out):
        notes.append(
            f"{cdk_out} is older than the app's sources: the code check compares with what it "
            "would deploy, so run `cdk synth` first for an exact answer"
        )
    settings = read_project_settings(root)
    manifest = read_manifest(manifest_path)
    templates = read_template_functions(cdk_out)
    expected = expected_state(settings, manifest, templates, app=args.app, function=args.function)
    notes.extend(
        f"{fn.function_name} is in the manifest but not in {cdk_out}: its code is not checked "
        "(run `cdk synth`, then `cora manifest check`)"
        for fn in expected.functions
        if not fn.in_assembly
    )
    for note in notes:
        print(f"cora audit: warning: {note}", file=sys.stderr)

    target = AwsTarget(
        region=args.region, profile=args.profile, endpoint_url=args.endpoint_url, workers=workers
    )
    clients = make_clients(target)
    progress = _progress if sys.stderr.isatty() else None
    deployed = collect(expected, clients, workers=workers, progress=progress)
    if progress is not None:
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)
    report = audit(expected, deployed, tuple(notes))
    elapsed = time.perf_counter() - started
    where = f"{clients.where} in {elapsed:.1f} s"
    print(render_json(report, target=clients.where) if args.json else render_text(report, target=where))
    return EXIT_CLEAN if report.clean else EXIT_DRIFT


def _project_root(args: argparse.Namespace) -> Path | None:
    """The project root; None only when --manifest and --cdk-out make it unnecessary."""
    if args.project_root is not None:
        return Path(args.project_root).resolve()
    try:
        return find_project_root()
    except ToolError:
        if args.manifest is not None and args.cdk_out is not None:
            return None
        raise


def _progress(done: int, total: int, name: str) -> None:
    print(f"\r\x1b[Kcora audit: [{done}/{total}] {name}", end="", file=sys.stderr, flush=True)
