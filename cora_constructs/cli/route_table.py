"""The route table (the API tracer) from the production Lambdas of a cloud assembly: pure rendering."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from cora_constructs.assembly.model import ProductionLambda

COLUMNS = ("METHOD", "PATH", "MODULE", "LAMBDA", "AUTH", "DESCRIPTION")


@dataclass(frozen=True, order=True)
class RouteRow:
    path: str
    method: str
    module: str
    lambda_name: str
    function_name: str
    app: str
    stack: str
    auth: str
    public_reason: str | None
    description: str

    def as_dict(self) -> dict[str, str | None]:
        data = asdict(self)
        data["lambda"] = data.pop("lambda_name")
        return data

    @property
    def auth_label(self) -> str:
        return f"public ({self.public_reason})" if self.auth == "public" else self.auth


def route_rows(lambdas: Iterable[ProductionLambda]) -> list[RouteRow]:
    """One row per route, sorted by path then method."""
    rows = [
        RouteRow(
            path=route.path,
            method=route.method,
            module=fn.module,
            lambda_name=fn.lambda_name,
            function_name=fn.function_name,
            app=fn.app,
            stack=fn.stack,
            auth=route.auth,
            public_reason=route.public_reason,
            description=route.description,
        )
        for fn in lambdas
        for route in fn.routes
    ]
    return sorted(rows)


def render_table(rows: list[RouteRow]) -> str:
    """A fixed-width text table with a header and a count line."""
    cells = [
        (row.method, row.path, row.module, row.lambda_name, row.auth_label, row.description) for row in rows
    ]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(COLUMNS)]

    def line(values: Iterable[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [line(COLUMNS), line("-" * w for w in widths)]
    out += [line(c) for c in cells]
    public = sum(1 for row in rows if row.auth == "public")
    out.append(f"{len(rows)} routes, {len(rows) - public} behind an authorizer, {public} public")
    return "\n".join(out)
