"""WebSocket: route keys in docstrings, the router on real WebSocket events, the org authorizer on
the real ``$connect`` authorizer event, and the helper that posts to a connection."""

from __future__ import annotations

import copy
import json
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cora_runtime.routes import CONNECT, WEBSOCKET, RouteDocstringError, parse_docstring, parse_source
from cora_runtime.routing import Request, Router, RouterError
from cora_runtime.websocket import WebSocketConfigError, encode, management_endpoint, post_to_connection

from .support import AUDIENCE, COOKIE, ISSUER, JWKSServer, Keys, load_event, log_lines, mint

WS_AUTHORIZER_EVENT = "apiGatewayAuthorizerWebSocketEvent.json"
WS_CONNECT_EVENT = "apiGatewayWebSocketApiConnect.json"
WS_MESSAGE_EVENT = "apiGatewayWebSocketApiMessage.json"
WS_DISCONNECT_EVENT = "apiGatewayWebSocketApiDisconnect.json"

DOC = """Chat.

Routes - WebSocket:
- $connect - Client connection
- $disconnect - Client disconnection
- chat - Receive a chat message
"""


# --- the docstring grammar --------------------------------------------------------------------


def test_the_issue_docstring_declares_four_route_keys() -> None:
    routes = parse_docstring(
        """Transcripts.

Routes - WebSocket:
- $connect - Client connection
- $disconnect - Client disconnection
- transcript - Receive transcript segment from bot
- status - Receive session status update from bot
""",
        "transcripts.py",
    )
    assert [(r.key, r.method, r.protocol, r.line, r.description) for r in routes] == [
        ("$connect", WEBSOCKET, "websocket", 4, "Client connection"),
        ("$disconnect", WEBSOCKET, "websocket", 5, "Client disconnection"),
        ("transcript", WEBSOCKET, "websocket", 6, "Receive transcript segment from bot"),
        ("status", WEBSOCKET, "websocket", 7, "Receive session status update from bot"),
    ]
    assert all(r.auth == "org" and r.as_dict()["protocol"] == "websocket" for r in routes)
    assert "protocol" not in parse_docstring("Routes:\n- GET /x - X\n")[0].as_dict()


def test_a_section_of_dollar_keys_is_websocket_without_the_header_word() -> None:
    routes = parse_docstring("Routes:\n- $connect - Kiosk [public: lobby screens]\n- $default - Anything\n")
    assert [(r.key, r.auth, r.public_reason) for r in routes] == [
        ("$connect", "public", "lobby screens"),
        ("$default", "org", None),
    ]


def test_mixing_http_routes_and_route_keys_fails_with_file_and_line() -> None:
    source = '"""Mixed.\n\nRoutes:\n- GET /x - X\n- $connect - Connect\n"""\n'
    with pytest.raises(RouteDocstringError) as error:
        parse_source(source, "mixed/lambda_function.py")
    assert error.value.problems[0][:2] == ("mixed/lambda_function.py", 5)
    assert "GET /x at mixed/lambda_function.py:4" in str(error.value)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("- $connected - x", "unknown WebSocket route key '$connected'"),
        ("- chat - Chat [public: no]", "move the tag to the $connect line"),
        ("- chat - Chat [auth: iam]", "move the tag to the $connect line"),
        ("- $connect - C [public: ]", "has no reason"),
        ("- bad key! - x", "cannot read WebSocket route line"),
        ("- " + "k" * 129 + " - long", "invalid WebSocket route key"),
    ],
)
def test_bad_route_key_lines_are_refused_with_their_line(line: str, expected: str) -> None:
    with pytest.raises(RouteDocstringError) as error:
        parse_docstring(f"Routes - WebSocket:\n- $connect - C\n{line}\n", "ws.py")
    problem = next(p for p in error.value.problems if expected in p[2])
    assert problem[:2] == ("ws.py", 3)


def test_an_empty_websocket_section_shows_a_route_key_line() -> None:
    with pytest.raises(RouteDocstringError, match=r"like `- \$connect - Client connection`"):
        parse_docstring("Routes - WebSocket:\n")
    with pytest.raises(RouteDocstringError, match=r"expected `- \$connect - Client connection`"):
        parse_docstring("Routes - WebSocket:\n  the socket of the app\n")


def test_a_key_declared_twice_in_one_docstring_is_refused() -> None:
    with pytest.raises(RouteDocstringError, match="declared twice"):
        parse_docstring("Routes - WebSocket:\n- $connect - a\n- $connect - b\n")


def test_a_custom_key_in_an_http_section_points_at_the_websocket_header() -> None:
    with pytest.raises(RouteDocstringError, match="Routes - WebSocket:"):
        parse_docstring("Routes:\n- GET /x - X\n- chat - Chat\n")


# --- the router on the real events ------------------------------------------------------------


