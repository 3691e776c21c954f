"""The files of a new Lambda (pure rendering): its handler on the runtime's router, with the
routes in the module docstring, and a unit test that calls it with API Gateway events.

The handler source is parsed back with :func:`cora_runtime.routes.parse_source` before anything
is written, so a route the parser refuses (a bad method, a malformed path, a route given twice)
is refused with the parser's own message. Route keys that are not ``METHOD /path`` (WebSocket
keys such as ``$connect``) go in a ``Routes - WebSocket:`` section: they are accepted exactly
when the runtime's parser accepts them.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass

from cora_runtime.routes import METHODS, Route, RouteDocstringError, parse_source

WEBSOCKET_CATEGORY = "WebSocket"
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\+?\}|:([A-Za-z_][A-Za-z0-9_]*)")
_NOT_IDENTIFIER = re.compile(r"[^0-9a-zA-Z_]+")
# The methods a 405 test may try, most telling first (HEAD falls back to GET, OPTIONS is CORS).
_OTHER_METHODS = ("DELETE", "PATCH", "PUT", "POST", "GET")


class RouteSpecError(ValueError):
    """A ``--route`` value the runtime's route parser refuses; ``str()`` is one line per problem."""


@dataclass(frozen=True)
class LambdaFiles:
    """The rendered handler and test, and the routes the handler declares (parsed back)."""

    handler: str
    test: str
    routes: tuple[Route, ...]


def title(name: str) -> str:
    """``invoice-api`` -> ``Invoice Api``."""
    return " ".join(part.capitalize() for part in re.split(r"[-_]+", name) if part)


def is_http_route(spec: str) -> bool:
    """True when ``spec`` starts with an HTTP method (``GET /invoices``); else it is a route key."""
    first = spec.strip().split(maxsplit=1)[:1]
    return bool(first) and first[0].upper() in (*METHODS, "ANY")


def _http_shaped(spec: str) -> bool:
    """``WORD /path ...``: an HTTP route, even with a method the parser will refuse by name."""
    words = spec.strip().split(maxsplit=2)
    return is_http_route(spec) or (len(words) >= 2 and words[1].startswith("/"))


def route_line(spec: str, lambda_name: str) -> str:
    """The docstring line for a ``--route`` value: ``GET /invoices`` gets a description; a value
    that already has one (``GET /invoices - List invoices``) or tags is kept as written."""
    spec = " ".join(spec.split())
    words = spec.split(" ")
    if (len(words) == 2 and is_http_route(spec)) or len(words) == 1:
        spec = f"{spec} - Served by {lambda_name}"
    return f"- {spec}"


def render_handler(
    module: str, lambda_name: str, route_specs: list[str], keys: list[str] | None = None
) -> str:
    """The handler module: docstring routes, one function per route on the runtime's router.

    ``keys`` are the route keys of ``route_specs`` (parsed); without them the functions are
    registered on the specs' first two words, which is what the first parse needs.
    """
    http = [spec for spec in route_specs if _http_shaped(spec)]
    other = [spec for spec in route_specs if not _http_shaped(spec)]
    lines = [
        '"""',
        f"{title(lambda_name)} - the {lambda_name} Lambda of the {module} module.",
        "",
    ]
    if http:
        lines.append(f"Routes - {title(module)}:")
        lines += [route_line(spec, lambda_name) for spec in http]
        lines.append("")
    if other:
        lines.append(f"Routes - {WEBSOCKET_CATEGORY}:")
        lines += [route_line(spec, lambda_name) for spec in other]
        lines.append("")
    lines.pop()
    lines += [
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any",
        "",
        "from cora_runtime.routing import Request, Router",
        "",
        "router = Router(__doc__, source=__file__)",
    ]
    route_keys = keys if keys is not None else [_first_key(spec) for spec in [*http, *other]]
    used: set[str] = set()
    for key in route_keys:
        name = function_name(key, used)
        lines += [
            "",
            "",
            f"@router.route({json.dumps(key)})",
            f"def {name}(request: Request) -> Any:",
            f"    return {{{json.dumps('route')}: {json.dumps(key)}, "
            f"{json.dumps('lambda')}: {json.dumps(lambda_name)}, "
            f"{json.dumps('path_params')}: request.path_params}}",
        ]
    lines += ["", "", "lambda_handler = router.handler()", ""]
    return "\n".join(lines)


def _first_key(spec: str) -> str:
    words = spec.split()
    return " ".join(words[:2]) if _http_shaped(spec) else words[0]


