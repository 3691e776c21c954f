"""API Gateway (WebSocket API) in front of the functions, and its connection-management endpoint.

:class:`WebSocketGateway` answers what API Gateway would:

- a handshake runs the ``$connect`` route's authorizer (the org authorizer: a REQUEST event whose
  ``methodArn`` ends in ``/$connect``, an IAM policy back): a deny refuses it with 403, an
  authorizer that raises ``Unauthorized`` with 401, one that fails otherwise with 500; then the
  ``$connect`` function runs, and an answer whose ``statusCode`` is not 2xx (or an error)
  refuses the connection with that status (500 for an error);
- a message goes to the route key its JSON body's ``action`` names, else ``$default``, else the
  client gets API Gateway's error frame ``{"message": "Forbidden", ...}``; a function that fails
  gets ``{"message": "Internal server error", ...}``; what a function returns is not sent
  (the API has no route responses);
- ``$disconnect`` runs when the connection closes, whichever side closed it;
- the management endpoint (:meth:`WebSocketGateway.manage`): ``POST /@connections/{id}`` sends
  the body to the client, ``GET`` describes the connection, ``DELETE`` closes it; a connection
  that is not open answers 410 ``GoneException``, as API Gateway answers.

Sending on a connection is a callable the server gives (an ASGI ``send``), so all of this is
tested without a socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from cora_constructs.serve import events
from cora_constructs.serve import websocket_events as wse
from cora_constructs.serve.events import MalformedResponseError
from cora_constructs.serve.gateway import Invoke, Log
from cora_constructs.serve.plan import LambdaFunction, WebSocketRoute

Send = Callable[[str | bytes], Awaitable[None]]
Close = Callable[[int], Awaitable[None]]
MAX_FRAME_BYTES = 128 * 1024  # API Gateway's WebSocket frame limit is 32 KB, a message's 128 KB
CONNECTIONS_PATH = "/@connections/"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused handshake: the HTTP status and the JSON body API Gateway answers with."""

    status: int
    message: str

    @property
    def body(self) -> bytes:
        return json.dumps({"message": self.message}, separators=(",", ":")).encode()


@dataclass(eq=False)
class Connection:
    info: wse.ConnectionInfo
    send: Send
    close: Close
    open: bool = True
    tasks: set[asyncio.Task[str | None]] = field(default_factory=set)

    @property
    def id(self) -> str:
        return self.info.connection_id


@dataclass(frozen=True, slots=True)
class ManagementResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def _json_response(status: int, value: object, error_type: str | None = None) -> ManagementResponse:
    headers = [("content-type", "application/json")]
    if error_type:
        headers.append(("x-amzn-errortype", error_type))
    return ManagementResponse(status, tuple(headers), json.dumps(value, separators=(",", ":")).encode())


def _iso(epoch_ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_ms / 1000)) + f".{epoch_ms % 1000:03d}Z"


