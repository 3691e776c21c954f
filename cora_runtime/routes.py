"""Route docstrings: the single source of a Lambda's HTTP routes and WebSocket route keys.

A route section starts at a line that begins with ``Routes`` or ``Endpoints`` and ends with
``:`` (``Routes:``, ``Routes - <Category>:``, ``Endpoints:``, ``Routes (via API Gateway proxy):``)
and lists one route per line::

    Routes - Tasks:
    - GET /tasks - List tasks
    - GET /tasks/{task_id} - Get one task
    - GET /health - Probe [public: uptime check]
    - POST /admin/reindex - Rebuild the index [auth: iam]

The leading ``- `` may be left out and the separator may be an em or en dash
(``GET /api/v1/documents/{documentId} — retrieve``): a line that starts with an HTTP method
and a ``/path`` is a route line either way. Express-style ``:id`` parameters are normalised to
``{id}``. A route section ends at the first blank line followed by a line that is not a route,
at a line that is not indented and not a route, or at the end of the docstring.

WebSocket route keys are declared the same way, in a section whose header names WebSocket
(``Routes - WebSocket:``) or whose lines are route keys rather than ``METHOD /path``::

    Routes - WebSocket:
    - $connect - Client connection
    - $disconnect - Client disconnection
    - transcript - Receive a transcript segment

A key is ``$connect``, ``$disconnect``, ``$default`` or a custom key, matched on the message's
``action`` field (the API's route selection expression is ``$request.body.action``). API Gateway
runs authorizers on ``$connect`` only, so the tags (``[public: <reason>]``, ``[auth: <name>]``)
are accepted on ``$connect`` alone: every message rides a connection authorized there. One Lambda
serves one API: HTTP routes and WebSocket route keys in one docstring are an error naming both
lines. A WebSocket :class:`Route` has the method :data:`WEBSOCKET` and the key as its ``path``.

Like the CORA API tracer, the module docstring is the source of routes; ``lambda_handler``'s
docstring is read only when the module docstring has no route section. Both having one is an
error naming both lines, and so is a route section with no route line that can be read (never
a silent zero routes): every problem is a ``(file, line, message)`` of
:class:`RouteDocstringError`.

This module is plain standard-library Python: the CDK constructs use it at synth time and the
``cora_runtime`` router uses it at run time, so code, docs and API Gateway cannot disagree.
"""

from __future__ import annotations

import ast
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field
from io import BytesIO

METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
DEFAULT_AUTH = "org"
PUBLIC = "public"
HTTP = "http"
WEBSOCKET = "WEBSOCKET"
"""The method of a WebSocket route key (its ``path`` is the key itself, e.g. ``$connect``)."""
CONNECT = "$connect"
SPECIAL_KEYS: tuple[str, ...] = ("$connect", "$disconnect", "$default")
WEBSOCKET_EXAMPLE = "- $connect - Client connection"

EXAMPLE = "- GET /path/{id} - Description"
"""The expected shape of a route line, quoted in every error about one."""

_SECTION = re.compile(r"^\s*(?P<word>Routes|Endpoints)\b(?P<rest>[^:]*):\s*$")
_CATEGORY = re.compile(r"^\s+-\s+(?P<category>.+?)\s*$")
_DASH_LINE = re.compile(r"^\s*-\s+(?P<body>.*)$")
_BARE_ROUTE = re.compile(r"^\s*(?P<body>(?P<method>[A-Za-z]+)\s+/.*)$")
_CANDIDATE_METHODS = frozenset((*METHODS, "ANY"))
_ROUTE = re.compile(
    r"^(?P<method>\S+)\s+(?P<path>\S+)"
    r"(?:\s+[-\u2013\u2014]\s+(?P<rest>.*?)|\s+(?P<tags>\[[^\]]*\]))?\s*$"
)
_TAG = re.compile(r"\[(?P<name>[A-Za-z_-]+)\s*:\s*(?P<value>[^\]]*)\]\s*$")
_SEGMENT_PARAM = re.compile(r"^\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<greedy>\+)?\}$")
_SEGMENT_LITERAL = re.compile(r"^[A-Za-z0-9._~@!$&'()*+,;=-]+$")
_AUTH_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_PARAM_NAME = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_PATH_TOKEN = re.compile(r"(?<!\S)/[^\s:,;]*")
_WS_LINE = re.compile(r"^(?P<key>\S+)(?:\s+[-\u2013\u2014]\s+(?P<rest>.*?)|\s+(?P<tags>\[[^\]]*\]))?\s*$")
_CUSTOM_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
_BARE_KEY = re.compile(r"^\s*(?P<body>\$[a-z]+\b.*)$")
_KEY_LIKE = re.compile(r"^[A-Za-z0-9_.:-]+\s+[-\u2013\u2014]\s")
_WEBSOCKET_HEADER = re.compile(r"web\s*-?\s*socket", re.IGNORECASE)

