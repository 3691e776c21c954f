"""The events a WebSocket API sends to Lambda, and how it picks a message's route key.

Pure functions, shaped after real events (``shared/fixtures/events``: the ``$connect``
authorizer's REQUEST event, and the CONNECT, MESSAGE and DISCONNECT events):

- every event has ``requestContext`` with ``routeKey``, ``eventType``, ``connectionId``,
  ``requestId`` / ``extendedRequestId``, ``messageDirection`` ``IN``, ``stage``, ``domainName``,
  ``apiId``, ``connectedAt``, ``requestTime`` / ``requestTimeEpoch`` and ``identity.sourceIp``;
- the authorizer's event (``type: REQUEST``) adds ``methodArn``
  (``arn:aws:execute-api:{region}:{account}:{api}/{stage}/$connect``), the handshake's
  ``headers`` / ``multiValueHeaders`` (names as sent), ``queryStringParameters`` /
  ``multiValueQueryStringParameters`` and ``stageVariables``;
- CONNECT carries the handshake's headers and query string too; MESSAGE carries ``body`` and
  ``messageId``; DISCONNECT carries ``disconnectStatusCode`` and ``disconnectReason``; after an
  authorizer allowed the connection, each of them carries its context as
  ``requestContext.authorizer`` (``principalId`` and the context's values).

A message goes to the route key named by its JSON body's ``action`` (the route selection
expression ``$request.body.action``), else to ``$default`` when there is one; else API Gateway
answers the client with an error frame (:func:`error_frame`).
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from cora_constructs.serve.events import (
    ACCOUNT_ID,
    API_ID,
    REGION,
    format_time,
    joined_header,
    query_parameters,
)

CONNECT = "$connect"
DISCONNECT = "$disconnect"
DEFAULT = "$default"
NO_ROUTE_MESSAGE = "Forbidden"
INTEGRATION_ERROR_MESSAGE = "Internal server error"


def new_id() -> str:
    """An id shaped like API Gateway's connection and request ids (``BFaT_fALIAMCKug=``)."""
    return base64.b64encode(os.urandom(11)).decode("ascii").replace("/", "_")


@dataclass(frozen=True, slots=True)
class Handshake:
    """The upgrade request as the server received it (header names as sent, in order)."""

    path: str
    raw_query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    source_ip: str = "127.0.0.1"
    host: str = "localhost"

    def header(self, name: str) -> str | None:
        """The header's values joined with ``,`` (any case), or None."""
        return joined_header(self.headers, name)


@dataclass(slots=True)
class ConnectionInfo:
    """What API Gateway remembers of one connection, for every event of it."""

    connection_id: str
    handshake: Handshake
    stage: str
    connected_at_ms: int
    api_id: str = API_ID
    region: str = REGION
    account_id: str = ACCOUNT_ID
    authorizer: dict[str, Any] | None = None
    """``principalId`` and the authorizer's context, once it allowed the connection."""
    last_active_ms: int = field(default=0)

    @property
    def method_arn(self) -> str:
        return f"arn:aws:execute-api:{self.region}:{self.account_id}:{self.api_id}/{self.stage}/{CONNECT}"


def _headers(handshake: Handshake) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in handshake.headers:
        multi.setdefault(name, []).append(value)
        single[name] = value  # API Gateway's single-value map keeps the last value
    return single, multi


def _query(handshake: Handshake) -> tuple[dict[str, str], dict[str, list[str]]]:
    multi: dict[str, list[str]] = {}
    for item in handshake.raw_query.split("&"):
        if item:
            name, _, value = item.partition("=")
            ((key, decoded),) = query_parameters(f"{name}={value}").items()
            multi.setdefault(key, []).append(decoded)
    return {key: values[-1] for key, values in multi.items()}, multi