def function_name(route_key: str, used: set[str]) -> str:
    """A Python function name for a route: ``GET /invoices/{invoice_id}`` ->
    ``get_invoices_by_invoice_id``, ``$connect`` -> ``on_connect``; unique within ``used``."""
    if is_http_route(route_key):
        method, _, path = route_key.partition(" ")
        parts = [method.lower()]
        for segment in path.strip("/").split("/"):
            param = _PARAM.fullmatch(segment)
            if param:
                parts += ["by", param.group(1) or param.group(2)]
            elif segment:
                parts.append(segment)
    else:
        parts = ["on", route_key.lstrip("$")]
    base = _NOT_IDENTIFIER.sub("_", "_".join(parts)).strip("_").lower() or "route"
    if base[0].isdigit() or keyword.iskeyword(base):
        base = f"route_{base}"
    name, count = base, 2
    while name in used:
        name, count = f"{base}_{count}", count + 1
    used.add(name)
    return name


def render_lambda(module: str, lambda_name: str, route_specs: list[str], handler_path: str) -> LambdaFiles:
    """The handler and its test; raises :class:`RouteSpecError` with the parser's messages."""
    if not route_specs:
        return LambdaFiles(render_worker(module, lambda_name), render_worker_test(module, lambda_name), ())
    draft = render_handler(module, lambda_name, route_specs)
    try:
        routes = parse_source(draft, handler_path)
    except RouteDocstringError as error:
        raise RouteSpecError(
            "; ".join(f"--route: {message} (handler line {line})" for _, line, message in error.problems)
        ) from None
    keys = [route.key for route in routes]
    handler = render_handler(module, lambda_name, route_specs, keys)
    return LambdaFiles(handler, render_test(module, lambda_name, list(routes)), tuple(routes))


def sample_path(path: str) -> tuple[str, dict[str, str]]:
    """A concrete path for a route path and its path parameters: ``/a/{id}`` -> ``/a/example-id``."""
    params: dict[str, str] = {}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        params[name] = f"example-{name.replace('_', '-')}"
        return params[name]

    return _PARAM.sub(fill, path), params


