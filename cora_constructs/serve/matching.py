"""HTTP API route selection, as API Gateway does it (pure functions, no I/O).

A route key is ``$default`` or ``METHOD /path`` where ``METHOD`` may be ``ANY`` and a path
segment may be a variable ``{name}`` or, as the last segment, a greedy variable ``{name+}``.
For a request, API Gateway picks the most specific route that matches:

1. a route without a greedy variable beats one with it;
2. then, segment by segment from the left, a literal beats ``{name}``, which beats ``{name+}``;
3. then the exact method beats ``ANY``;
4. ``$default`` catches whatever nothing else matched.

Path variables are percent-decoded; a greedy variable holds the rest of the path (at least one
segment) joined with ``/``. Matching is case-sensitive, as API Gateway's is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

DEFAULT_ROUTE = "$default"
ANY = "ANY"

LITERAL, VARIABLE, GREEDY = 0, 1, 2


class RouteKeyError(ValueError):
    """A route key API Gateway would not accept for an HTTP API."""


@dataclass(frozen=True, slots=True)
class Segment:
    kind: int
    text: str
    """The literal, or the variable's name (without braces and ``+``)."""


@dataclass(frozen=True, slots=True)
class RoutePattern:
    """A parsed route key; ``method`` is empty for ``$default``."""

    route_key: str
    method: str
    segments: tuple[Segment, ...]

    @property
    def is_default(self) -> bool:
        return self.route_key == DEFAULT_ROUTE

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1].kind == GREEDY

    def specificity(self) -> tuple[int, tuple[int, ...], int]:
        """Sort key: smaller is more specific (see the module docstring)."""
        return (int(self.greedy), tuple(s.kind for s in self.segments), int(self.method == ANY))


@dataclass(frozen=True, slots=True)
class RouteMatch:
    route: RoutePattern
    path_parameters: dict[str, str]


def parse_route_key(route_key: str) -> RoutePattern:
    """Parse ``$default`` or ``METHOD /path``; raises :class:`RouteKeyError` naming the problem."""
    if route_key == DEFAULT_ROUTE:
        return RoutePattern(route_key, "", ())
    method, _, path = route_key.partition(" ")
    if not method or not method.isalpha() or not method.isupper() or not path.startswith("/"):
        raise RouteKeyError(f"route key {route_key!r} is not '$default' or 'METHOD /path'")
    if path == "/":
        return RoutePattern(route_key, method, ())
    segments: list[Segment] = []
    parts = path[1:].split("/")
    for index, part in enumerate(parts):
        if not part:
            raise RouteKeyError(f"route key {route_key!r} has an empty path segment")
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            if name.endswith("+"):
                if index != len(parts) - 1:
                    raise RouteKeyError(
                        f"route key {route_key!r}: a greedy variable must be the last segment"
                    )
                segments.append(Segment(GREEDY, name[:-1]))
            else:
                segments.append(Segment(VARIABLE, name))
            if not segments[-1].text:
                raise RouteKeyError(f"route key {route_key!r} has a path variable without a name")
        elif "{" in part or "}" in part:
            raise RouteKeyError(f"route key {route_key!r}: a path variable must be a whole segment")
        else:
            segments.append(Segment(LITERAL, part))
    return RoutePattern(route_key, method, tuple(segments))


def _match_path(pattern: RoutePattern, parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, segment in enumerate(pattern.segments):
        if segment.kind == GREEDY:
            rest = parts[index:]
            if not rest or not any(rest):
                return None
            params[segment.text] = unquote("/".join(rest))
            return params
        if index >= len(parts):
            return None
        part = parts[index]
        if segment.kind == LITERAL:
            if unquote(part) != segment.text:
                return None
        else:
            if not part:
                return None
            params[segment.text] = unquote(part)
    return params if len(parts) == len(pattern.segments) else None


def split_path(raw_path: str) -> list[str]:
    """``/a/b`` -> ``["a", "b"]``; ``/`` -> ``[]``."""
    return [] if raw_path in ("", "/") else raw_path.lstrip("/").split("/")


def match_route(routes: Iterable[RoutePattern], method: str, raw_path: str) -> RouteMatch | None:
    """The route API Gateway would select for ``method raw_path``, or None (its 404)."""
    parts = split_path(raw_path)
    best: tuple[tuple[int, tuple[int, ...], int], RoutePattern, dict[str, str]] | None = None
    default: RoutePattern | None = None
    for route in routes:
        if route.is_default:
            default = route
            continue
        if route.method not in (method, ANY):
            continue
        params = _match_path(route, parts)
        if params is None:
            continue
        key = route.specificity()
        if best is None or key < best[0]:
            best = (key, route, params)
    if best is not None:
        return RouteMatch(best[1], best[2])
    if default is not None:
        return RouteMatch(default, {})
    return None
