"""Reading pip requirements files: one parser for the layers and the functions (no CDK import)."""

from __future__ import annotations

import re

_NAME = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
_COMMENT = re.compile(r"(^|\s)#.*$")


def normalise_distribution(name: str) -> str:
    """PEP 503 normalisation: lower case, runs of ``-``, ``_`` and ``.`` as one ``-``."""
    out: list[str] = []
    for char in name.lower():
        if char in "-_.":
            if not out or out[-1] != "-":
                out.append("-")
        else:
            out.append(char)
    return "".join(out)


def requirement_lines(text: str) -> list[tuple[int, str]]:
    """Logical lines of a requirements file: ``\\`` continuations joined, comments and blank
    lines dropped, each with its first line number."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        pending.append(raw)
        line = _COMMENT.sub("", " ".join(pending)).strip()
        pending = []
        if line:
            out.append((start, line))
    if pending:
        line = _COMMENT.sub("", " ".join(pending)).strip()
        if line:
            out.append((start, line))
    return out


def requirement_name(line: str) -> str | None:
    """The normalised distribution name of a requirement line, None for options, URLs, paths."""
    if line.startswith("-") or ("://" in line and " @ " not in line and "@" not in line.split()[0]):
        return None
    match = _NAME.match(line)
    return normalise_distribution(match.group(1)) if match else None
