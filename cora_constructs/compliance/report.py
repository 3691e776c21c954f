"""Render a compliance report: the text `cora check` prints, its JSON, and the report files
(``cora-compliance-report.json`` and ``.csv``) written into ``cdk.out`` like cdk-nag's."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from cora_constructs.compliance.engine import ComplianceReport
from cora_constructs.compliance.model import Finding, Status

REPORT_NAME = "cora-compliance-report"
CSV_COLUMNS = (
    "Rule ID", "Stack", "Resource Path", "Logical ID", "Compliance", "Location", "Message", "Fix",
    "Acknowledged Reason",
)  # fmt: skip


def _sort_key(finding: Finding) -> tuple[str, str, str]:
    return (finding.stack, finding.path, finding.rule_id)


def as_json(report: ComplianceReport, *, compliant: bool = False) -> dict[str, object]:
    """The report as JSON data; ``compliant`` adds the compliant verdicts (the report file does)."""
    shown = [f for f in report.findings if compliant or f.status is not Status.COMPLIANT]
    return {
        "passed": report.passed,
        "summary": {
            "stacks": report.stacks,
            "findings": len(report.failures),
            "could_not_be_validated": len(report.unvalidated),
            "acknowledged": len(report.acknowledged),
            "framework_functions": len(report.framework_functions),
        },
        "rules": [{"id": r.id, "reason": r.reason, "fix": r.fix} for r in report.rules],
        "findings": [f.as_dict() for f in sorted(shown, key=_sort_key)],
        "framework_functions": [
            fn.as_dict() for fn in sorted(report.framework_functions, key=lambda fn: (fn.stack, fn.path))
        ],
    }


def as_csv(report: ComplianceReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in sorted(report.findings, key=_sort_key):
        writer.writerow(
            (f.rule_id, f.stack, f.path, f.logical_id, f.compliance, f.location, f.message, f.fix,
             f.acknowledged or "")
        )  # fmt: skip
    return out.getvalue()


def write_report_files(report: ComplianceReport, directory: Path | None = None) -> list[Path]:
    """Write the JSON and CSV reports into ``directory`` (default: the assembly); a file whose
    bytes would not change is left alone, and each is replaced whole, never half-written."""
    target = directory or report.directory
    contents = {
        target / f"{REPORT_NAME}.json": json.dumps(as_json(report, compliant=True), indent=2) + "\n",
        target / f"{REPORT_NAME}.csv": as_csv(report),
    }
    written = []
    for path, text in contents.items():
        data = text.encode("utf-8")
        try:
            if path.read_bytes() == data:
                written.append(path)
                continue
        except OSError:
            pass
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_bytes(data)
        partial.replace(path)
        written.append(path)
    return written


def render_text(report: ComplianceReport) -> str:
    """What `cora check` prints: every failing finding with what is wrong and the fix, then what
    could not be validated, what is acknowledged, and the framework functions."""
    lines: list[str] = []
    for title, findings in (
        ("", report.failures),
        ("could not be validated", report.unvalidated),
        ("acknowledged", report.acknowledged),
    ):
        if not findings:
            continue
        if title:
            lines.append(f"-- {title} ({len(findings)}) --")
        for f in sorted(findings, key=_sort_key):
            lines.append(f"{f.rule_id}  {f.stack}  {f.path}")
            lines.append(f"    wrong: {f.message}")
            if f.acknowledged is not None:
                lines.append(f"    acknowledged on {f.acknowledged_at}: {f.acknowledged}")
            else:
                lines.append(f"    fix:   {f.fix}")
    if report.framework_functions:
        lines.append(
            f"-- framework functions, not held to the production rules ({len(report.framework_functions)}) --"
        )
        for fn in sorted(report.framework_functions, key=lambda fn: (fn.stack, fn.path)):
            lines.append(f"{fn.stack}  {fn.path}  {fn.kind} ({fn.evidence})")
    failures = len(report.failures)
    verdict = "no findings" if not failures else f"{failures} finding{'s' if failures != 1 else ''}"
    lines.append(
        f"cora check: {verdict} in {report.stacks} stack{'s' if report.stacks != 1 else ''}"
        f" ({len(report.unvalidated)} could not be validated, {len(report.acknowledged)} acknowledged,"
        f" {len(report.framework_functions)} framework functions)"
    )
    return "\n".join(lines)