def request_context(
    connection: ConnectionInfo,
    *,
    route_key: str,
    event_type: str,
    request_id: str,
    now_ms: int | None = None,
) -> dict[str, Any]:
    """``requestContext`` of every WebSocket event, in the real events' key order."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": format_time(now_ms),
        "messageDirection": "IN",
        "stage": connection.stage,
        "connectedAt": connection.connected_at_ms,
        "requestTimeEpoch": now_ms,
        "identity": {"sourceIp": connection.handshake.source_ip},
        "requestId": request_id,
        "domainName": connection.handshake.host,
        "connectionId": connection.connection_id,
        "apiId": connection.api_id,
    }


def _with_authorizer(context: dict[str, Any], connection: ConnectionInfo) -> dict[str, Any]:
    if connection.authorizer is not None:
        context["authorizer"] = dict(connection.authorizer)
    return context


def authorizer_event(
    connection: ConnectionInfo, *, request_id: str, now_ms: int | None = None
) -> dict[str, Any]:
    """The REQUEST event the ``$connect`` route's Lambda authorizer receives."""
    headers, multi_headers = _headers(connection.handshake)
    query, multi_query = _query(connection.handshake)
    return {
        "type": "REQUEST",
        "methodArn": connection.method_arn,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "stageVariables": {},
        "requestContext": request_context(
            connection, route_key=CONNECT, event_type="CONNECT", request_id=request_id, now_ms=now_ms
        ),
    }


def connect_event(
    connection: ConnectionInfo, *, request_id: str, now_ms: int | None = None
) -> dict[str, Any]:
    """The ``$connect`` route's event: the handshake's headers and query string."""
    headers, multi_headers = _headers(connection.handshake)
    query, multi_query = _query(connection.handshake)
    event: dict[str, Any] = {"headers": headers, "multiValueHeaders": multi_headers}
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = multi_query
    context = request_context(
        connection, route_key=CONNECT, event_type="CONNECT", request_id=request_id, now_ms=now_ms
    )
    event["requestContext"] = _with_authorizer(context, connection)
    event["isBase64Encoded"] = False
    return event


def message_event(
    connection: ConnectionInfo,
    *,
    route_key: str,
    data: str | bytes,
    request_id: str,
    message_id: str,
    now_ms: int | None = None,
) -> dict[str, Any]:
    """A message's event: a text frame's body as it is, a binary frame's base64-encoded."""
    context = request_context(
        connection, route_key=route_key, event_type="MESSAGE", request_id=request_id, now_ms=now_ms
    )
    context = {"routeKey": route_key, "messageId": message_id, **context}
    if isinstance(data, bytes):
        body, encoded = base64.b64encode(data).decode("ascii"), True
    else:
        body, encoded = data, False
    return {"requestContext": _with_authorizer(context, connection), "body": body, "isBase64Encoded": encoded}


def disconnect_event(
    connection: ConnectionInfo,
    *,
    status_code: int,
    reason: str,
    request_id: str,
    now_ms: int | None = None,
) -> dict[str, Any]:
    """The ``$disconnect`` route's event, with the close frame's code and reason."""
    headers, multi_headers = _headers(connection.handshake)
    context = request_context(
        connection, route_key=DISCONNECT, event_type="DISCONNECT", request_id=request_id, now_ms=now_ms
    )
    ordered: dict[str, Any] = {"routeKey": DISCONNECT, "disconnectStatusCode": status_code}
    for key, value in context.items():
        ordered[key] = value
        if key == "messageDirection":
            ordered["disconnectReason"] = reason
    context = ordered
    return {
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "requestContext": _with_authorizer(context, connection),
        "isBase64Encoded": False,
    }


def select_route(data: str | bytes, route_keys: Collection[str]) -> str | None:
    """The route key of a message (``$request.body.action``), ``$default``, or None."""
    if isinstance(data, str):
        try:
            body = json.loads(data)
        except ValueError:
            body = None
        action = body.get("action") if isinstance(body, dict) else None
        if isinstance(action, str) and action in route_keys and not action.startswith("$"):
            return action
    return DEFAULT if DEFAULT in route_keys else None


def error_frame(message: str, connection_id: str, request_id: str) -> str:
    """API Gateway's own answer on the connection (no route, or the integration failed)."""
    return json.dumps(
        {"message": message, "connectionId": connection_id, "requestId": request_id}, separators=(",", ":")
    )


def authorizer_context(principal_id: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """``requestContext.authorizer`` of a connection's later events: the policy's principal and
    its context's values (API Gateway passes strings, numbers and booleans)."""
    return {"principalId": principal_id, **context}
