"""cora_runtime.routing: the docstring router, checked at import and dispatching real events."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cora_runtime.responses import (
    ConflictError,
    HTTPError,
    NotFoundError,
    Response,
    error_code,
    error_response,
    json_response,
)
from cora_runtime.routes import RouteDocstringError
from cora_runtime.routing import Request, Router, RouterError

from .support import (
    V1_PROXY_EVENT,
    V2_PROXY_AFTER_AUTHORIZER_EVENT,
    V2_PROXY_EVENT,
    load_event,
    log_lines,
)

DOC = """Tasks API.

Routes - Tasks:
- GET /tasks - List tasks
- POST /tasks - Create a task
- GET /tasks/export - Export all tasks
- GET /tasks/{task_id} - Get one task
- DELETE /tasks/:task_id - Delete a task
- GET /files/{path+} - Download a file
- POST /my/path - The fixture route
- GET /health - Probe [public: uptime check]
"""


def build(doc: str = DOC) -> tuple[Router, Any]:
    router = Router(doc, source="tasks_module.py")

    @router.route("GET /tasks")
    def list_tasks(request: Request) -> list[dict[str, Any]]:
        return [{"id": "1", "limit": request.query.get("limit")}]

    @router.route("POST /tasks")
    def create_task(request: Request) -> Response:
        body = request.json()
        if body.get("title") == "dup":
            raise ConflictError("a task with this title exists", code="duplicate_title")
        return json_response({"created": body}, 201, cookies=["last=1; Path=/; HttpOnly"])

    @router.route("GET /tasks/export")
    def export(request: Request) -> dict[str, str]:
        return {"export": "all"}

    @router.route("GET /tasks/{task_id}")
    def get_task(request: Request) -> dict[str, Any]:
        if request.path_params["task_id"] == "missing":
            raise NotFoundError("no task missing")
        if request.path_params["task_id"] == "boom":
            raise KeyError("secret-internal-detail")
        return {"id": request.path_params["task_id"], "price": Decimal("9.50"), "n": Decimal("3")}

    @router.route("DELETE /tasks/{task_id}")
    def delete_task(request: Request) -> None:
        return None

    @router.route("GET /files/{path+}")
    def download(request: Request) -> dict[str, str]:
        return {"path": request.path_params["path"]}

    @router.route("POST /my/path")
    def fixture_route(request: Request) -> dict[str, Any]:
        return {
            "json": request.json(),
            "headers": request.headers,
            "cookies": request.cookies,
            "claims": request.claims,
            "query_all": request.query_all,
        }

    @router.route("GET /health")
    def health(request: Request) -> dict[str, bool]:
        return {"ok": True}

    return router, router.handler()


def v2(method: str, path: str, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "headers": {},
        "requestContext": {
            "http": {"method": method, "path": path},
            "requestId": "req-1",
            "stage": "$default",
        },
    }
    event.update(extra)
    return event


def body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


# --- dispatch of the real fixture events ----------------------------------------------------


def test_v2_fixture_dispatch_json_headers_cookies() -> None:
    _, handler = build()
    response = handler(load_event(V2_PROXY_EVENT), None)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    data = body(response)
    assert data["json"] == {"message": "hello world", "username": "tom"}
    assert data["headers"] == {"header1": "value1", "header2": "value1,value2"}
    assert data["cookies"] == {}  # "cookie1", "cookie2" have no '='
    assert data["claims"] == {"claim1": "value1", "claim2": "value2"}  # the JWT authorizer's
    assert data["query_all"] == {"parameter1": ["value1", "value2"], "parameter2": ["value"]}
    assert "multiValueHeaders" not in response


def test_v1_fixture_text_body_is_a_clear_400_when_read_as_json() -> None:
    _, handler = build()
    event = load_event(V1_PROXY_EVENT)
    event["httpMethod"], event["path"], event["resource"] = "POST", "/my/path", "/my/path"
    response = handler(event, None)
    assert response["statusCode"] == 400
    error = body(response)["error"]
    assert error["code"] == "bad_request"
    assert error["message"].startswith("the request body is not valid JSON: Expecting value at line 1")
    assert error["request_id"] == "id="


def test_v1_fixture_get_known_path_other_method_is_405() -> None:
    _, handler = build()
    response = handler(load_event(V1_PROXY_EVENT), None)  # GET /my/path; only POST documented
    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "POST"
    assert body(response)["error"]["code"] == "method_not_allowed"


def test_v2_authorizer_context_and_event_path_parameters_win() -> None:
    router = Router("Routes:\n- GET /my/{proxy+} - Catch all\n", source="m.py")

    @router.route("GET /my/{proxy+}")
    def catch_all(request: Request) -> dict[str, Any]:
        return {"params": request.path_params, "authorizer": request.authorizer, "body": request.body}

    response = router.handler()(load_event(V2_PROXY_AFTER_AUTHORIZER_EVENT), None)
    assert body(response) == {
        "params": {"proxy": "hello/world"},  # the event's pathParameters, not "path"
        "authorizer": {"claim1": "value1"},
        "body": '{\r\n\t"a": 1\r\n}',
    }


def test_lambda_authorizer_context_v2_and_v1() -> None:
    router = Router("Routes:\n- GET /me - Who am I\n", source="m.py")

    @router.route("GET /me")
    def me(request: Request) -> dict[str, Any]:
        return {"claims": request.claims, "authorizer": request.authorizer}

    handler = router.handler()
    event = v2("GET", "/me")
    event["requestContext"]["authorizer"] = {"lambda": {"sub": "u1", "email": "a@b"}}
    assert body(handler(event, None)) == {
        "claims": {"sub": "u1", "email": "a@b"},
        "authorizer": {"sub": "u1", "email": "a@b"},
    }
    v1 = load_event(V1_PROXY_EVENT)
    v1["path"] = v1["resource"] = "/me"
    v1["requestContext"]["authorizer"] = {"principalId": "u1", "sub": "u1", "integrationLatency": 3}
    assert body(handler(v1, None))["claims"]["sub"] == "u1"


# --- matching -------------------------------------------------------------------------------


def test_path_params_literal_beats_param_and_colon_keys() -> None:
    _, handler = build()
    assert body(handler(v2("GET", "/tasks/export"), None)) == {"export": "all"}
    got = body(handler(v2("GET", "/tasks/a%20b"), None))
    assert got == {"id": "a b", "price": 9.5, "n": 3}
    deleted = handler(v2("DELETE", "/tasks/7"), None)
    assert deleted["statusCode"] == 204 and deleted["body"] == ""


def test_greedy_trailing_slash_and_route_key_dispatch() -> None:
    _, handler = build()
    assert body(handler(v2("GET", "/files/a/b/c.txt"), None)) == {"path": "a/b/c.txt"}
    assert handler(v2("GET", "/files"), None)["statusCode"] == 404  # {path+} needs a segment
    assert body(handler(v2("GET", "/tasks/"), None))[0]["id"] == "1"
    # A named stage: rawPath carries the stage; the routeKey still names the route.
    event = v2("GET", "/prod/tasks/42", routeKey="GET /tasks/{task_id}", pathParameters={"task_id": "42"})
    event["requestContext"]["stage"] = "prod"
    assert body(handler(event, None))["id"] == "42"
    # Without a routeKey ($default route), the stage prefix is dropped to match.
    event = v2("GET", "/prod/tasks/43")
    event["requestContext"]["stage"] = "prod"
    assert body(handler(event, None))["id"] == "43"


def test_route_key_is_trusted_only_when_its_parameters_resolve() -> None:
    _, handler = build()
    # A routeKey naming /tasks/{task_id} on a path without the id and no pathParameters:
    # the path decides (GET /tasks), the handler never sees a missing parameter.
    event = v2("GET", "/tasks", routeKey="GET /tasks/{task_id}")
    assert body(handler(event, None))[0]["id"] == "1"
    event = v2("GET", "/", routeKey="GET /tasks/{task_id}")
    assert handler(event, None)["statusCode"] == 404


def test_unknown_path_404_and_other_method_405_with_allow() -> None:
    _, handler = build()
    missing = handler(v2("GET", "/nope"), None)
    assert missing["statusCode"] == 404
    assert body(missing) == {
        "error": {"code": "not_found", "message": "no route for GET /nope", "request_id": "req-1"}
    }
    # PUT /tasks/export matches both /tasks/export and /tasks/{task_id}: Allow lists both.
    not_allowed = handler(v2("PUT", "/tasks/export"), None)
    assert not_allowed["statusCode"] == 405
    assert not_allowed["headers"]["Allow"] == "GET, DELETE, HEAD"
    assert handler(v2("PATCH", "/tasks"), None)["headers"]["Allow"] == "GET, POST, HEAD"


def test_head_falls_back_to_get_without_body() -> None:
    _, handler = build()
    response = handler(v2("HEAD", "/health"), None)
    assert response["statusCode"] == 200 and response["body"] == ""
    not_allowed = handler(v2("HEAD", "/my/path"), None)
    assert (not_allowed["statusCode"], not_allowed["body"]) == (405, "")
    assert handler(v2("HEAD", "/nope"), None)["body"] == ""


# --- handler results and errors -------------------------------------------------------------


def test_http_error_and_response_cookies_per_payload_version() -> None:
    _, handler = build()
    created = handler(v2("POST", "/tasks", body=json.dumps({"title": "t"})), None)
    assert created["statusCode"] == 201 and created["cookies"] == ["last=1; Path=/; HttpOnly"]
    v1 = load_event(V1_PROXY_EVENT)
    v1.update(httpMethod="POST", path="/tasks", resource="/tasks", body='{"title": "t"}')
    created_v1 = handler(v1, None)
    assert created_v1["multiValueHeaders"] == {"Set-Cookie": ["last=1; Path=/; HttpOnly"]}
    conflict = handler(v2("POST", "/tasks", body='{"title": "dup"}'), None)
    assert conflict["statusCode"] == 409
    assert body(conflict)["error"] == {
        "code": "duplicate_title",
        "message": "a task with this title exists",
        "request_id": "req-1",
    }
    assert body(handler(v2("GET", "/tasks/missing"), None))["error"]["code"] == "not_found"


def test_unhandled_exception_is_500_logged_once_not_leaked(capsys: pytest.CaptureFixture[str]) -> None:
    _, handler = build()

    class Context:
        aws_request_id = "lambda-req-9"

    response = handler(v2("GET", "/tasks/boom"), Context())
    assert response["statusCode"] == 500
    assert "secret-internal-detail" not in response["body"]
    assert body(response)["error"] == {
        "code": "internal_server_error",
        "message": "internal error",
        "request_id": "req-1",
    }
    lines = log_lines(capsys.readouterr().out)
    assert len(lines) == 1
    assert lines[0]["level"] == "ERROR"
    assert lines[0]["route"] == "GET /tasks/{task_id}"
    assert lines[0]["aws_request_id"] == "lambda-req-9"
    assert lines[0]["error_type"] == "KeyError"
    assert "secret-internal-detail" in lines[0]["traceback"]


def test_base64_body_and_bad_base64_and_bad_utf8() -> None:
    _, handler = build()
    payload = base64.b64encode(b'{"title": "b64"}').decode()
    ok = handler(v2("POST", "/tasks", body=payload, isBase64Encoded=True), None)
    assert body(ok)["created"] == {"title": "b64"}
    bad = handler(v2("POST", "/tasks", body="%%%not base64", isBase64Encoded=True), None)
    assert bad["statusCode"] == 400 and "base64" in body(bad)["error"]["message"]
    latin = base64.b64encode("café".encode("latin-1")).decode()
    assert handler(v2("POST", "/tasks", body=latin, isBase64Encoded=True), None)["statusCode"] == 400
    empty = handler(v2("POST", "/tasks"), None)
    assert empty["statusCode"] == 400 and "empty" in body(empty)["error"]["message"]


@pytest.mark.parametrize(
    "event",
    [
        None,
        [],
        "GET /tasks",
        {},
        {"requestContext": {"http": {"method": "GET"}}},
        {"httpMethod": 5, "path": "/x"},
    ],
)
def test_non_http_events_are_400(event: Any) -> None:
    _, handler = build()
    response = handler(event, None)
    assert response["statusCode"] == 400
    assert body(response)["error"]["code"] == "bad_request"


def test_unserialisable_result_is_a_500() -> None:
    router = Router("Routes:\n- GET /x - X\n", source="m.py")

    @router.route("GET /x")
    def x(request: Request) -> object:
        return {"value": object()}

    assert router.handler()(v2("GET", "/x"), None)["statusCode"] == 500


# --- the checks at import -------------------------------------------------------------------


def test_missing_handler_lists_every_route_with_its_line() -> None:
    router = Router(DOC, source="tasks_module.py")

    @router.route("GET /tasks")
    def list_tasks(request: Request) -> list[str]:
        return []

    with pytest.raises(RouterError) as caught:
        router.handler()
    keys = [m.split(" is declared")[0] for _, _, m in caught.value.problems]
    assert keys == [
        "route POST /tasks",
        "route GET /tasks/export",
        "route GET /tasks/{task_id}",
        "route DELETE /tasks/{task_id}",
        "route GET /files/{path+}",
        "route POST /my/path",
        "route GET /health",
    ]
    assert caught.value.problems[0][:2] == ("tasks_module.py", 5)
    assert isinstance(caught.value, RouteDocstringError)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("GET /nope", "GET /nope, which the module docstring does not declare"),
        ("PUT /tasks", "PUT /tasks, which the module docstring does not declare"),
        ("FETCH /tasks", "is not a route key"),
        ("GET tasks", "is not a route key"),
    ],
)
def test_handler_for_an_undocumented_route_fails_at_decoration(key: str, expected: str) -> None:
    router = Router(DOC, source="tasks_module.py")
    with pytest.raises(RouterError, match=r"tasks_module\.py") as caught:

        @router.route(key)
        def extra(request: Request) -> None:
            return None

    assert expected in str(caught.value)


def test_duplicate_handler_and_no_routes_and_no_docstring() -> None:
    router = Router(DOC, source="m.py")

    @router.route("GET /tasks")
    def first(request: Request) -> None:
        return None

    with pytest.raises(RouterError, match="already has a handler"):

        @router.route("GET /tasks")
        def second(request: Request) -> None:
            return None

    with pytest.raises(RouterError, match="declares no routes"):
        Router("Just a module.", source="m.py")
    with pytest.raises(RouterError, match="no docstring"):
        Router(None, source="m.py")
    with pytest.raises(RouteDocstringError, match="unknown HTTP method"):
        Router("Routes:\n- FETCH /x - nope\n", source="m.py")


def _import_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"cora_test_router_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MODULE = '''\
"""Widgets module.

