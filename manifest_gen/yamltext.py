"""A small deterministic YAML writer for GitHub Actions workflows.

It renders a tree of dicts (key order kept), lists and scalars in the block style GitHub's own
examples use. Strings stay plain when YAML would read them back as the same string and are
single-quoted otherwise; multi-line strings become literal blocks (``|``). It is a writer for
our own models, not a general YAML library: anything it cannot render faithfully is a
ValueError, and the tests load every rendered file back with PyYAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True, slots=True)
class Block:
    """A multi-line string rendered as a literal block scalar (``run: |``)."""

    text: str


@dataclass(frozen=True, slots=True)
class Commented:
    """A string scalar followed by a trailing comment, e.g. a pinned action and its version."""

    value: str
    comment: str


YamlNode: TypeAlias = "str | int | bool | Block | Commented | dict[str, YamlNode] | list[YamlNode] | None"

INDENT = 2
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# Plain only when the first character cannot start another YAML token or a number, and nothing
# inside can end the scalar (": ", " #") or be a control character.
_PLAIN = re.compile(r"^[A-Za-z_./$(][A-Za-z0-9_./${}()*=,@+'\"~ -]*$")
_RESERVED = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN|\.[0-9_].*)$"
)


def render_yaml(document: dict[str, YamlNode], *, header: str) -> str:
    """The YAML text of ``document``, starting with ``header`` as a comment line."""
    if "\n" in header:
        raise ValueError("the header comment must be one line")
    lines = [f"# {header}"]
    _mapping(document, 0, lines)
    return "\n".join(lines) + "\n"


def scalar(value: str | int | bool | Commented) -> str:
    """One scalar as YAML text."""
    if isinstance(value, Commented):
        if "\n" in value.comment:
            raise ValueError("a trailing comment must be one line")
        return f"{scalar(value.value)} # {value.comment}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if any(ch in value for ch in "\n\r\t") or not value.isprintable():
        raise ValueError(f"cannot render {value!r} as a one-line YAML scalar; use Block")
    if _PLAIN.match(value) and not _RESERVED.match(value) and value[-1] != " " and value != "=":
        return value
    return "'" + value.replace("'", "''") + "'"


def _key(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"unsupported YAML key {key!r}")
    return key


def _mapping(mapping: dict[str, YamlNode], indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for key, value in mapping.items():
        _entry(f"{pad}{_key(key)}:", value, indent, lines)


def _entry(prefix: str, value: YamlNode, indent: int, lines: list[str]) -> None:
    """Render ``value`` after ``prefix`` (``key:`` at column ``indent``)."""
    if isinstance(value, dict):
        if value:
            lines.append(prefix)
            _mapping(value, indent + INDENT, lines)
        else:
            lines.append(f"{prefix} {{}}")
    elif isinstance(value, list):
        if value:
            lines.append(prefix)
            _sequence(value, indent + INDENT, lines)
        else:
            lines.append(f"{prefix} []")
    elif isinstance(value, Block):
        lines.append(f"{prefix} |")
        lines.extend(_block_lines(value.text, indent + INDENT))
    elif value is None:
        lines.append(prefix)
    else:
        lines.append(f"{prefix} {scalar(value)}")


def _sequence(items: list[YamlNode], indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, dict) and item:
            for position, (key, value) in enumerate(item.items()):
                lead = "- " if position == 0 else " " * INDENT
                _entry(f"{pad}{lead}{_key(key)}:", value, indent + INDENT, lines)
        elif isinstance(item, Block):
            lines.append(f"{pad}- |")
            lines.extend(_block_lines(item.text, indent + INDENT))
        elif isinstance(item, dict | list) or item is None:
            raise ValueError(f"unsupported sequence item {item!r}")
        else:
            lines.append(f"{pad}- {scalar(item)}")


def _block_lines(text: str, indent: int) -> list[str]:
    body = text.rstrip("\n").split("\n")
    if not body[0] or body[0][0] == " ":
        raise ValueError("a literal block must start with a non-blank, unindented line")
    out: list[str] = []
    for line in body:
        if line != line.rstrip() or "\t" in line or not line.isprintable():
            raise ValueError(f"literal block line {line!r} has trailing blanks or control characters")
        out.append(" " * indent + line if line else "")
    return out
