"""The docstring router: a handler module's routes are the ones its docstring declares.

Usage, in a module whose docstring has a ``Routes:`` section (:mod:`cora_runtime.routes`)::

    router = Router(__doc__, source=__file__)

    @router.route("GET /tasks/{task_id}")
    def get_task(request: Request) -> dict[str, object]:
        return load(request.path_params["task_id"])

    lambda_handler = router.handler()

Checked when the module loads, so a unit test that imports it fails before any deploy:

- ``@router.route`` with a route key that is not in the docstring (or registered twice, or not
  a ``METHOD /path`` key) raises :class:`RouterError` naming the file and the function's line;
- :meth:`Router.handler` raises :class:`RouterError` listing every docstring route that has no
  handler, with its docstring line.

Dispatch of a payload 2.0 (HTTP API) or 1.0 (REST API) proxy event:

- the event's own route key is used when it names a documented route (2.0 ``routeKey``, 1.0
  ``httpMethod`` + ``resource``); otherwise the method and path (2.0 ``rawPath``, 1.0 ``path``;
  a leading stage segment is dropped if needed) are matched against the documented templates.
  A literal segment beats ``{param}``, which beats ``{proxy+}``; a trailing ``/`` is ignored;
  path parameters are percent-decoded, and the event's ``pathParameters`` win when present;
- unknown path: 404; known path, other method: 405 with an ``Allow`` header;
- ``HEAD`` on a path that documents ``GET`` but not ``HEAD`` runs the GET handler (so ``Allow``
  lists ``HEAD`` wherever it lists ``GET``); no answer to a HEAD request has a body, errors too;
- a handler's return value: a :class:`~cora_runtime.responses.Response` as is; ``None`` -> 204;
  anything else -> 200 with it as JSON (:func:`~cora_runtime.responses.json_response`);
- :class:`~cora_runtime.responses.HTTPError` -> its status in the error shape; any other
  exception -> 500 ``internal_server_error``, logged to stdout as one JSON line with the
  traceback, the exception text never sent to the client;
- an event that is not an HTTP proxy event -> 400.

Dispatch of a WebSocket event (a module whose docstring declares WebSocket route keys, see
:mod:`cora_runtime.routes`; handlers are registered the same way, ``@router.route("$connect")``):

- the handler of the event's ``requestContext.routeKey`` runs, else the ``$default`` handler when
  one is declared, else the answer is 404; :attr:`Request.route_key`, :attr:`Request.connection_id`
  and :attr:`Request.event_type` (``CONNECT``, ``MESSAGE``, ``DISCONNECT``) say what arrived, and
  :meth:`Request.json` reads a message's body;
- a handler's return value: ``None`` -> 200 (on ``$connect``, a 2xx accepts the connection and
  anything else refuses it), otherwise as for HTTP; errors as for HTTP. API Gateway sends the
  answer of a message route to the client only when the route has a route response, which the
  WebSocket API of cora-constructs does not configure: talk back with
  :func:`cora_runtime.websocket.post_to_connection`.

Errors use the shape documented in :mod:`cora_runtime.responses`:
``{"error": {"code": ..., "message": ..., "request_id": ...}}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote

from cora_runtime.cookies import parse_cookies
from cora_runtime.identity import Caller, caller_of
from cora_runtime.responses import HTTPError, Response, error_response, json_response
from cora_runtime.routes import (
    METHODS,
    WEBSOCKET,
    Route,
    RouteDocstringError,
    normalise_path,
    parse_docstring,
    split_route_key,
)

Handler = Callable[["Request"], object]
F = TypeVar("F", bound=Handler)

_NOT_HTTP = "this Lambda answers API Gateway HTTP proxy events (payload 1.0 or 2.0)"
_NOT_WEBSOCKET = "this Lambda answers API Gateway WebSocket events (requestContext.routeKey)"


class RouterError(RouteDocstringError):
    """Handlers and docstring disagree; ``problems`` lists each ``(file, line, message)``."""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str_map(value: object) -> dict[str, str]:
    return {k: v for k, v in _dict(value).items() if isinstance(k, str) and isinstance(v, str)}


class Request:
    """One HTTP request, read lazily from the API Gateway ``event``.

    ``headers`` have lower-case names (1.0 multi-value headers joined with ``,`` like 2.0);
    ``query`` has one value per name (2.0 joins repeats with ``,``), ``query_all`` every value;
    ``cookies`` merges both cookie sources (:func:`cora_runtime.cookies.parse_cookies`); ``body``
    is text, base64-decoded when ``isBase64Encoded``; :meth:`json` parses it or raises a 400.
    ``authorizer`` is the authorizer context (2.0 ``requestContext.authorizer.lambda``, or the
    JWT authorizer's ``jwt.claims``; 1.0 ``requestContext.authorizer``); ``claims`` is the
    identity claims: ``authorizer["claims"]`` when that is a dict (Cognito / JWT authorizers),
    else ``authorizer`` itself (the org Lambda authorizer puts ``sub`` etc. in its context);
    ``subject`` is the claim ``sub``, or a 401; ``user`` is the caller of the identity contract
    (:mod:`cora_runtime.identity`), or a 401.
    """

    __slots__ = ("_body", "_headers", "_json", "context", "event", "method", "path", "path_params", "route")

    def __init__(
        self,
        event: dict[str, Any],
        *,
        method: str,
        path: str,
        path_params: dict[str, str] | None = None,
        route: Route | None = None,
        context: object = None,
    ) -> None:
        self.event = event
        self.method = method
        self.path = path
        self.path_params: dict[str, str] = path_params or {}
        self.route = route
        self.context = context
        self._headers: dict[str, str] | None = None
        self._body: bytes | None = None
        self._json: Any = _UNSET

    @property
    def request_id(self) -> str | None:
        value = _dict(self.event.get("requestContext")).get("requestId")
        return value if isinstance(value, str) else None

    @property
    def route_key(self) -> str | None:
        """The WebSocket route key of the event (``$connect``, ``chat``), else None."""
        value = _dict(self.event.get("requestContext")).get("routeKey")
        return value if isinstance(value, str) else None

    @property
    def connection_id(self) -> str | None:
        """The WebSocket connection the event belongs to, else None."""
        value = _dict(self.event.get("requestContext")).get("connectionId")
        return value if isinstance(value, str) else None

    @property
    def event_type(self) -> str | None:
        """``CONNECT``, ``MESSAGE`` or ``DISCONNECT`` for a WebSocket event, else None."""
        value = _dict(self.event.get("requestContext")).get("eventType")
        return value if isinstance(value, str) else None

    @property
    def headers(self) -> dict[str, str]:
        if self._headers is None:
            headers = {k.lower(): v for k, v in _str_map(self.event.get("headers")).items()}
            for key, values in _dict(self.event.get("multiValueHeaders")).items():
                if isinstance(key, str) and isinstance(values, list):
                    strings = [v for v in values if isinstance(v, str)]
                    if strings:
                        headers[key.lower()] = ",".join(strings)
            self._headers = headers
        return self._headers

    @property
    def query(self) -> dict[str, str]:
        return _str_map(self.event.get("queryStringParameters"))

    @property
    def query_all(self) -> dict[str, list[str]]:
        multi = _dict(self.event.get("multiValueQueryStringParameters"))
        if multi:
            return {
                k: [x for x in v if isinstance(x, str)]
                for k, v in multi.items()
                if isinstance(k, str) and isinstance(v, list)
            }
        raw = self.event.get("rawQueryString")
        if isinstance(raw, str) and raw:
            return parse_qs(raw, keep_blank_values=True)
        return {k: [v] for k, v in self.query.items()}

    @property
    def cookies(self) -> dict[str, str]:
        return parse_cookies(self.event)

    @property
    def body_bytes(self) -> bytes:
        """The raw body; a 400 if ``isBase64Encoded`` and it is not base64."""
        if self._body is None:
            raw = self.event.get("body")
            if not isinstance(raw, str):
                self._body = b""
            elif self.event.get("isBase64Encoded") is True:
                try:
                    self._body = base64.b64decode(raw, validate=True)
                except (binascii.Error, ValueError):
                    raise HTTPError(400, "the request body is marked base64 but is not base64") from None
            else:
                self._body = raw.encode("utf-8", "surrogatepass")
        return self._body

    @property
    def body(self) -> str:
        """The body as text; a 400 if it is not UTF-8 (read :attr:`body_bytes` for binary)."""
        try:
            return self.body_bytes.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPError(400, "the request body is not UTF-8 text") from None

    def json(self) -> Any:
        """The body parsed as JSON; an empty or invalid body is a 400 that says where it broke."""
        if self._json is _UNSET:
            text = self.body
            if not text.strip():
                raise HTTPError(400, "the request body is empty; send a JSON document")
            try:
                self._json = json.loads(text)
            except json.JSONDecodeError as exc:
                raise HTTPError(
                    400,
                    f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                ) from None
        return self._json

    @property
    def authorizer(self) -> dict[str, Any]:
        auth = _dict(_dict(self.event.get("requestContext")).get("authorizer"))
        if isinstance(auth.get("lambda"), dict):
            return dict(auth["lambda"])
        jwt = auth.get("jwt")
        if isinstance(jwt, dict) and isinstance(jwt.get("claims"), dict):
            return dict(jwt["claims"])
        return auth

    @property
    def subject(self) -> str:
        """The authenticated caller (the claim ``sub``); a 401 when the request carries none."""
        value = self.claims.get("sub")
        if not isinstance(value, str) or not value:
            raise HTTPError(401, "no authenticated subject on this request")
        return value

    @property
    def claims(self) -> dict[str, Any]:
        auth = self.authorizer
        nested = auth.get("claims")
        return dict(nested) if isinstance(nested, dict) else auth

    @property
    def user(self) -> Caller:
        """The caller, as the org authorizer's identity contract names it
        (:class:`cora_runtime.identity.Caller`: ``user_id``, ``email``, ``name``, ``groups``,
        ``provider``, ``claims``...); a 401 when the request carries no identity."""
        caller = caller_of(self.event)
        if caller is None:
            raise HTTPError(401, "no authenticated caller on this request")
        return caller


_UNSET: Any = object()


@dataclass
class _Template:
    """One documented path and the handler of each documented method on it."""

    path: str
    segments: tuple[str, ...]
    params: dict[int, str]
    greedy: str | None
    handlers: dict[str, tuple[Route, Handler]] = field(default_factory=dict)

    @property
    def rank(self) -> tuple[int, ...]:
        kinds = [1 if i in self.params else 0 for i in range(len(self.segments))]
        if self.greedy is not None:
            kinds.append(2)
        return tuple(kinds)

    def match(self, parts: list[str]) -> dict[str, str] | None:
        fixed = len(self.segments)
        if self.greedy is None:
            if len(parts) != fixed:
                return None
        elif len(parts) <= fixed:
            return None
        found: dict[str, str] = {}
        for i, segment in enumerate(self.segments):
            name = self.params.get(i)
            if name is None:
                if unquote(parts[i]) != segment:
                    return None
            elif parts[i]:
                found[name] = unquote(parts[i])
            else:
                return None
        if self.greedy is not None:
            found[self.greedy] = unquote("/".join(parts[fixed:]))
        return found

    @property
    def names(self) -> list[str]:
        names = list(self.params.values())
        if self.greedy is not None:
            names.append(self.greedy)
        return names

    def allow(self) -> list[str]:
        methods = set(self.handlers)
        if "GET" in methods:
            methods.add("HEAD")
        return [m for m in METHODS if m in methods]


def _template(path: str) -> _Template:
    segments = [] if path == "/" else path[1:].split("/")
    greedy = None
    if segments and segments[-1].endswith("+}"):
        greedy = segments.pop()[1:-2]
    params = {i: s[1:-1] for i, s in enumerate(segments) if s.startswith("{")}
    return _Template(path, tuple(segments), params, greedy)


def _split(path: str) -> list[str]:
    path = path.rstrip("/")
    return [] if not path else path[1:].split("/")


def _docstring_line(docstring: str, source: str | None) -> int:
    """The line of ``source`` where ``docstring`` starts (its opening quotes), else 1."""
    if not source:
        return 1
    try:
        text = Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 1
    index = text.find(docstring)
    return 1 if index < 0 else text.count("\n", 0, index) + 1


def log_json(level: str, message: str, **fields: object) -> None:
    """Write one structured log line (a JSON object) to stdout, where Lambda collects it."""
    record: dict[str, object] = {"level": level, "logger": "cora_runtime.routing", "message": message}
    record.update(fields)
    record["timestamp"] = round(time.time(), 3)
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()


class Router:
    """Routes from a module docstring, handlers per route, dispatch of proxy events."""

    def __init__(self, docstring: str | None, source: str | None = None) -> None:
        self.filename = source or "<docstring>"
        if docstring is None:
            raise RouterError(
                [
                    (
                        self.filename,
                        1,
                        "Router(__doc__) got no docstring (stripped by python -OO?): the module "
                        "docstring must declare the routes",
                    )
                ]
            )
        self.routes: list[Route] = parse_docstring(
            docstring, self.filename, _docstring_line(docstring, source)
        )
        if not self.routes:
            raise RouterError(
                [
                    (
                        self.filename,
                        _docstring_line(docstring, source),
                        "the module docstring declares no routes: add a `Routes:` section with "
                        "lines like `- GET /things/{id} - Get one thing`",
                    )
                ]
            )
        self.websocket = self.routes[0].is_websocket
        self._by_key: dict[str, Route] = {r.key: r for r in self.routes}
        self._handlers: dict[str, Handler] = {}
        self._templates: dict[str, _Template] = {}
        for route in self.routes:
            if not route.is_websocket:
                self._templates.setdefault(route.path, _template(route.path))
        self._ordered: list[_Template] = []
        self._ready = False

    def route(self, key: str) -> Callable[[F], F]:
        """Register the decorated function for the documented route ``key`` (``"GET /a/{id}"``,
        or a WebSocket route key such as ``"$connect"``)."""

        def register(func: F) -> F:
            code = getattr(func, "__code__", None)
            line = code.co_firstlineno if code is not None else 0
            name = getattr(func, "__name__", repr(func))
            words = key.split()
            parts = split_route_key(" ".join(words))
            if parts is None or words[0] not in (*METHODS, parts[1]):
                parts = ("", "")  # lower-case methods are not route keys either
            method, raw_path = parts
            path = raw_path if method == WEBSOCKET else normalise_path(raw_path)
            if (method not in METHODS and method != WEBSOCKET) or path is None:
                raise RouterError(
                    [
                        (
                            self.filename,
                            line,
                            f"{name}: {key!r} is not a route key like 'GET /tasks/{{task_id}}' or '$connect'",
                        )
                    ]
                )
            full = path if method == WEBSOCKET else f"{method} {path}"
            if full not in self._by_key:
                documented = ", ".join(sorted(self._by_key))
                raise RouterError(
                    [
                        (
                            self.filename,
                            line,
                            f"{name} is registered for {full}, which the module docstring does not "
                            f"declare (it declares: {documented}); add `- {full} - <description>` "
                            "to its Routes section or fix the key",
                        )
                    ]
                )
            if full in self._handlers:
                other = getattr(self._handlers[full], "__name__", "another function")
                raise RouterError([(self.filename, line, f"{name}: {full} already has a handler ({other})")])
            self._handlers[full] = func
            return func

        return register

    def handler(self) -> Callable[[Any, Any], dict[str, Any]]:
        """The Lambda entry point; raises :class:`RouterError` if a route has no handler."""
        missing = [r for r in self.routes if r.key not in self._handlers]
        if missing:
            raise RouterError(
                (
                    self.filename,
                    r.line,
                    f"route {r.key} is declared in the docstring but has no handler: decorate a "
                    f'function with @router.route("{r.key}") or delete the line',
                )
                for r in missing
            )
        for route in self.routes:
            if not route.is_websocket:
                self._templates[route.path].handlers[route.method] = (route, self._handlers[route.key])
        self._ordered = sorted(self._templates.values(), key=lambda t: t.rank)
        self._ready = True

        def lambda_handler(event: Any, context: Any = None) -> dict[str, Any]:
            return self.dispatch(event, context)

        return lambda_handler

    def dispatch(self, event: Any, context: Any = None) -> dict[str, Any]:
        """Answer one proxy event (see the module docstring); never raises once
        :meth:`handler` has validated the routes."""
        if not self._ready:
            raise RuntimeError("call router.handler() before dispatching")
        if self.websocket:
            return self._dispatch_websocket(event, context)
        version = "1.0"
        head = False
        request_id: str | None = None
        route: Route | None = None
        try:
            if not isinstance(event, dict):
                raise HTTPError(400, _NOT_HTTP)
            request_context = _dict(event.get("requestContext"))
            rid = request_context.get("requestId")
            request_id = rid if isinstance(rid, str) else None
            http = request_context.get("http")
            if isinstance(http, dict):
                version = "2.0"
                method, path = http.get("method"), event.get("rawPath") or http.get("path")
                route_key = event.get("routeKey")
            else:
                method, path = event.get("httpMethod"), event.get("path")
                resource = event.get("resource")
                route_key = f"{method} {resource}" if isinstance(resource, str) else None
            if not isinstance(method, str) or not isinstance(path, str) or not path.startswith("/"):
                raise HTTPError(400, _NOT_HTTP)
            method = method.upper()
            head = method == "HEAD"
            event_params = _str_map(event.get("pathParameters"))
            route, params = self._resolve(method, path, route_key, request_context, event_params)
            handler = self._handlers[route.key]
            request = Request(
                event, method=method, path=path, path_params=params, route=route, context=context
            )
            response = _to_response(handler(request))
        except HTTPError as exc:
            response = error_response(
                exc.status, exc.message, code=exc.code, request_id=request_id, headers=exc.headers
            )
        except Exception as exc:
            response = _handler_failed(exc, route, request_id, context)
        if head:
            response = response.without_body()
        return response.to_lambda(version)

    def _dispatch_websocket(self, event: Any, context: Any) -> dict[str, Any]:
        """Answer one WebSocket event on its ``requestContext.routeKey`` (``$default`` as the
        fallback when declared); never raises."""
        request_id: str | None = None
        route: Route | None = None
        try:
            request_context = _dict(event.get("requestContext")) if isinstance(event, dict) else {}
            rid = request_context.get("requestId")
            request_id = rid if isinstance(rid, str) else None
            route_key = request_context.get("routeKey")
            if not isinstance(event, dict) or not isinstance(route_key, str):
                raise HTTPError(400, _NOT_WEBSOCKET)
            route = self._by_key.get(route_key) or self._by_key.get("$default")
            if route is None:
                raise HTTPError(404, f"no handler for the route key {route_key[:200]!r}")
            request = Request(event, method=WEBSOCKET, path=route_key, route=route, context=context)
            result = self._handlers[route.key](request)
            response = Response(200) if result is None else _to_response(result)
        except HTTPError as exc:
            response = error_response(
                exc.status, exc.message, code=exc.code, request_id=request_id, headers=exc.headers
            )
        except Exception as exc:
            response = _handler_failed(exc, route, request_id, context)
        return response.to_lambda("1.0")

    def _resolve(
        self,
        method: str,
        path: str,
        route_key: object,
        request_context: dict[str, Any],
        event_params: dict[str, str],
    ) -> tuple[Route, dict[str, str]]:
        """The route answering a request and its path parameters, or a 404/405
        :class:`HTTPError`; HEAD falls back to GET.

        The event's route key is trusted only if every path parameter of that route can be
        read from the path or the event's ``pathParameters``.
        """
        if isinstance(route_key, str) and route_key in self._handlers:
            route = self._by_key[route_key]
            params = self._params(self._templates[route.path], path, request_context, event_params)
            if route.method == method and params is not None:
                return route, params
        matched = self._match(_split(path), request_context)
        if not matched:
            raise HTTPError(404, f"no route for {method} {path[:200]}")
        for template in matched:
            entry = template.handlers.get(method)
            if entry is None and method == "HEAD":
                entry = template.handlers.get("GET")
            if entry is not None:
                params = self._params(template, path, request_context, event_params)
                if params is not None:
                    return entry[0], params
        allow = sorted({m for t in matched for m in t.allow()}, key=METHODS.index)
        raise HTTPError(
            405,
            f"{method} is not allowed on {matched[0].path}; allowed: {', '.join(allow)}",
            headers={"Allow": ", ".join(allow)},
        )

    @staticmethod
    def _params(
        template: _Template, path: str, request_context: dict[str, Any], event_params: dict[str, str]
    ) -> dict[str, str] | None:
        """``template``'s parameters from the path, overridden by the event's; None if one is
        missing."""
        parts = _split(path)
        found = template.match(parts)
        if found is None and _stage_prefixed(parts, request_context):
            found = template.match(parts[1:])
        params = dict(found or {})
        for name in template.names:
            if name in event_params:
                params[name] = event_params[name]
        return params if all(name in params for name in template.names) else None

    def _match(self, parts: list[str], request_context: dict[str, Any]) -> list[_Template]:
        """Templates matching ``parts``, most specific first (retried without a stage prefix)."""
        found = [t for t in self._ordered if t.match(parts) is not None]
        if not found and _stage_prefixed(parts, request_context):
            found = [t for t in self._ordered if t.match(parts[1:]) is not None]
        return found


def _stage_prefixed(parts: list[str], request_context: dict[str, Any]) -> bool:
    """True if the path starts with the (named) stage, as 2.0 ``rawPath`` does off ``$default``."""
    stage = request_context.get("stage")
    return isinstance(stage, str) and stage != "$default" and parts[:1] == [stage]


def _to_response(result: object) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(204)
    return json_response(result)


__all__ = [
    "HTTPError",
    "Request",
    "Response",
    "Router",
    "RouterError",
    "error_response",
    "json_response",
]


def _handler_failed(exc: Exception, route: Route | None, request_id: str | None, context: Any) -> Response:
    """The 500 for a handler that raised, after one JSON log line with its traceback."""
    log_json(
        "ERROR",
        "unhandled exception in handler",
        route=route.key if route is not None else None,
        request_id=request_id,
        aws_request_id=getattr(context, "aws_request_id", None),
        error_type=type(exc).__name__,
        error=str(exc),
        traceback=traceback.format_exc(),
    )
    return error_response(500, "internal error", request_id=request_id)
