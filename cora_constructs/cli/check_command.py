"""``cora check [CDK_OUT]``: the CORA rule pack on a synthesized cloud assembly.

Reads templates and asset folders as plain JSON and files (no aws_cdk), so it checks any
assembly, whatever built it. Prints every finding at once (rule id, stack, resource path, what
is wrong, the fix) and writes ``cora-compliance-report.json`` / ``.csv`` into the assembly.
Exit codes: 0 no finding, 1 findings, 2 the assembly cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cora_constructs.assembly.errors import ToolError
from cora_constructs.assembly.synth import ensure_cloud_assembly, find_project_root

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
CDK_JSON = "cdk.json"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``check`` on the ``cora`` command's subparsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="check the synthesized app against the CORA standards (exit 1 on findings)",
        description="Check a cloud assembly against the CORA rule pack. Without CDK_OUT the project's "
        "assembly is used, synthesized first when it is missing or stale.",
        epilog="examples:\n  cora check\n  cora check cdk.out --json --no-report",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("cdk_out", nargs="?", type=Path, metavar="CDK_OUT", help="the cloud assembly to read")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument(
        "--project-root",
        type=Path,
        help="where the cora:source folders live (default: the folder holding cdk.json)",
    )
    parser.add_argument(
        "--no-report", action="store_true", help="do not write cora-compliance-report.json/.csv into CDK_OUT"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    from cora_constructs.compliance.engine import check_assembly
    from cora_constructs.compliance.report import as_json, render_text, write_report_files

    try:
        cdk_out, root = _locate(args)
        report = check_assembly(cdk_out, root)
        if not args.no_report:
            write_report_files(report)
    except ToolError as error:
        print(f"cora check: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as error:
        print(f"cora check: error: cannot write the report into {args.cdk_out}: {error}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps(as_json(report), indent=2))
    else:
        print(render_text(report))
    return EXIT_OK if report.passed else EXIT_FINDINGS


def _locate(args: argparse.Namespace) -> tuple[Path, Path | None]:
    """The assembly to read and the project root its ``cora:source`` folders are relative to."""
    root: Path | None = args.project_root.resolve() if args.project_root else None
    if args.cdk_out is not None:
        cdk_out = ensure_cloud_assembly(Path(), args.cdk_out.resolve())
        if root is None and (cdk_out.parent / CDK_JSON).is_file():
            root = cdk_out.parent
        return cdk_out, root
    root = root or find_project_root()
    return ensure_cloud_assembly(root), root
