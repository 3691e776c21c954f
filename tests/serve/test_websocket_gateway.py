"""The WebSocket API with functions faked: the handshake's authorizer and $connect, message
routing and API Gateway's error frames, $disconnect, and the connection-management endpoint."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from cora_constructs.serve import websocket_events as wse
from cora_constructs.serve.plan import AuthorizerConfig, LambdaFunction, WebSocketRoute
from cora_constructs.serve.websocket import Connection, WebSocketGateway
from cora_constructs.serve.workers import Invocation
from tests.serve.test_gateway import Functions, function, ok

HANDLER = function("notifications")
AUTHORIZER = function("authorizer")
ORG = AuthorizerConfig("org-authorizer", AUTHORIZER, (), False, "1.0")


def ws_route(key: str, auth: str = "NONE", authorizer: AuthorizerConfig | None = None) -> WebSocketRoute:
    return WebSocketRoute(key, HANDLER, auth, authorizer, 29_000, "dev", "api/WsApi")


ROUTES = [ws_route("$connect", "CUSTOM", ORG), ws_route("$disconnect"), ws_route("watch")]


def policy(
    effect: str, resource: str = "arn:aws:execute-api:us-east-1:123456789012:local/dev/$connect"
) -> Invocation:
    return ok(
        {
            "principalId": "alice",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
            },
            "context": {"user_id": "alice", "sub": "alice"},
        }
    )


class Client:
    """What the server's socket got: frames sent, and the close code."""

    def __init__(self) -> None:
        self.frames: list[str | bytes] = []
        self.closed: int | None = None

    async def send(self, data: str | bytes) -> None:
        self.frames.append(data)

    async def close(self, code: int) -> None:
        self.closed = code


def gateway(functions: Functions, routes: list[WebSocketRoute] = ROUTES) -> WebSocketGateway:
    return WebSocketGateway(routes, functions, log=lambda line: None, region="us-east-1", stage="dev")


def handshake(query: str = "") -> wse.Handshake:
    return wse.Handshake("/dev", query, (("Host", "127.0.0.1:3000"),))


def open_connection(ws: WebSocketGateway, client: Client) -> Connection:
    info = ws.info(handshake())
    assert asyncio.run(ws.connect(info)) is None
    return ws.opened(info, client.send, client.close)


def test_a_denied_handshake_is_refused_with_403_and_connect_does_not_run() -> None:
    functions = Functions(authorizer=policy("Deny"), notifications=ok(None))
    refusal = asyncio.run(gateway(functions).connect(gateway(functions).info(handshake("token=x"))))
    assert refusal is not None and (refusal.status, json.loads(refusal.body)) == (
        403,
        {"message": "Forbidden"},
    )
    (event,) = functions.events["authorizer"]
    assert event["type"] == "REQUEST" and event["methodArn"].endswith("/dev/$connect")
    assert event["queryStringParameters"] == {"token": "x"}
    assert "notifications" not in functions.events


def test_an_authorizer_raising_unauthorized_is_401_and_one_failing_otherwise_500() -> None:
    unauthorized = Invocation("error", error={"errorType": "Exception", "errorMessage": "Unauthorized"})
    crashed = Invocation("error", error={"errorType": "KeyError", "errorMessage": "'x'"})
    for answer, status in ((unauthorized, 401), (crashed, 500), (ok({"nonsense": 1}), 500)):
        ws = gateway(Functions(authorizer=answer, notifications=ok(None)))
        refusal = asyncio.run(ws.connect(ws.info(handshake())))
        assert refusal is not None and refusal.status == status


def test_an_allow_for_another_arn_is_a_deny() -> None:
    ws = gateway(
        Functions(authorizer=policy("Allow", "arn:aws:execute-api:*:*:other/*"), notifications=ok(None))
    )
    refusal = asyncio.run(ws.connect(ws.info(handshake())))
    assert refusal is not None and refusal.status == 403


def test_connect_runs_with_the_authorizer_context_and_its_status_decides() -> None:
    functions = Functions(authorizer=policy("Allow"), notifications=ok({"statusCode": 200}))
    ws = gateway(functions)
    info = ws.info(handshake())
    assert asyncio.run(ws.connect(info)) is None
    (event,) = functions.events["notifications"]
    assert event["requestContext"]["eventType"] == "CONNECT"
    assert event["requestContext"]["authorizer"] == {
        "principalId": "alice",
        "user_id": "alice",
        "sub": "alice",
    }

    for answer, status in (
        (ok({"statusCode": 401, "body": "no"}), 401),
        (Invocation("error", error={"errorType": "ValueError"}), 500),
    ):
        ws = gateway(Functions(authorizer=policy("Allow"), notifications=answer))
        refusal = asyncio.run(ws.connect(ws.info(handshake())))
        assert refusal is not None and refusal.status == status


def test_without_connect_every_handshake_is_accepted() -> None:
    ws = gateway(Functions(), [ws_route("watch")])
    assert asyncio.run(ws.connect(ws.info(handshake()))) is None