class WebSocketGateway:
    """The WebSocket API of a plan: its route keys, its open connections."""

    def __init__(
        self, routes: Sequence[WebSocketRoute], invoke: Invoke, *, log: Log, region: str, stage: str
    ) -> None:
        self.routes = {route.route_key: route for route in routes}
        self.invoke = invoke
        self.log = log
        self.region = region
        self.stage = stage
        self.connections: dict[str, Connection] = {}

    def accepts_path(self, path: str) -> bool:
        """The stage's path (``/dev``, as the ``wss://`` URL has it) or ``/``."""
        return path.rstrip("/") in ("", f"/{self.stage}")

    def info(self, handshake: wse.Handshake) -> wse.ConnectionInfo:
        return wse.ConnectionInfo(
            connection_id=wse.new_id(),
            handshake=handshake,
            stage=self.stage,
            connected_at_ms=int(time.time() * 1000),
            region=self.region,
        )

    async def _call(
        self, function: LambdaFunction, event: Mapping[str, Any], request_id: str, timeout_ms: int
    ) -> str | None:
        """The function's JSON output, or None when it failed (logged)."""
        timeout = min(float(function.timeout_s), timeout_ms / 1000)
        result = await self.invoke(function, event, request_id, timeout)
        if result.outcome == "timeout":
            self.log(f"[{function.function_name}] Task timed out after {timeout:.2f} seconds")
        if result.outcome != "ok" or result.payload is None:
            return None
        return result.payload

    async def connect(self, info: wse.ConnectionInfo) -> Refusal | None:
        """Authorize the handshake and run ``$connect``: None to accept it, else the refusal."""
        route = self.routes.get(wse.CONNECT)
        if route is None:
            return None  # no $connect: API Gateway accepts every connection
        request_id = wse.new_id()
        if route.authorization == "CUSTOM":
            refused = await self._authorize(route, info, request_id)
            if refused is not None:
                return refused
        elif route.authorization == "AWS_IAM" and not _signed(info.handshake):
            return Refusal(*events.FORBIDDEN)
        if route.function is None:
            self.log(f"$connect: {route.problem or 'no function'}")
            return Refusal(*events.INTERNAL_ERROR)
        payload = await self._call(
            route.function,
            wse.connect_event(info, request_id=request_id),
            request_id,
            route.integration_timeout_ms,
        )
        if payload is None:
            return Refusal(*events.INTERNAL_ERROR)
        status = _status(payload)
        if status is not None and not 200 <= status <= 299:
            return Refusal(status, _reason(status))
        return None

    async def _authorize(
        self, route: WebSocketRoute, info: wse.ConnectionInfo, request_id: str
    ) -> Refusal | None:
        config = route.authorizer
        if config is None or config.function is None:
            self.log(f"$connect: {config.problem if config else 'no authorizer'}")
            return Refusal(*events.INTERNAL_ERROR)
        for source in config.identity_sources:
            name = source.removeprefix("route.request.header.")
            if name != source and not info.handshake.header(name):
                return Refusal(*events.UNAUTHORIZED)
            query = source.removeprefix("route.request.querystring.")
            if query != source and not events.query_parameters(info.handshake.raw_query).get(query):
                return Refusal(*events.UNAUTHORIZED)
        function = config.function
        result = await self.invoke(
            function, wse.authorizer_event(info, request_id=request_id), request_id, float(function.timeout_s)
        )
        if result.outcome == "error" and (result.error or {}).get("errorMessage") == "Unauthorized":
            return Refusal(*events.UNAUTHORIZED)
        if result.outcome != "ok" or result.payload is None:
            if result.outcome == "timeout":
                self.log(f"[{function.function_name}] Task timed out after {function.timeout_s:.2f} seconds")
            return Refusal(*events.INTERNAL_ERROR)
        try:
            decision = events.read_policy_response(result.payload, info.method_arn)
        except MalformedResponseError as problem:
            self.log(f"[{function.function_name}] API Gateway cannot read the authorizer's answer: {problem}")
            return Refusal(*events.INTERNAL_ERROR)
        if not decision.authorized:
            return Refusal(*events.FORBIDDEN)
        principal = json.loads(result.payload)["principalId"]
        info.authorizer = wse.authorizer_context(str(principal), decision.context)
        return None

    def opened(self, info: wse.ConnectionInfo, send: Send, close: Close) -> Connection:
        connection = Connection(info, send, close)
        info.last_active_ms = info.connected_at_ms
        self.connections[info.connection_id] = connection
        return connection

    def receive(self, connection: Connection, data: str | bytes) -> None:
        """Route one frame; its function runs on its own (messages are not serialized)."""
        task = asyncio.create_task(self.message(connection, data))
        connection.tasks.add(task)
        task.add_done_callback(connection.tasks.discard)

    async def message(self, connection: Connection, data: str | bytes) -> str | None:
        """Run the message's route; the error frame sent to the client, if any."""
        info = connection.info
        info.last_active_ms = int(time.time() * 1000)
        request_id = wse.new_id()
        key = wse.select_route(data, self.routes)
        route = self.routes.get(key) if key else None
        frame: str | None = None
        if route is None:
            frame = wse.error_frame(wse.NO_ROUTE_MESSAGE, info.connection_id, request_id)
            self.log(f"WS {info.connection_id} message - no route (403)")
        elif route.function is None:
            self.log(f"{route.route_key}: {route.problem or 'no function'}")
            frame = wse.error_frame(wse.INTEGRATION_ERROR_MESSAGE, info.connection_id, request_id)
        else:
            started = time.perf_counter()
            event = wse.message_event(
                info, route_key=route.route_key, data=data, request_id=request_id, message_id=wse.new_id()
            )
            payload = await self._call(route.function, event, request_id, route.integration_timeout_ms)
            elapsed = (time.perf_counter() - started) * 1000
            self.log(
                f"WS {info.connection_id} {route.route_key} {route.function.function_name} "
                f"{'ok' if payload is not None else 'error'} {elapsed:.1f}ms"
            )
            if payload is None:
                frame = wse.error_frame(wse.INTEGRATION_ERROR_MESSAGE, info.connection_id, request_id)
        if frame is not None and connection.open:
            with contextlib.suppress(Exception):
                await connection.send(frame)
        return frame

    async def closed(self, connection: Connection, code: int, reason: str) -> None:
        """The connection is gone: forget it and run ``$disconnect``."""
        connection.open = False
        self.connections.pop(connection.id, None)
        route = self.routes.get(wse.DISCONNECT)
        if route is None or route.function is None:
            return
        request_id = wse.new_id()
        event = wse.disconnect_event(connection.info, status_code=code, reason=reason, request_id=request_id)
        payload = await self._call(route.function, event, request_id, route.integration_timeout_ms)
        outcome = "ok" if payload is not None else "error"
        self.log(f"WS {connection.id} $disconnect {route.function.function_name} {outcome}")

    async def manage(self, method: str, path: str, body: bytes) -> ManagementResponse:
        """The management endpoint: ``{POST,GET,DELETE} [/{stage}]/@connections/{id}``."""
        prefix, found, raw_id = path.partition(CONNECTIONS_PATH)
        if not found or prefix.strip("/") not in ("", self.stage) or not raw_id:
            return _json_response(404, {"message": "Not Found"})
        connection = self.connections.get(unquote(raw_id))
        if connection is None or not connection.open:
            return _json_response(410, {}, "GoneException")
        if method == "POST":
            if len(body) > MAX_FRAME_BYTES:
                return _json_response(
                    413, {"message": "Request Entity Too Large"}, "PayloadTooLargeException"
                )
            try:
                text: str | bytes = body.decode("utf-8")
            except UnicodeDecodeError:
                text = body
            try:
                await connection.send(text)
            except Exception:  # the socket went away while sending
                return _json_response(410, {}, "GoneException")
            return ManagementResponse(200, (("content-type", "application/json"),), b"")
        if method == "GET":
            info = connection.info
            return _json_response(
                200,
                {  # the wire names of the service model (botocore reads them as ConnectedAt, ...)
                    "connectedAt": _iso(info.connected_at_ms),
                    "identity": {
                        "sourceIp": info.handshake.source_ip,
                        "userAgent": info.handshake.header("user-agent") or "",
                    },
                    "lastActiveAt": _iso(info.last_active_ms or info.connected_at_ms),
                },
            )
        if method == "DELETE":
            connection.open = False
            with contextlib.suppress(Exception):
                await connection.close(1000)
            return ManagementResponse(204, (), b"")
        return _json_response(405, {"message": "Method Not Allowed"})


def _signed(handshake: wse.Handshake) -> bool:
    """A SigV4-signed handshake (signatures are not verified locally)."""
    return (handshake.header("authorization") or "").startswith("AWS4-HMAC-SHA256 ")


def _status(payload: str) -> int | None:
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    status = value.get("statusCode") if isinstance(value, dict) else None
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
