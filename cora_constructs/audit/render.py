"""Render an audit report: text tables (one row per function and per route, a status per check)
followed by the findings, or one JSON document for CI."""

from __future__ import annotations

import json
from collections.abc import Sequence

from cora_constructs.audit.model import FUNCTION_CHECKS, ROUTE_CHECKS, AuditReport, Check, Status


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[index]) for row in (header, *rows)) for index in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]


def _cell(checks: dict[Check, Status], check: Check) -> str:
    return checks.get(check, Status.NOT_CHECKED).value


def render_text(report: AuditReport, *, target: str) -> str:
    lines: list[str] = []
    if report.functions:
        header = ["FUNCTION", "APP", *(check.value.upper() for check in FUNCTION_CHECKS)]
        rows = [
            [row.function_name, row.app, *(_cell(row.checks, check) for check in FUNCTION_CHECKS)]
            for row in report.functions
        ]
        lines.extend(_table(header, rows))
    if report.routes:
        if lines:
            lines.append("")
        header = ["METHOD", "PATH", "FUNCTION", "AUTH", *(check.value.upper() for check in ROUTE_CHECKS)]
        rows = [
            [
                row.method,
                row.path,
                row.function_name,
                row.auth,
                *(_cell(row.checks, check) for check in ROUTE_CHECKS),
            ]
            for row in report.routes
        ]
        lines.extend(_table(header, rows))
    if report.findings:
        lines.append("")
        lines.append(f"{len(report.findings)} problem(s):")
        for finding in report.findings:
            lines.append(f"{finding.status.value} [{finding.check.value}] {finding.where}")
            lines.append(f"    what: {finding.message}")
            lines.append(f"    fix:  {finding.fix}")
    lines.append("")
    routes = f", {len(report.routes)} route(s)" if report.routes else ""
    verdict = "clean" if report.clean else f"{len(report.findings)} problem(s)"
    lines.append(f"cora audit: {len(report.functions)} function(s){routes} against {target}: {verdict}")
    return "\n".join(lines)


def render_json(report: AuditReport, *, target: str) -> str:
    document = {
        "target": target,
        "clean": report.clean,
        "functions": [
            {
                "function_name": row.function_name,
                "app": row.app,
                "checks": {check.value: _cell(row.checks, check) for check in FUNCTION_CHECKS},
            }
            for row in report.functions
        ],
        "routes": [
            {
                "method": row.method,
                "path": row.path,
                "function_name": row.function_name,
                "auth": row.auth,
                "checks": {check.value: _cell(row.checks, check) for check in ROUTE_CHECKS},
            }
            for row in report.routes
        ],
        "findings": [finding.as_dict() for finding in report.findings],
        "notes": list(report.notes),
    }
    return json.dumps(document, indent=2)