def test_messages_go_to_their_action_else_default_else_a_forbidden_frame() -> None:
    functions = Functions(
        authorizer=policy("Allow"), notifications=ok({"statusCode": 200, "body": "ignored"})
    )
    ws = gateway(functions)
    client = Client()
    connection = open_connection(ws, client)
    assert asyncio.run(ws.message(connection, '{"action": "watch", "task_ids": ["t1"]}')) is None
    event = functions.events["notifications"][-1]
    assert (
        event["requestContext"]["routeKey"] == "watch" and event["requestContext"]["eventType"] == "MESSAGE"
    )
    assert event["requestContext"]["authorizer"]["principalId"] == "alice"
    assert client.frames == []  # no route response: what the function returned is not sent

    frame = asyncio.run(ws.message(connection, '{"action": "nope"}'))
    assert frame is not None and client.frames == [frame]
    body = json.loads(frame)
    assert body["message"] == "Forbidden" and body["connectionId"] == connection.id and body["requestId"]

    with_default = gateway(functions, [*ROUTES, ws_route("$default")])
    other = open_connection(with_default, Client())
    assert asyncio.run(with_default.message(other, "plain text")) is None
    assert functions.events["notifications"][-1]["requestContext"]["routeKey"] == "$default"


def test_a_failing_function_answers_an_internal_server_error_frame() -> None:
    functions = Functions(authorizer=policy("Allow"), notifications=ok(None))
    ws = gateway(functions)
    client = Client()
    connection = open_connection(ws, client)
    functions.answers["notifications"] = Invocation("timeout")
    frame = asyncio.run(ws.message(connection, '{"action": "watch"}'))
    assert frame is not None and json.loads(frame)["message"] == "Internal server error"


def test_close_runs_disconnect_and_the_connection_is_gone() -> None:
    functions = Functions(authorizer=policy("Allow"), notifications=ok(None))
    ws = gateway(functions)
    connection = open_connection(ws, Client())
    asyncio.run(ws.closed(connection, 1000, "bye"))
    event = functions.events["notifications"][-1]
    context = event["requestContext"]
    assert (context["eventType"], context["disconnectStatusCode"], context["disconnectReason"]) == (
        "DISCONNECT",
        1000,
        "bye",
    )
    assert context["authorizer"]["user_id"] == "alice"
    response = asyncio.run(ws.manage("POST", f"/dev/@connections/{connection.id}", b"x"))
    assert response.status == 410 and dict(response.headers)["x-amzn-errortype"] == "GoneException"


def test_the_management_endpoint_posts_describes_and_deletes() -> None:
    ws = gateway(Functions(authorizer=policy("Allow"), notifications=ok(None)))
    client = Client()
    connection = open_connection(ws, client)
    path = "/dev/@connections/" + connection.id.replace("=", "%3D").replace("+", "%2B")
    assert asyncio.run(ws.manage("POST", path, b'{"type":"hello"}')).status == 200
    assert asyncio.run(ws.manage("POST", path, b"\xff\x00")).status == 200
    assert client.frames == ['{"type":"hello"}', b"\xff\x00"]  # text as text, other bytes as binary

    info: dict[str, Any] = json.loads(asyncio.run(ws.manage("GET", path, b"")).body)
    assert set(info) == {"connectedAt", "identity", "lastActiveAt"}
    assert info["identity"]["sourceIp"] == "127.0.0.1" and info["connectedAt"].endswith("Z")

    assert asyncio.run(ws.manage("DELETE", path, b"")).status == 204
    assert client.closed == 1000
    assert asyncio.run(ws.manage("POST", path, b"late")).status == 410
    assert asyncio.run(ws.manage("POST", "/dev/@connections/unknown", b"x")).status == 410
    assert asyncio.run(ws.manage("POST", "/other/@connections/x", b"x")).status == 404
    assert asyncio.run(ws.manage("POST", "/dev/elsewhere", b"x")).status == 404


def test_posting_to_a_connection_during_its_connect_is_gone() -> None:
    # API Gateway opens the connection only after $connect answers: a post from $connect is 410.
    statuses: list[int] = []
    ws: WebSocketGateway

    class PostsDuringConnect(Functions):
        async def __call__(
            self, fn: LambdaFunction, event: Any, request_id: str, timeout: float
        ) -> Invocation:
            if fn is HANDLER:
                path = f"/dev/@connections/{event['requestContext']['connectionId']}"
                statuses.append((await ws.manage("POST", path, b"early")).status)
            return await super().__call__(fn, event, request_id, timeout)

    ws = gateway(PostsDuringConnect(authorizer=policy("Allow"), notifications=ok(None)))
    assert asyncio.run(ws.connect(ws.info(handshake()))) is None
    assert statuses == [410]


def test_only_the_stage_path_or_the_root_is_the_api() -> None:
    ws = gateway(Functions())
    assert ws.accepts_path("/dev") and ws.accepts_path("/") and ws.accepts_path("/dev/")
    assert not ws.accepts_path("/prod") and not ws.accepts_path("/dev/x")
