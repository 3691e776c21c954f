"""Route docstrings: the single source of a Lambda's HTTP routes.

A route section starts at a line ``Routes:``, ``Routes - <Category>:`` or ``Endpoints:`` and
lists one route per line::

    Routes - Tasks:
    - GET /tasks - List tasks
    - GET /tasks/{task_id} - Get one task
    - GET /health - Probe [public: uptime check]
    - POST /admin/reindex - Rebuild the index [auth: iam]

The module docstring is read first, then the ``lambda_handler`` docstring (the CORA API tracer's
order). Express-style ``:id`` parameters are normalised to ``{id}``. A route section ends at the
first blank line followed by a line that is not a route, or at the end of the docstring.

This module is plain standard-library Python: the CDK constructs use it at synth time and the
``cora_runtime`` router uses it at run time, so code, docs and API Gateway cannot disagree.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass

METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
DEFAULT_AUTH = "org"
PUBLIC = "public"

_SECTION = re.compile(r"^\s*(?:Routes(?:\s+-\s+(?P<category>[^:]+?))?|Endpoints)\s*:\s*$")
_ROUTE_LINE = re.compile(r"^\s*-\s+")
_ROUTE = re.compile(
    r"^\s*-\s+(?P<method>\S+)\s+(?P<path>\S+)"
    r"(?:\s+-\s+(?P<rest>.*?)|\s+(?P<tags>\[[^\]]*\]))?\s*$"
)
_TAG = re.compile(r"\[(?P<name>[A-Za-z_-]+)\s*:\s*(?P<value>[^\]]*)\]\s*$")
_SEGMENT_PARAM = re.compile(r"^\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<greedy>\+)?\}$")
_SEGMENT_LITERAL = re.compile(r"^[A-Za-z0-9._~@!$&'()*+,;=-]+$")
_AUTH_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_PARAM_NAME = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")

ACCEPTED = (
    "a route line is `- METHOD /path - Description`, METHOD one of "
    + ", ".join(METHODS)
    + "; path segments are literals, {param} or :param; optional tags at the end: "
    "[public: <reason>] or [auth: <name>]"
)


class RouteDocstringError(ValueError):
    """A route section line that does not parse, or a route declared twice.

    ``problems`` holds every ``(filename, line, message)`` found, so a caller can report all of
    them at once; ``str(error)`` lists them one per line as ``file:line: message``.
    """

    def __init__(self, problems: Iterable[tuple[str, int, str]]) -> None:
        self.problems: list[tuple[str, int, str]] = list(problems)
        super().__init__("\n".join(f"{f}:{n}: {m}" for f, n, m in self.problems))

    @property
    def filename(self) -> str:
        return self.problems[0][0] if self.problems else ""

    @property
    def line(self) -> int:
        return self.problems[0][1] if self.problems else 0


@dataclass(frozen=True, order=True)
class Route:
    """One documented route: ``method`` and normalised ``path`` form the API route key."""

    method: str
    path: str
    description: str = ""
    auth: str = DEFAULT_AUTH
    public_reason: str | None = None
    category: str | None = None
    filename: str = ""
    line: int = 0

    @property
    def key(self) -> str:
        """The API Gateway route key, e.g. ``GET /tasks/{task_id}``."""
        return f"{self.method} {self.path}"

    @property
    def shape(self) -> str:
        """The key with parameter names blanked: ``GET /tasks/{}``. API Gateway refuses two routes
        of one shape (``/tasks/{id}`` and ``/tasks/{task_id}``), so they count as the same route."""
        return _PARAM_NAME.sub("{}", self.key)

    @property
    def is_public(self) -> bool:
        return self.auth == PUBLIC

    def as_dict(self) -> dict[str, str | None]:
        return {
            "method": self.method,
            "path": self.path,
            "auth": self.auth,
            "public_reason": self.public_reason,
            "description": self.description,
            "category": self.category,
        }


def normalise_path(path: str) -> str | None:
    """Return ``path`` with ``:param`` turned into ``{param}``, or None if it is not valid."""
    if not path.startswith("/") or "//" in path or "?" in path or "#" in path:
        return None
    if path == "/":
        return path
    segments = path[1:].split("/")
    if segments[-1] == "":
        return None
    out: list[str] = []
    seen: set[str] = set()
    for i, segment in enumerate(segments):
        if segment.startswith(":"):
            segment = "{" + segment[1:] + "}"
        if "{" in segment or "}" in segment:
            match = _SEGMENT_PARAM.match(segment)
            if match is None:
                return None
            name = match.group("name")
            if name in seen or (match.group("greedy") and i != len(segments) - 1):
                return None
            seen.add(name)
        elif not _SEGMENT_LITERAL.match(segment):
            return None
        out.append(segment)
    return "/" + "/".join(out)


def _parse_route_line(text: str, filename: str, line: int, category: str | None) -> Route | str:
    """Parse one ``- ...`` line: a Route, or the message that says why it is refused."""
    match = _ROUTE.match(text)
    if match is None:
        return f"cannot read route line {text.strip()!r}; {ACCEPTED}"
    method, raw_path = match.group("method"), match.group("path")
    rest = (match.group("rest") or match.group("tags") or "").strip()
    if method.upper() != method or method not in METHODS:
        return f"unknown HTTP method {method!r} in {text.strip()!r}; {ACCEPTED}"
    path = normalise_path(raw_path)
    if path is None:
        return (
            f"invalid path {raw_path!r} in {text.strip()!r}: it must start with '/', have no "
            "empty segments or trailing '/', and balanced, unique {param} names; " + ACCEPTED
        )
    auth, public_reason = DEFAULT_AUTH, None
    tag_seen = False
    while True:
        tag = _TAG.search(rest)
        if tag is None:
            break
        name, value = tag.group("name").lower(), tag.group("value").strip()
        if tag_seen:
            return f"more than one tag in {text.strip()!r}: use one of [public: <reason>] or [auth: <name>]"
        tag_seen = True
        if name == "public":
            if not value:
                return (
                    f"public route {method} {path} has no reason: write "
                    "[public: <why it needs no authorizer>]"
                )
            auth, public_reason = PUBLIC, value
        elif name == "auth":
            if not _AUTH_NAME.match(value) or value == PUBLIC:
                return (
                    f"authorizer name {value!r} in {text.strip()!r} is not valid: use "
                    "[auth: <lowercase name>] (for example [auth: iam]) or [public: <reason>]"
                )
            auth = value
        else:
            return f"unknown tag [{tag.group('name')}: ...] in {text.strip()!r}; {ACCEPTED}"
        rest = rest[: tag.start()].rstrip()
    if "[" in rest and re.search(r"\[(public|auth)\b", rest, re.IGNORECASE):
        return f"malformed tag in {text.strip()!r}: tags are [public: <reason>] or [auth: <name>] at the end"
    return Route(method, path, rest, auth, public_reason, category, filename, line)


def parse_docstring(text: str, filename: str = "<docstring>", first_line: int = 1) -> list[Route]:
    """Parse every route section of one docstring.

    ``first_line`` is the file line of the docstring's first line, so errors point into the
    file. Raises :class:`RouteDocstringError` listing every bad line and duplicate.
    """
    routes: list[Route] = []
    problems: list[tuple[str, int, str]] = []
    in_section = False
    category: str | None = None
    blank_run = False
    for offset, raw in enumerate(text.splitlines()):
        line_no = first_line + offset
        section = _SECTION.match(raw)
        if section is not None:
            in_section, blank_run = True, False
            category = (section.group("category") or "").strip() or None
            continue
        if not in_section:
            continue
        if not raw.strip():
            blank_run = True
            continue
        if _ROUTE_LINE.match(raw):
            parsed = _parse_route_line(raw, filename, line_no, category)
            if isinstance(parsed, str):
                problems.append((filename, line_no, parsed))
            else:
                routes.append(parsed)
            blank_run = False
            continue
        if blank_run or not raw[:1].isspace():
            in_section = False
    problems.extend(_duplicates(routes))
    if problems:
        raise RouteDocstringError(problems)
    return routes


def _duplicates(routes: Iterable[Route]) -> list[tuple[str, int, str]]:
    seen: dict[str, Route] = {}
    problems = []
    for route in routes:
        first = seen.get(route.shape)
        if first is None:
            seen[route.shape] = route
        else:
            problems.append(
                (
                    route.filename,
                    route.line,
                    f"route {route.key} is declared twice (first as {first.key} at "
                    f"{first.filename}:{first.line}); delete one of the lines",
                )
            )
    return problems


def parse_source(source: str, filename: str = "<source>") -> list[Route]:
    """Routes of a handler module's source: module docstring first, then ``lambda_handler``'s.

    A syntax error in the module is reported as a :class:`RouteDocstringError` with its line.
    """
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise RouteDocstringError(
            [(filename, exc.lineno or 0, f"the handler module does not parse: {exc.msg}")]
        ) from None
    except ValueError as exc:  # e.g. a NUL byte in the source
        raise RouteDocstringError([(filename, 0, f"the handler module cannot be read: {exc}")]) from None
    docstrings: list[tuple[str, int]] = []
    module_doc = _docstring_with_line(tree)
    if module_doc is not None:
        docstrings.append(module_doc)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "lambda_handler":
            handler_doc = _docstring_with_line(node)
            if handler_doc is not None:
                docstrings.append(handler_doc)
    routes: list[Route] = []
    problems: list[tuple[str, int, str]] = []
    for text, line in docstrings:
        try:
            routes.extend(parse_docstring(text, filename, line))
        except RouteDocstringError as exc:
            problems.extend(exc.problems)
    problems.extend(_duplicates(routes))
    if problems:
        raise RouteDocstringError(problems)
    return routes


def _docstring_with_line(node: ast.AST) -> tuple[str, int] | None:
    """The raw docstring text of a module or function and the file line it starts on."""
    body = getattr(node, "body", None)
    if not body:
        return None
    first = body[0]
    if not (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return None
    # The literal's first line holds the opening quotes; its text starts on that line.
    return first.value.value, first.value.lineno


def parse_file(path: str) -> list[Route]:
    """Routes declared by the handler module at ``path``."""
    with open(path, encoding="utf-8") as handle:
        return parse_source(handle.read(), path)