def make_router(doc: str = DOC) -> tuple[Router, list[tuple[str, Request]]]:
    router = Router(doc)
    seen: list[tuple[str, Request]] = []

    @router.route("$connect")
    def connect(request: Request) -> None:
        seen.append(("connect", request))

    @router.route("$disconnect")
    def disconnect(request: Request) -> None:
        seen.append(("disconnect", request))

    @router.route("chat")
    def chat(request: Request) -> dict[str, object]:
        seen.append(("chat", request))
        return {"echo": request.json()["message"]}

    return router, seen


def test_router_dispatches_the_real_events_on_their_route_key() -> None:
    router, seen = make_router()
    handler = router.handler()
    assert handler(load_event(WS_CONNECT_EVENT), None)["statusCode"] == 200
    message = handler(load_event(WS_MESSAGE_EVENT), None)
    assert message["statusCode"] == 200 and json.loads(message["body"]) == {"echo": "Hello from client"}
    assert handler(load_event(WS_DISCONNECT_EVENT), None)["statusCode"] == 200
    assert [(name, r.route_key, r.connection_id, r.event_type) for name, r in seen] == [
        ("connect", "$connect", "BFHPhfCWIAMCKlQ=", "CONNECT"),
        ("chat", "chat", "BFaT_fALIAMCKug=", "MESSAGE"),
        ("disconnect", "$disconnect", "BFaT_fALIAMCKug=", "DISCONNECT"),
    ]


def test_an_undeclared_key_goes_to_default_or_is_a_404() -> None:
    router, _seen = make_router()
    handler = router.handler()
    event = load_event(WS_MESSAGE_EVENT)
    event["requestContext"]["routeKey"] = "typing"
    assert handler(event, None)["statusCode"] == 404

    with_default = Router(DOC + "- $default - Anything else\n")
    hits: list[str | None] = []
    for key in ("$connect", "$disconnect", "chat", "$default"):
        with_default.route(key)(lambda request, key=key: hits.append(request.route_key))
    assert with_default.handler()(event, None)["statusCode"] == 200
    assert hits == ["typing"]


def test_a_refusal_on_connect_and_a_crash_are_error_responses(capsys: pytest.CaptureFixture[str]) -> None:
    from cora_runtime.responses import HTTPError

    router = Router(DOC)

    @router.route("$connect")
    def connect(request: Request) -> None:
        raise HTTPError(403, "not in this room")

    @router.route("$disconnect")
    def disconnect(request: Request) -> None:
        raise RuntimeError("boom")

    router.route("chat")(lambda request: None)
    handler = router.handler()
    assert handler(load_event(WS_CONNECT_EVENT), None)["statusCode"] == 403
    assert handler(load_event(WS_DISCONNECT_EVENT), None)["statusCode"] == 500
    assert log_lines(capsys.readouterr().out)[0]["route"] == "$disconnect"
    assert handler({"not": "websocket"}, None)["statusCode"] == 400


def test_handlers_are_checked_against_the_route_keys_at_import() -> None:
    router = Router(DOC)
    with pytest.raises(RouterError, match="does not declare"):
        router.route("typing")(lambda request: None)
    with pytest.raises(RouterError, match="not a route key"):
        router.route("not a key")(lambda request: None)
    router.route("$connect")(lambda request: None)
    with pytest.raises(RouterError, match=r"route \$disconnect is declared .* no handler"):
        router.handler()


# --- the org authorizer on the real $connect authorizer event -------------------------------


@pytest.fixture()
def authorize(authorizer_module: ModuleType, jwks: JWKSServer) -> Any:
    config = authorizer_module.Config(
        jwks.url, ISSUER, frozenset({AUDIENCE}), COOKIE, query_param="access_token"
    )
    return authorizer_module.Authorizer(config)


CONNECT_ARN = "arn:aws:execute-api:us-east-1:533568316194:c5jwxq709g/production/$connect"


def handshake(cookie: str | None = None, query: dict[str, str] | None = None) -> dict[str, Any]:
    """The real WebSocket authorizer event, with a Cookie header and/or query string added."""
    event = copy.deepcopy(load_event(WS_AUTHORIZER_EVENT))
    assert event["methodArn"] == CONNECT_ARN
    if cookie is not None:
        event["headers"]["Cookie"] = cookie
        event["multiValueHeaders"]["Cookie"] = [cookie]
    if query is not None:
        event["queryStringParameters"] = dict(query)
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return event


def assert_allowed(response: dict[str, Any]) -> None:
    assert response["principalId"] == "user-123"
    assert response["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": CONNECT_ARN}
    ]
    assert response["context"]["sub"] == "user-123"


