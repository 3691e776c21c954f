"""The route table (the API tracer) as text: pure rendering of :func:`route_table` rows."""

from __future__ import annotations

from collections.abc import Iterable

from cora_constructs.assembly.api_routes import RouteRow

COLUMNS = ("PROTOCOL", "METHOD", "PATH", "MODULE", "LAMBDA", "AUTH", "DESCRIPTION")
"""A WebSocket route key is in PATH, its METHOD is ``-``."""


def render_table(rows: list[RouteRow]) -> str:
    """A fixed-width text table with a header and a count line."""
    cells = [
        (
            row.protocol,
            "-" if row.protocol == "websocket" else row.method,
            row.path,
            row.module,
            row.lambda_name,
            row.auth_label,
            row.description,
        )
        for row in rows
    ]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(COLUMNS)]

    def line(values: Iterable[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [line(COLUMNS), line("-" * w for w in widths)]
    out += [line(c) for c in cells]
    public = sum(1 for row in rows if row.auth == "public")
    websocket = sum(1 for row in rows if row.protocol == "websocket")
    kinds = f" ({len(rows) - websocket} HTTP, {websocket} WebSocket)" if websocket else ""
    out.append(f"{len(rows)} routes{kinds}, {len(rows) - public} behind an authorizer, {public} public")
    return "\n".join(out)
