"""Talk back to WebSocket clients: send to a connection through the API's management endpoint.

Every Lambda that serves WebSocket route keys gets ``WEBSOCKET_API_URL``, the ``https://``
management endpoint of the stage (``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}``),
and may ``execute-api:ManageConnections`` on that API's connections only::

    from cora_runtime.websocket import post_to_connection

    if not post_to_connection(connection_id, {"type": "task.changed", "id": task_id}):
        forget(connection_id)  # the client went away: drop it from the connections table

A connection that is gone (the client closed it, or API Gateway dropped it) answers 410 Gone: that
is a normal outcome of a fan-out, returned as ``False``, never raised. Any other error (throttling,
a missing permission, an endpoint that does not exist) is raised as botocore reports it.

boto3 is in the Lambda runtime; it is imported on first use, so importing this module costs nothing.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient

ENDPOINT_VARIABLE = "WEBSOCKET_API_URL"
GONE = 410

_clients: dict[str, ApiGatewayManagementApiClient] = {}


class WebSocketConfigError(RuntimeError):
    """No management endpoint: the Lambda is not wired to the WebSocket API."""


def management_endpoint(environ: dict[str, str] | None = None) -> str:
    """The stage's management endpoint from ``WEBSOCKET_API_URL``; a clear error without it."""
    value = (environ if environ is not None else os.environ).get(ENDPOINT_VARIABLE, "").strip()
    if not value.startswith("https://") and not value.startswith("http://"):
        raise WebSocketConfigError(
            f"{ENDPOINT_VARIABLE} is {value!r}: it must be the https:// management endpoint of the "
            "WebSocket stage. cora-constructs sets it on every Lambda that declares WebSocket route "
            "keys; elsewhere pass endpoint= explicitly"
        )
    return value.rstrip("/")


def management_client(endpoint: str | None = None) -> ApiGatewayManagementApiClient:
    """One ``apigatewaymanagementapi`` client per endpoint and container (clients are costly)."""
    url = endpoint or management_endpoint()
    client = _clients.get(url)
    if client is None:
        import boto3

        client = boto3.client("apigatewaymanagementapi", endpoint_url=url)
        _clients[url] = client
    return client


def encode(data: object) -> bytes:
    """``bytes`` as they are, ``str`` as UTF-8, anything else as compact JSON."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    return json.dumps(data, separators=(",", ":"), default=str).encode("utf-8")


def post_to_connection(
    connection_id: str,
    data: object,
    *,
    endpoint: str | None = None,
    client: Any = None,
) -> bool:
    """Send ``data`` (bytes, text, or anything JSON-serialisable) to one connection.

    True when API Gateway accepted it; False when the connection is gone (410), which a caller
    treats as "remove it from my connections table". Other errors are raised.
    """
    from botocore.exceptions import ClientError

    api = client if client is not None else management_client(endpoint)
    try:
        api.post_to_connection(ConnectionId=connection_id, Data=encode(data))
    except ClientError as exc:
        if _status(exc) == GONE or exc.response.get("Error", {}).get("Code") == "GoneException":
            return False
        raise
    return True


def _status(error: Any) -> int | None:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status if isinstance(status, int) else None