Routes - Widgets:
- GET /widgets - List widgets
- GET /widgets/{widget_id} - Get a widget
"""

from __future__ import annotations

from cora_runtime.routing import Request, Router

router = Router(__doc__, source=__file__)


@router.route("GET /widgets")
def list_widgets(request: Request) -> list[str]:
    return ["w1"]
{extra}

lambda_handler = router.handler()
'''


def test_a_real_module_fails_at_import_naming_file_and_docstring_line(tmp_path: Path) -> None:
    path = tmp_path / "lambda_function.py"
    path.write_text("\n\n" + MODULE.replace("{extra}", ""), encoding="utf-8")  # docstring on line 3
    with pytest.raises(RouterError) as caught:
        _import_module(path)
    assert caught.value.problems == [
        (
            str(path),
            7,
            "route GET /widgets/{widget_id} is declared in the docstring but has no handler: "
            'decorate a function with @router.route("GET /widgets/{widget_id}") or delete the line',
        )
    ]


def test_a_real_module_with_an_extra_handler_fails_at_import(tmp_path: Path) -> None:
    extra = textwrap.dedent(
        """
        @router.route("GET /widgets/{widget_id}")
        def get_widget(request: Request) -> dict[str, str]:
            return {"id": request.path_params["widget_id"]}


        @router.route("POST /widgets")
        def create_widget(request: Request) -> None:
            return None
        """
    )
    path = tmp_path / "lambda_function.py"
    path.write_text(MODULE.replace("{extra}", extra), encoding="utf-8")
    with pytest.raises(RouterError) as caught:
        _import_module(path)
    (filename, line, message) = caught.value.problems[0]
    assert filename == str(path)
    assert path.read_text().splitlines()[line - 1] == '@router.route("POST /widgets")'  # the decorator
    assert message.startswith("create_widget is registered for POST /widgets")


def test_a_correct_module_imports_and_serves(tmp_path: Path) -> None:
    extra = textwrap.dedent(
        """
        @router.route("GET /widgets/:widget_id")
        def get_widget(request: Request) -> dict[str, str]:
            return {"id": request.path_params["widget_id"]}
        """
    )
    path = tmp_path / "lambda_function.py"
    path.write_text(MODULE.replace("{extra}", extra), encoding="utf-8")
    module = _import_module(path)
    assert body(module.lambda_handler(v2("GET", "/widgets/w9"), None)) == {"id": "w9"}
    assert [r.key for r in module.router.routes] == ["GET /widgets", "GET /widgets/{widget_id}"]
    assert "cora_test_router_lambda_function" not in sys.modules


# --- responses ------------------------------------------------------------------------------


def test_error_codes_and_shapes() -> None:
    assert error_code(404) == "not_found"
    assert error_code(405) == "method_not_allowed"
    assert error_code(418) == "im_a_teapot"
    assert error_code(599) == "http_599"
    response = error_response(429, "slow down", request_id="r", headers={"Retry-After": "3"})
    assert response.to_lambda() == {
        "statusCode": 429,
        "headers": {"Content-Type": "application/json", "Retry-After": "3"},
        "body": '{"error":{"code":"too_many_requests","message":"slow down","request_id":"r"}}',
        "isBase64Encoded": False,
    }
    with pytest.raises(ValueError, match="4xx or 5xx"):
        HTTPError(302, "redirect")
    assert HTTPError(503).message == "Service Unavailable"
    assert json_response({"a": "é"}).body == '{"a":"é"}'
    with pytest.raises(ValueError, match="Out of range float"):
        json_response({"nan": float("nan")})