ACCEPTED = (
    f"a route line is `{EXAMPLE}`, the method one of "
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
        """The API Gateway route key, e.g. ``GET /tasks/{task_id}`` or ``$connect``."""
        return self.path if self.method == WEBSOCKET else f"{self.method} {self.path}"

    @property
    def protocol(self) -> str:
        """``http`` for ``METHOD /path`` routes, ``websocket`` for WebSocket route keys."""
        return "websocket" if self.method == WEBSOCKET else HTTP

    @property
    def is_websocket(self) -> bool:
        return self.method == WEBSOCKET

    @property
    def shape(self) -> str:
        """The key with parameter names blanked: ``GET /tasks/{}``. API Gateway refuses two routes
        of one shape (``/tasks/{id}`` and ``/tasks/{task_id}``), so they count as the same route."""
        return _PARAM_NAME.sub("{}", self.key)

    @property
    def is_public(self) -> bool:
        return self.auth == PUBLIC

    def as_dict(self) -> dict[str, str | None]:
        """The route as plain JSON (``cora:routes`` metadata); ``protocol`` only on a WebSocket
        route key, so the metadata of HTTP routes is what it always was."""
        out: dict[str, str | None] = {
            "method": self.method,
            "path": self.path,
            "auth": self.auth,
            "public_reason": self.public_reason,
            "description": self.description,
            "category": self.category,
        }
        if self.is_websocket:
            out["protocol"] = self.protocol
        return out


def split_route_key(route_key: str) -> tuple[str, str] | None:
    """``(METHOD, /path)`` of an HTTP route key, ``(WEBSOCKET, key)`` of a WebSocket route key
    (``$connect``, ``chat``), None for anything else (``ANY /x`` is kept as ``(ANY, /x)``)."""
    method, _, path = route_key.partition(" ")
    if path.startswith("/"):
        return method.upper(), path
    if not path and (route_key in SPECIAL_KEYS or _CUSTOM_KEY.match(route_key)):
        return WEBSOCKET, route_key
    return None


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


def _query_message(method: str, raw_path: str, text: str) -> str:
    """Why ``raw_path`` with a ``?query`` part cannot be a route, and how to read the values."""
    path, _, query = raw_path.partition("?")
    names = [part.split("=", 1)[0] for part in query.split("&") if part.split("=", 1)[0]]
    name = names[0] if names else "name"
    fixed = normalise_path(path) or path or "/"
    return (
        f"route path {raw_path!r} in {text!r} has a query string: API Gateway routes match the "
        f"path only, never a query part. Declare `- {method} {fixed} - <description>` and read "
        f'{", ".join(names) or "the parameter"} in the handler from event["queryStringParameters"]'
        f'["{name}"] (request.query["{name}"] with the cora_runtime Router)'
    )


def _suggestion(text: str) -> str:
    """The expected format, and a rewrite of ``text`` in it when it names a method and a path."""
    method = next((w.upper() for w in re.findall(r"[A-Za-z]+", text) if w.upper() in METHODS), None)
    path = _PATH_TOKEN.search(text)
    if method is None or path is None:
        return f"expected `{EXAMPLE}`"
    description = text[path.end() :].strip(" \t-\u2013\u2014*:") or "<description>"
    return f"expected `{EXAMPLE}`: rewrite it as `- {method} {path.group(0)} - {description}`"


def _parse_tags(rest: str, text: str, label: str) -> tuple[str, str | None, str] | str:
    """``(auth, public_reason, description)`` from the end of a route line, or why not."""
    auth, public_reason = DEFAULT_AUTH, None
    tag_seen = False
    while True:
        tag = _TAG.search(rest)
        if tag is None:
            break
        name, value = tag.group("name").lower(), tag.group("value").strip()
        if tag_seen:
            return f"more than one tag in {text!r}: use one of [public: <reason>] or [auth: <name>]"
        tag_seen = True
        if name == "public":
            if not value:
                return f"public route {label} has no reason: write [public: <why it needs no authorizer>]"
            auth, public_reason = PUBLIC, value
        elif name == "auth":
            if not _AUTH_NAME.match(value) or value == PUBLIC:
                return (
                    f"authorizer name {value!r} in {text!r} is not valid: use "
                    "[auth: <lowercase name>] (for example [auth: iam]) or [public: <reason>]"
                )
            auth = value
        else:
            return f"unknown tag [{tag.group('name')}: ...] in {text!r}; {ACCEPTED}"
        rest = rest[: tag.start()].rstrip()
    if "[" in rest and re.search(r"\[(public|auth)\b", rest, re.IGNORECASE):
        return f"malformed tag in {text!r}: tags are [public: <reason>] or [auth: <name>] at the end"
    return auth, public_reason, rest


def _parse_route_line(body: str, text: str, filename: str, line: int, category: str | None) -> Route | str:
    """Parse one route line (``body`` without its leading ``- ``; ``text`` is the whole line,
    quoted in messages): a Route, or the message that says why it is refused."""
    match = _ROUTE.match(body.strip())
    if match is None:
        return f"cannot read route line {text!r}: {_suggestion(text)}; {ACCEPTED}"
    method, raw_path = match.group("method"), match.group("path")
    rest = (match.group("rest") or match.group("tags") or "").strip()
    if method.upper() != method or method not in METHODS:
        return f"unknown HTTP method {method!r} in {text!r}; {ACCEPTED}"
    if "?" in raw_path:
        return _query_message(method, raw_path, text)
    path = normalise_path(raw_path)
    if path is None:
        return (
            f"invalid path {raw_path!r} in {text!r}: it must start with '/', have no "
            "empty segments or trailing '/', and balanced, unique {param} names; " + ACCEPTED
        )
    tags = _parse_tags(rest, text, f"{method} {path}")
    if isinstance(tags, str):
        return tags
    auth, public_reason, rest = tags
    return Route(method, path, rest, auth, public_reason, category, filename, line)


def _parse_websocket_line(
    body: str, text: str, filename: str, line: int, category: str | None
) -> Route | str:
    """Parse one WebSocket route key line (``$connect - Client connection``)."""
    match = _WS_LINE.match(body.strip())
    if match is None:
        return f"cannot read WebSocket route line {text!r}: expected `{WEBSOCKET_EXAMPLE}`"
    key = match.group("key")
    rest = (match.group("rest") or match.group("tags") or "").strip()
    if key.startswith("$"):
        if key not in SPECIAL_KEYS:
            return (
                f"unknown WebSocket route key {key!r} in {text!r}: the keys starting with '$' are "
                f"{', '.join(SPECIAL_KEYS)}; a custom key (matched on the message's action field) "
                "has no '$'"
            )
    elif not _CUSTOM_KEY.match(key):
        return (
            f"invalid WebSocket route key {key!r} in {text!r}: a custom key is up to 128 letters, "
            f"digits, '_', '.', ':' or '-' (the message's action field), or one of {', '.join(SPECIAL_KEYS)}"
        )
    tags = _parse_tags(rest, text, key)
    if isinstance(tags, str):
        return tags
    auth, public_reason, description = tags
    if key != CONNECT and (auth != DEFAULT_AUTH or public_reason is not None):
        return (
            f"{text!r} tags {key}, but API Gateway authorizes a WebSocket connection on $connect "
            "only and every message rides it: move the tag to the $connect line"
        )
    return Route(WEBSOCKET, key, description, auth, public_reason, category, filename, line)


def _parse_line(body: str, text: str, filename: str, line: int, section: _Section) -> Route | str:
    """A route or route key line: ``METHOD /path`` lines are HTTP routes wherever they are; the
    lines of a WebSocket section, and ``$key`` lines anywhere, are WebSocket route keys."""
    first = body.strip().split(maxsplit=1)
    http = len(first) == 2 and first[0].upper() in _CANDIDATE_METHODS and first[1].startswith("/")
    if not http and (section.websocket or body.lstrip().startswith("$")):
        section.websocket = True
        return _parse_websocket_line(body, text, filename, line, section.category)
    parsed = _parse_route_line(body, text, filename, line, section.category)
    if isinstance(parsed, str) and not http and _KEY_LIKE.match(body.strip()):
        parsed += (
            "; if it is a WebSocket route key, list it under a `Routes - WebSocket:` header "
            f"(`{WEBSOCKET_EXAMPLE}`)"
        )
    return parsed


def _route_body(raw: str) -> str | None:
    """The route part of a line that is a route line (``- ...``, or ``METHOD /path ...``)."""
    dash = _DASH_LINE.match(raw)
    if dash is not None:
        return dash.group("body")
    bare = _BARE_ROUTE.match(raw)
    if bare is not None and bare.group("method").upper() in _CANDIDATE_METHODS:
        return bare.group("body")
    key = _BARE_KEY.match(raw)
    if key is not None and key.group("body").split()[0] in SPECIAL_KEYS:
        return key.group("body")
    return None


@dataclass
class _Section:
    header: str
    line: int
    category: str | None
    routes: int = 0
    problems: int = 0
    unreadable: tuple[int, str] | None = None
    websocket: bool = False


@dataclass
class DocstringScan:
    """What one docstring declares: its routes, its problems and the line of each route section."""

    routes: list[Route] = field(default_factory=list)
    problems: list[tuple[str, int, str]] = field(default_factory=list)
    sections: list[int] = field(default_factory=list)


def _close(section: _Section | None, filename: str, scan: DocstringScan) -> None:
    """A section that yielded no route and no refused route line is an error, never zero routes."""
    if section is None or section.routes or section.problems:
        return
    header = section.header.strip()
    if section.unreadable is None:
        scan.problems.append(
            (
                filename,
                section.line,
                f"the route section {header!r} lists no route: add one line per route below it, "
                f"like `{WEBSOCKET_EXAMPLE if section.websocket else EXAMPLE}`, or delete the header",
            )
        )
        return
    line, text = section.unreadable
    hint = f"expected `{WEBSOCKET_EXAMPLE}`" if section.websocket else _suggestion(text)
    scan.problems.append(
        (
            filename,
            line,
            f"the route section {header!r} (line {section.line}) has no route line that can be "
            f"read; the first line it could not read is {text!r}: {hint}",
        )
    )


def scan_docstring(text: str, filename: str = "<docstring>", first_line: int = 1) -> DocstringScan:
    """Every route, problem and section line of one docstring, without raising."""
    scan = DocstringScan()
    section: _Section | None = None
    blank_run = False
    for offset, raw in enumerate(text.splitlines()):
        line_no = first_line + offset
        header = _SECTION.match(raw)
        if header is not None:
            _close(section, filename, scan)
            category_match = _CATEGORY.match(header.group("rest"))
            category = category_match.group("category") if category_match else None
            section = _Section(raw, line_no, category, websocket=bool(_WEBSOCKET_HEADER.search(raw)))
            scan.sections.append(line_no)
            blank_run = False
            continue
        if section is None:
            continue
        if not raw.strip():
            blank_run = True
            continue
        body = _route_body(raw)
        if body is not None:
            parsed = _parse_line(body, raw.strip(), filename, line_no, section)
            if isinstance(parsed, str):
                scan.problems.append((filename, line_no, parsed))
                section.problems += 1
            else:
                scan.routes.append(parsed)
                section.routes += 1
            blank_run = False
            continue
        if section.unreadable is None:
            section.unreadable = (line_no, raw.strip())
        if blank_run or not raw[:1].isspace():
            _close(section, filename, scan)
            section = None
    _close(section, filename, scan)
    return scan


def parse_docstring(text: str, filename: str = "<docstring>", first_line: int = 1) -> list[Route]:
    """Parse every route section of one docstring.

    ``first_line`` is the file line of the docstring's first line, so errors point into the
    file. Raises :class:`RouteDocstringError` listing every bad line, every section without a
    readable route, and every duplicate.
    """
    scan = scan_docstring(text, filename, first_line)
    problems = scan.problems + _duplicates(scan.routes) + _mixed(scan.routes)
    if problems:
        raise RouteDocstringError(problems)
    return scan.routes


def _mixed(routes: Iterable[Route]) -> list[tuple[str, int, str]]:
    """HTTP routes and WebSocket route keys in one Lambda: one problem per line of the kind
    declared second, naming the first line of the other kind."""
    routes = list(routes)
    http = [r for r in routes if not r.is_websocket]
    websocket = [r for r in routes if r.is_websocket]
    if not http or not websocket:
        return []
    first_http, first_ws = http[0], websocket[0]
    later = websocket if first_http.line <= first_ws.line else http
    other = first_http if later is websocket else first_ws
    return [
        (
            route.filename,
            route.line,
            f"{route.key} is {'a WebSocket route key' if route.is_websocket else 'an HTTP route'} but this "
            f"Lambda also declares {'HTTP routes' if route.is_websocket else 'WebSocket route keys'} "
            f"({other.key} at {other.filename}:{other.line}): a Lambda serves one API, the HTTP API "
            "or the WebSocket API; move the WebSocket route keys to a Lambda of their own",
        )
        for route in later
    ]


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


class SourceReadError(ValueError):
    """Python source bytes that are not text in their declared encoding (UTF-8 by default)."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


def decode_source(data: bytes) -> str:
    """Decode Python source as the interpreter does: a PEP 263 coding cookie, else UTF-8.

    Raises :class:`SourceReadError` with the line of the first byte that cannot be decoded.
    """
    try:
        encoding, _ = tokenize.detect_encoding(BytesIO(data).readline)
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" not in str(exc):
            raise SourceReadError(getattr(exc, "lineno", None) or 1, f"{exc.msg}") from None
        encoding = "utf-8"  # no cookie and a first line that is not UTF-8: say where below
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise SourceReadError(
            line,
            f"is not {encoding} text (byte 0x{bad} on line {line}); Python reads source files as "
            "UTF-8: save the file as UTF-8",
        ) from None


def _handler_function(tree: ast.Module) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    found = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "lambda_handler":
            found = node  # the last definition is the one Python keeps
    return found


def _both_declared(filename: str, module: DocstringScan, handler: DocstringScan) -> tuple[str, int, str]:
    module_keys = {r.key for r in module.routes}
    handler_keys = {r.key for r in handler.routes}
    only_handler = sorted(handler_keys - module_keys)
    only_module = sorted(module_keys - handler_keys)
    if only_handler or only_module:
        differs = "they differ: " + "; ".join(
            part
            for part in (
                f"only in lambda_handler's: {', '.join(only_handler)}" if only_handler else "",
                f"only in the module's: {', '.join(only_module)}" if only_module else "",
            )
            if part
        )
    else:
        differs = "they list the same routes"
    return (
        filename,
        handler.sections[0],
        f"routes are declared in both the module docstring ({filename}:{module.sections[0]}) and "
        f"lambda_handler's docstring ({filename}:{handler.sections[0]}); {differs}. The module "
        "docstring is the source of routes (the CORA API tracer reads lambda_handler's only when "
        "the module's declares none): move every route into the module docstring and delete the "
        "route section of lambda_handler's docstring",
    )


def parse_source(source: str | bytes, filename: str = "<source>") -> list[Route]:
    """Routes of a handler module's source: the module docstring's, else ``lambda_handler``'s.

    ``lambda_handler``'s docstring is read only when the module docstring has no route section;
    both having one is an error naming both lines. Source that does not parse (a syntax error,
    bytes that are not UTF-8) is reported as a :class:`RouteDocstringError` with its line.
    """
    try:
        text = decode_source(source) if isinstance(source, bytes) else source
        tree = ast.parse(text, filename=filename)
    except SourceReadError as exc:
        raise RouteDocstringError([(filename, exc.line, f"the handler module {exc.message}")]) from None
    except SyntaxError as exc:
        raise RouteDocstringError(
            [(filename, exc.lineno or 0, f"the handler module does not parse: {exc.msg}")]
        ) from None
    except ValueError as exc:  # e.g. a NUL byte in the source
        raise RouteDocstringError([(filename, 0, f"the handler module cannot be read: {exc}")]) from None
    module_doc = _docstring_with_line(tree)
    module = scan_docstring(module_doc[0], filename, module_doc[1]) if module_doc else DocstringScan()
    function = _handler_function(tree)
    handler_doc = _docstring_with_line(function) if function is not None else None
    handler = scan_docstring(handler_doc[0], filename, handler_doc[1]) if handler_doc else DocstringScan()
    if module.sections:
        chosen, problems = module, list(module.problems)
        if handler.sections:
            problems.append(_both_declared(filename, module, handler))
    else:
        chosen, problems = handler, list(handler.problems)
    problems.extend(_duplicates(chosen.routes))
    problems.extend(_mixed(chosen.routes))
    if problems:
        raise RouteDocstringError(problems)
    return chosen.routes


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
    """Routes declared by the handler module at ``path`` (read as Python reads it: UTF-8 unless
    a coding cookie says otherwise; undecodable bytes are a :class:`RouteDocstringError`)."""
    with open(path, "rb") as handle:
        return parse_source(handle.read(), path)