def assert_denied(response: dict[str, Any], out: str, reason: str) -> None:
    assert response["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert "isAuthorized" not in response
    denies = [line for line in log_lines(out) if line["message"] == "deny"]
    assert [d["reason"] for d in denies] == [reason]


def test_connect_with_the_session_cookie_is_allowed_on_its_method_arn(authorize: Any, keys: Keys) -> None:
    assert_allowed(authorize(handshake(cookie=f"theme=dark; {COOKIE}={mint(keys.current)}")))


def test_connect_with_the_query_string_token_is_allowed(authorize: Any, keys: Keys) -> None:
    assert_allowed(authorize(handshake(query={"access_token": mint(keys.current), "room": "a"})))


def test_connect_without_a_token_is_denied(
    authorize: Any, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    # the fixture's own "Authorization: Leo" is no Bearer token; "token" is not the configured name
    response = authorize(handshake(query={"token": mint(keys.current)}))
    assert_denied(response, capsys.readouterr().out, "no_token")


def test_connect_with_a_forged_token_is_denied(
    authorize: Any, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = mint(keys.foreign, headers={"kid": keys.current.kid})
    response = authorize(handshake(query={"access_token": forged}))
    assert_denied(response, capsys.readouterr().out, "bad_signature")


def test_connect_with_an_expired_token_is_denied(
    authorize: Any, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    expired = mint(keys.current, exp=1_000_000, iat=999_000)
    assert_denied(authorize(handshake(cookie=f"{COOKIE}={expired}")), capsys.readouterr().out, "expired")


def test_the_query_string_is_read_on_connect_only(
    authorizer_module: ModuleType, authorize: Any, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    rest = load_event("apiGatewayAuthorizerRequestEvent.json")
    rest["queryStringParameters"] = {"access_token": mint(keys.current)}
    rest["multiValueQueryStringParameters"] = {"access_token": [mint(keys.current)]}
    response = authorize(rest)
    assert response["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert "no_token" in capsys.readouterr().out


def test_a_connect_arn_that_is_not_one_is_denied(authorize: Any, keys: Keys) -> None:
    event = handshake(cookie=f"{COOKIE}={mint(keys.current)}")
    event["methodArn"] = "arn:aws:execute-api:us-east-1:533568316194:c5jwxq709g/*/$connect"
    assert authorize(event)["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_the_query_parameter_name_comes_from_the_environment(authorizer_module: ModuleType) -> None:
    base = {
        "JWKS_URL": "https://id.example.test/jwks",
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
        "SESSION_COOKIE_NAME": COOKIE,
    }
    assert authorizer_module.Config.from_env(base).query_param == "token"
    assert authorizer_module.Config.from_env({**base, "WS_TOKEN_QUERY_PARAM": "jwt"}).query_param == "jwt"
    with pytest.raises(authorizer_module.ConfigError, match="WS_TOKEN_QUERY_PARAM"):
        authorizer_module.Config.from_env({**base, "WS_TOKEN_QUERY_PARAM": "a b"})


# --- posting to a connection ------------------------------------------------------------------


def test_post_to_connection_against_moto_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.server import ThreadedMotoServer

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("WEBSOCKET_API_URL", f"http://{host}:{port}")
        assert post_to_connection("BFaT_fALIAMCKug=", {"type": "task.changed", "id": "t1"}) is True
        client = boto3.client("apigatewaymanagementapi", endpoint_url=f"http://{host}:{port}")
        assert "ConnectedAt" in client.get_connection(ConnectionId="BFaT_fALIAMCKug=")
    finally:
        server.stop()


def stubbed() -> tuple[Any, Stubber]:
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url="https://abc123.execute-api.us-east-1.amazonaws.com/dev",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    return client, Stubber(client)


def test_a_gone_connection_is_false_not_an_exception() -> None:
    client, stubber = stubbed()
    stubber.add_client_error("post_to_connection", service_error_code="GoneException", http_status_code=410)
    stubber.add_response("post_to_connection", {}, {"ConnectionId": "c2", "Data": b'{"a":1}'})
    with stubber:
        assert post_to_connection("c1", "hello", client=client) is False
        assert post_to_connection("c2", {"a": 1}, client=client) is True


def test_other_errors_are_raised() -> None:
    from botocore.exceptions import ClientError

    client, stubber = stubbed()
    stubber.add_client_error(
        "post_to_connection", service_error_code="ForbiddenException", http_status_code=403
    )
    with stubber, pytest.raises(ClientError):
        post_to_connection("c1", b"x", client=client)


def test_the_endpoint_must_be_configured() -> None:
    with pytest.raises(WebSocketConfigError, match="WEBSOCKET_API_URL"):
        management_endpoint({})
    assert management_endpoint({"WEBSOCKET_API_URL": "https://a.example/dev/"}) == "https://a.example/dev"
    assert encode("é") == "é".encode() and encode(b"\x00") == b"\x00" and encode({"a": [1]}) == b'{"a":[1]}'


def test_connect_is_the_connect_key() -> None:
    assert CONNECT == "$connect"
