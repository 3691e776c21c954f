"""Render a compliance report: the text `cora check` prints, its JSON, and the report files
(``cora-compliance-report.json`` and ``.csv``) written into ``cdk.out`` like cdk-nag's."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring_ascii
from pathlib import Path

from cora_constructs.collector import collector_paused
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
    return _json_data(report, sorted(shown, key=_sort_key))


def _json_data(report: ComplianceReport, findings: list[Finding]) -> dict[str, object]:
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
        "findings": [f.as_dict() for f in findings],
        "framework_functions": [
            fn.as_dict() for fn in sorted(report.framework_functions, key=lambda fn: (fn.stack, fn.path))
        ],
    }


def as_csv(report: ComplianceReport) -> str:
    return _csv_text(sorted(report.findings, key=_sort_key))


def _csv_text(findings: list[Finding]) -> str:
    rows = [CSV_COLUMNS] + [
        (f.rule_id, f.stack, f.path, f.logical_id, f.compliance, f.location, f.message, f.fix,
         f.acknowledged or "")
        for f in findings
    ]  # fmt: skip
    special = _csv_special_characters()
    text = _csv_lines(rows, special) if special is not None else None
    if text is None:  # this Python's csv writer quotes differently, or a field is no string
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue()
    return text


def _csv_lines(rows: Iterable[Sequence[object]], special: re.Pattern[str]) -> str | None:
    """Rows of two or more strings as ``csv.writer(lineterminator="\\n")`` writes them (None for
    a field that is no string): a field holding a special character quoted, its quotes doubled.
    The csv module spends most of a report's time scanning long repeated texts (each rule's
    fix); here a field is quoted once."""
    quoted: dict[object, str] = {}
    lines = []
    for row in rows:
        fields = []
        for field in row:
            text = quoted.get(field)
            if text is None:
                if type(field) is not str:
                    return None
                text = quoted[field] = (
                    '"' + field.replace('"', '""') + '"' if special.search(field) else field
                )
            fields.append(text)
        lines.append(",".join(fields) + "\n")
    return "".join(lines)


@functools.cache
def _csv_special_characters() -> re.Pattern[str] | None:
    """The characters that make this Python's csv writer quote a field, found by asking it (it
    compares characters with the dialect's ASCII delimiter, quote and line terminator), or None
    when it does something :func:`_csv_lines` does not (then the csv module writes the report)."""
    special = []
    for code in range(128):
        out = io.StringIO()
        try:
            csv.writer(out, lineterminator="\n").writerow((f"a{chr(code)}", "b"))
        except csv.Error:
            return None
        if out.getvalue() != f"a{chr(code)},b\n":
            if out.getvalue() != '"a' + chr(code).replace('"', '""') + '",b\n':
                return None
            special.append(chr(code))
    return re.compile("[" + re.escape("".join(special)) + "]") if special else None


class _NotPlainError(Exception):
    """A value :func:`indented_json` leaves to the standard library's encoder."""


def indented_json(value: object) -> str:
    """``json.dumps(value, indent=2)``, the same text, for JSON made of dicts with string keys,
    lists, strings, integers, booleans and None (a report): the standard library writes indented
    JSON with its pure-Python encoder, about three times slower. Anything else (floats, other
    keys, other types) goes to ``json.dumps`` itself."""
    chunks: list[str] = []
    try:
        _encode(value, chunks, "\n")
    except (_NotPlainError, RecursionError):  # json.dumps says what is wrong with a cycle
        return json.dumps(value, indent=2)
    return "".join(chunks)


def _encode(value: object, chunks: list[str], newline: str) -> None:
    if isinstance(value, str):
        chunks.append(encode_basestring_ascii(value))
    elif value is None:
        chunks.append("null")
    elif value is True:
        chunks.append("true")
    elif value is False:
        chunks.append("false")
    elif type(value) is int:
        chunks.append(int.__repr__(value))
    elif isinstance(value, dict):
        if not value:
            chunks.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            if not isinstance(key, str):
                raise _NotPlainError
            # Strings and None inline (most values of a report), the rest through _encode.
            if type(item) is str:
                chunks.append(f"{separator}{encode_basestring_ascii(key)}: {encode_basestring_ascii(item)}")
            elif item is None:
                chunks.append(f"{separator}{encode_basestring_ascii(key)}: null")
            else:
                chunks.append(f"{separator}{encode_basestring_ascii(key)}: ")
                _encode(item, chunks, inner)
            separator = "," + inner
        chunks.append(newline + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            chunks.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            chunks.append(separator)
            _encode(item, chunks, inner)
            separator = "," + inner
        chunks.append(newline + "]")
    else:
        raise _NotPlainError


def write_report_files(report: ComplianceReport, directory: Path | None = None) -> list[Path]:
    """Write the JSON and CSV reports into ``directory`` (default: the assembly); a file whose
    bytes would not change is left alone, and each is replaced whole, never half-written."""
    target = directory or report.directory
    with collector_paused():
        findings = sorted(report.findings, key=_sort_key)  # every verdict, in the order of both files
        contents = {
            target / f"{REPORT_NAME}.json": indented_json(_json_data(report, findings)) + "\n",
            target / f"{REPORT_NAME}.csv": _csv_text(findings),
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
