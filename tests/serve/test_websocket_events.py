"""The WebSocket events `cora serve` builds have the real events' shape (shared/fixtures/events,
unchanged), and messages go to the route key API Gateway picks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cora_constructs.serve import websocket_events as wse
from tests.runtime.support import load_event

HANDSHAKE = wse.Handshake(
    path="/dev",
    raw_query="token=abc&x=1&x=2",
    headers=(
        ("Host", "127.0.0.1:3000"),
        ("Cookie", "session=s1"),
        ("Sec-WebSocket-Key", "k=="),
        ("X-Many", "a"),
        ("X-Many", "b"),
    ),
    source_ip="10.0.0.7",
    host="127.0.0.1",
)


def fixture(name: str) -> dict[str, Any]:
    return load_event(name)


def connection(authorizer: dict[str, Any] | None = None) -> wse.ConnectionInfo:
    return wse.ConnectionInfo(
        "Conn1234567=", HANDSHAKE, "dev", 1_731_332_735_513, region="eu-west-1", authorizer=authorizer
    )


CONTEXT_ONLY_WITH_AUTHORIZER = {"authorizer"}


def test_the_authorizer_event_has_the_real_events_keys_and_the_connect_method_arn() -> None:
    real = fixture("apiGatewayAuthorizerWebSocketEvent.json")
    event = wse.authorizer_event(connection(), request_id="Req1", now_ms=1_731_332_746_514)
    assert list(event) == list(real)
    assert list(event["requestContext"]) == list(real["requestContext"])
    assert event["methodArn"] == "arn:aws:execute-api:eu-west-1:123456789012:local/dev/$connect"
    assert event["headers"]["Cookie"] == "session=s1"  # names as sent, as the real event has them
    assert event["multiValueHeaders"]["X-Many"] == ["a", "b"] and event["headers"]["X-Many"] == "b"
    assert event["queryStringParameters"] == {"token": "abc", "x": "2"}
    assert event["multiValueQueryStringParameters"]["x"] == ["1", "2"]
    context = event["requestContext"]
    assert (context["routeKey"], context["eventType"], context["connectionId"]) == (
        "$connect",
        "CONNECT",
        "Conn1234567=",
    )
    assert context["identity"] == {"sourceIp": "10.0.0.7"} and context["stage"] == "dev"
    assert context["requestTime"] == "11/Nov/2024:13:45:46 +0000"


def test_the_org_authorizer_reads_the_event_as_a_websocket_connect() -> None:
    from cora_constructs.authorizer import lambda_function as authorizer

    event = wse.authorizer_event(connection(), request_id="Req1")
    assert authorizer._is_websocket_connect(event)
    assert authorizer._connect_resource(event["methodArn"]) == event["methodArn"]


def test_connect_message_and_disconnect_events_have_the_real_events_keys() -> None:
    allowed = wse.authorizer_context("alice", {"user_id": "alice", "email": "a@x"})
    info = connection(allowed)
    connect = wse.connect_event(info, request_id="R1")
    real = fixture("apiGatewayWebSocketApiConnect.json")
    assert set(real) <= set(connect)
    assert set(connect) - set(real) == {"queryStringParameters", "multiValueQueryStringParameters"}
    assert set(connect["requestContext"]) - set(real["requestContext"]) == CONTEXT_ONLY_WITH_AUTHORIZER

    message = wse.message_event(
        info, route_key="chat", data='{"action":"chat"}', request_id="R2", message_id="M"
    )
    real = fixture("apiGatewayWebSocketApiMessage.json")
    assert list(message) == list(real)
    assert [k for k in message["requestContext"] if k != "authorizer"] == list(real["requestContext"])
    assert message["body"] == '{"action":"chat"}' and message["isBase64Encoded"] is False
    assert message["requestContext"]["messageId"] == "M"

    disconnect = wse.disconnect_event(
        info, status_code=1005, reason="Client-side close frame status not set", request_id="R3"
    )
    real = fixture("apiGatewayWebSocketApiDisconnect.json")
    assert list(disconnect) == list(real)
    assert [k for k in disconnect["requestContext"] if k != "authorizer"] == list(real["requestContext"])
    assert disconnect["requestContext"]["disconnectStatusCode"] == 1005

    for event in (connect, message, disconnect):
        # API Gateway passes the $connect authorizer's context to every event of the connection.
        assert event["requestContext"]["authorizer"] == {
            "principalId": "alice",
            "user_id": "alice",
            "email": "a@x",
        }
        assert event["requestContext"]["connectedAt"] == 1_731_332_735_513


def test_the_runtime_reads_the_caller_and_connection_of_a_message() -> None:
    from cora_runtime.identity import authorizer_context

    info = connection(wse.authorizer_context("alice", {"user_id": "alice", "sub": "alice"}))
    event = wse.message_event(info, route_key="watch", data="{}", request_id="R", message_id="M")
    assert authorizer_context(event)["user_id"] == "alice"


def test_no_authorizer_no_authorizer_key_and_binary_frames_are_base64() -> None:
    message = wse.message_event(
        connection(), route_key="$default", data=b"\x00\xff", request_id="R", message_id="M"
    )
    assert "authorizer" not in message["requestContext"]
    assert (message["body"], message["isBase64Encoded"]) == ("AP8=", True)
    assert "queryStringParameters" not in wse.connect_event(
        wse.ConnectionInfo("C", wse.Handshake("/dev"), "dev", 0), request_id="R"
    )


@pytest.mark.parametrize(
    ("data", "keys", "expected"),
    [
        ('{"action": "watch", "x": 1}', {"watch", "$default"}, "watch"),
        ('{"action": "other"}', {"watch", "$default"}, "$default"),
        ('{"action": "other"}', {"watch"}, None),
        ("not json", {"watch", "$default"}, "$default"),
        ("not json", {"watch"}, None),
        ('["watch"]', {"watch"}, None),
        ('{"action": "$connect"}', {"$connect", "watch"}, None),  # never a message's route
        ('{"action": "$disconnect"}', {"$disconnect", "$default"}, "$default"),
        (b'{"action": "watch"}', {"watch", "$default"}, "$default"),  # binary: no body to select on
    ],
)
def test_route_selection_by_the_bodys_action(data: str | bytes, keys: set[str], expected: str | None) -> None:
    assert wse.select_route(data, keys) == expected


def test_the_error_frame_is_api_gateways() -> None:
    assert json.loads(wse.error_frame("Forbidden", "C1", "R1")) == {
        "message": "Forbidden",
        "connectionId": "C1",
        "requestId": "R1",
    }


def test_ids_look_like_api_gateways_and_are_unique() -> None:
    ids = {wse.new_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 16 and i.endswith("=") and "/" not in i for i in ids)