def render_test(module: str, lambda_name: str, routes: list[Route]) -> str:
    """A pytest module calling the handler with HTTP API payload 2.0 events, one test per route,
    plus a 405 for a method the docstring does not declare."""
    http = [route for route in routes if route.method in METHODS]
    identifier = _NOT_IDENTIFIER.sub("_", f"{module}_{lambda_name}").lower()
    lines = [
        f'"""Unit tests of the {lambda_name} Lambda (module {module}): each route is called with an',
        "API Gateway HTTP API payload 2.0 event, the event API Gateway sends the Lambda. Run `pytest`.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import importlib.util",
        "import json",
        "from pathlib import Path",
        "from typing import Any",
        "",
        f'HANDLER = Path(__file__).resolve().parents[1] / "lambdas" / "{lambda_name}" / "lambda_function.py"',
        "",
        "",
        "def _load_handler() -> Any:",
        f'    spec = importlib.util.spec_from_file_location("{identifier}_handler", HANDLER)',
        "    assert spec is not None and spec.loader is not None",
        "    module = importlib.util.module_from_spec(spec)",
        "    spec.loader.exec_module(module)",
        "    return module.lambda_handler",
        "",
        "",
        "lambda_handler = _load_handler()",
        "",
        "",
        "def http_event(",
        "    method: str,",
        "    path: str,",
        "    route_key: str,",
        "    path_parameters: dict[str, str] | None = None,",
        "    body: str | None = None,",
        "    *,",
        "    authorized: bool = True,",
        ") -> dict[str, Any]:",
        '    """An HTTP API (payload format 2.0) event as API Gateway sends it; an authorized request',
        '    carries the org authorizer\'s context, a public route\'s none."""',
        "    event: dict[str, Any] = {",
        '        "version": "2.0",',
        '        "routeKey": route_key,',
        '        "rawPath": path,',
        '        "rawQueryString": "",',
        '        "cookies": ["session=example-session"],',
        '        "headers": {',
        '            "accept": "application/json",',
        '            "content-type": "application/json",',
        '            "host": "api-id.execute-api.eu-west-1.amazonaws.com",',
        '            "user-agent": "pytest",',
        "        },",
        '        "requestContext": {',
        '            "accountId": "123456789012",',
        '            "apiId": "api-id",',
        '            "authorizer": {"lambda": {"sub": "user-1", "email": "user-1@example.com"}},',
        '            "domainName": "api-id.execute-api.eu-west-1.amazonaws.com",',
        '            "domainPrefix": "api-id",',
        '            "http": {',
        '                "method": method,',
        '                "path": path,',
        '                "protocol": "HTTP/1.1",',
        '                "sourceIp": "192.0.2.10",',
        '                "userAgent": "pytest",',
        "            },",
        '            "requestId": "request-1",',
        '            "routeKey": route_key,',
        '            "stage": "$default",',
        '            "time": "30/Nov/2026:12:00:00 +0000",',
        '            "timeEpoch": 1796040000000,',
        "        },",
        '        "isBase64Encoded": False,',
        "    }",
        "    if authorized:",
        '        identity = {"sub": "user-1", "email": "user-1@example.com"}',
        '        event["requestContext"]["authorizer"] = {"lambda": identity}',
        "    if path_parameters:",
        '        event["pathParameters"] = path_parameters',
        "    if body is not None:",
        '        event["body"] = body',
        "    return event",
    ]
    used: set[str] = set()
    for route in http:
        path, params = sample_path(route.path)
        body = ", body='{\"example\": true}'" if route.method in ("POST", "PUT", "PATCH") else ""
        if route.is_public:
            body += ", authorized=False"
        name = function_name(route.key, used)
        lines += [
            "",
            "",
            f"def test_{name}() -> None:",
            f"    event = http_event({json.dumps(route.method)}, {json.dumps(path)}, "
            f"{json.dumps(route.key)}, {_literal(params)}{body})",
            "    response = lambda_handler(event, None)",
            '    assert response["statusCode"] == 200, response',
            '    payload = json.loads(response["body"])',
            f'    assert payload["route"] == {json.dumps(route.key)}',
            f'    assert payload["path_params"] == {_literal(params) if params else "{}"}',
        ]
    by_path: dict[str, set[str]] = {}
    for route in http:
        by_path.setdefault(route.path, set()).add(route.method)
    for route_path, methods in sorted(by_path.items()):
        other = next((m for m in _OTHER_METHODS if m not in methods), None)
        if other is None:
            continue
        path, params = sample_path(route_path)
        lines += [
            "",
            "",
            f"def test_{other.lower()}_{function_name('GET ' + route_path, set()).removeprefix('get_')}"
            "_is_not_allowed() -> None:",
            # Only a `$default` route sends API Gateway a request no route declares.
            f'    event = http_event({json.dumps(other)}, {json.dumps(path)}, "$default")',
            "    response = lambda_handler(event, None)",
            '    assert response["statusCode"] == 405, response',
            '    allowed = set(response["headers"]["Allow"].split(", "))',
            f"    assert {{{', '.join(json.dumps(m) for m in sorted(methods, key=METHODS.index))}}}"
            " <= allowed",
        ]
        break
    lines.append("")
    return "\n".join(lines)


def _literal(value: dict[str, str]) -> str:
    return (
        "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in value.items()) + "}"
        if value
        else "None"
    )


def render_worker(module: str, lambda_name: str) -> str:
    """A Lambda without routes (a scheduled or queue worker): a plain ``lambda_handler``."""
    return f'''"""
{title(lambda_name)} - the {lambda_name} Lambda of the {module} module.

It has no HTTP routes: it runs on a schedule, a queue or another trigger, so it is a plain
StandardLambda. Give it routes with a `Routes:` section and the runtime's router.
"""

from __future__ import annotations

import json
from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    print(json.dumps({{"lambda": "{lambda_name}", "event_keys": sorted(event)}}))
    return {{"ok": True, "lambda": "{lambda_name}"}}
'''


def render_worker_test(module: str, lambda_name: str) -> str:
    identifier = _NOT_IDENTIFIER.sub("_", f"{module}_{lambda_name}").lower()
    return f'''"""Unit tests of the {lambda_name} Lambda (module {module}). Run `pytest`."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

HANDLER = Path(__file__).resolve().parents[1] / "lambdas" / "{lambda_name}" / "lambda_function.py"


def _load_handler() -> Any:
    spec = importlib.util.spec_from_file_location("{identifier}_handler", HANDLER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lambda_handler


lambda_handler = _load_handler()


def test_a_scheduled_event_is_handled() -> None:
    event = {{
        "version": "0",
        "id": "example-event",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-30T12:00:00Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:123456789012:rule/example"],
        "detail": {{}},
    }}
    assert lambda_handler(event, None) == {{"ok": True, "lambda": "{lambda_name}"}}
'''
