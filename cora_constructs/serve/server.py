"""`cora serve`: the HTTP API of a cloud assembly on localhost (uvicorn + a minimal ASGI app).

:func:`prepare` turns a :class:`~cora_constructs.serve.plan.ServePlan` and the command's options
into a :class:`Service` (worker pools with their paths and environments, the development JWKS);
:func:`run` serves it. One socket serves the API; a second one, when no ``--jwks-url`` is given,
serves the development JWKS the authorizer is pointed at (so the API's own paths stay exactly
the app's). One access-log line per request; the functions' output in the same log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cora_constructs.assembly.errors import ToolError
from cora_constructs.serve.events import HttpRequest
from cora_constructs.serve.gateway import Gateway
from cora_constructs.serve.plan import LambdaFunction, ServePlan
from cora_constructs.serve.websocket import Connection, WebSocketGateway
from cora_constructs.serve.websocket_events import Handshake
from cora_constructs.serve.workers import (
    FunctionPool,
    Invocation,
    lambda_environment,
    runtime_interpreter,
    runtime_packages_dir,
    worker_path,
)

JWKS_PATH = "/.well-known/jwks.json"
WATCH_INTERVAL_S = 0.4
Log = Callable[[str], None]


def stdout_log(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass(frozen=True, slots=True)
class EnvOverride:
    """``KEY=VALUE`` for every function, or ``SCOPE:KEY=VALUE`` for the functions whose name or
    module is ``SCOPE``."""

    key: str
    value: str
    scope: str | None = None

    def applies_to(self, function: LambdaFunction) -> bool:
        return self.scope is None or self.scope in (function.function_name, function.module)


def parse_env_assignment(text: str, where: str = "--env") -> EnvOverride:
    name, sep, value = text.partition("=")
    name = name.strip()
    if name.startswith("export "):
        name = name.removeprefix("export ").strip()
    scope, _, key = name.rpartition(":")
    if not sep or not key or not key.replace("_", "a").isalnum() or key[0].isdigit():
        raise ToolError(f"{where}: {text!r} is not KEY=VALUE (or FUNCTION_OR_MODULE:KEY=VALUE)")
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return EnvOverride(key, value, scope or None)


def parse_env_file(path: Path) -> list[EnvOverride]:
    """A ``.env`` file: ``KEY=VALUE`` lines (``export`` and quotes allowed), ``#`` comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ToolError(f"--env-file {path}: cannot read it ({error.strerror or error})") from None
    found: list[EnvOverride] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        found.append(parse_env_assignment(stripped, f"{path}:{number}"))
    return found


def function_overrides(function: LambdaFunction, overrides: Iterable[EnvOverride]) -> dict[str, str]:
    """The overrides for ``function``: unscoped first, scoped ones win."""
    ordered = sorted(overrides, key=lambda o: o.scope is not None)
    return {o.key: o.value for o in ordered if o.applies_to(function)}


@dataclass
class Service:
    """Everything `cora serve` runs: the gateway, the worker pools, the sockets."""

    plan: ServePlan
    pools: dict[str, FunctionPool]
    gateway: Gateway
    api_socket: socket.socket
    jwks_socket: socket.socket | None
    jwks: Mapping[str, Any] | None
    log: Log
    watch: bool
    banner: list[str] = field(default_factory=list)
    watched: dict[str, dict[str, float]] = field(default_factory=dict)
    websocket: WebSocketGateway | None = None
    management_socket: socket.socket | None = None
    """The WebSocket API's connection-management endpoint (``WEBSOCKET_API_URL``)."""

    @property
    def url(self) -> str:
        host, port = self.api_socket.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def websocket_url(self) -> str | None:
        if self.websocket is None:
            return None
        host, port = self.api_socket.getsockname()[:2]
        return f"ws://{host}:{port}/{self.websocket.stage}"

    @property
    def management_url(self) -> str | None:
        if self.websocket is None or self.management_socket is None:
            return None
        return f"http://127.0.0.1:{self.management_socket.getsockname()[1]}/{self.websocket.stage}"


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it a keep-alive client waits 40 ms (Nagle + delayed ACK) on every response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ToolError(
            f"cannot listen on {host}:{port}: {error.strerror or error} (try another --port)"
        ) from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


def region_of(environ: Mapping[str, str]) -> str:
    return environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"


LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "cora-serve-local", "AWS_SECRET_ACCESS_KEY": "cora-serve-local"}
"""What a WebSocket function signs its management calls with when you have no credentials: the
local endpoint does not check signatures, but botocore signs every request."""


def has_credentials(environ: Mapping[str, str]) -> bool:
    """True when botocore would find credentials: variables, a profile, or a credentials file."""
    if environ.get("AWS_ACCESS_KEY_ID") or environ.get("AWS_PROFILE"):
        return True
    home = environ.get("HOME", "")
    shared = environ.get("AWS_SHARED_CREDENTIALS_FILE") or (f"{home}/.aws/credentials" if home else "")
    config = environ.get("AWS_CONFIG_FILE") or (f"{home}/.aws/config" if home else "")
    return any(path and Path(path).is_file() for path in (shared, config))


def prepare(
    plan: ServePlan,
    *,
    host: str,
    port: int,
    overrides: Sequence[EnvOverride],
    jwks_url: str | None,
    jwks: Mapping[str, Any] | None,
    watch: bool,
    cache_dir: Path,
    log: Log = stdout_log,
    environ: Mapping[str, str] | None = None,
    deployed: Mapping[str, Mapping[str, str]] | None = None,
) -> Service:
    """Check the plan, bind the sockets, and set up a worker pool per function.

    A function's environment: the template's values, then ``deployed`` (values read from the
    deployed app, by function name), then ``overrides`` (``--env-file``, ``--env``)."""
    environ = os.environ if environ is None else environ
    served = {r.function.function_name: r.function for r in plan.routes if r.function}
    served.update({fn.function_name: fn for fn in plan.websocket_functions})
    served.update({fn.function_name: fn for fn in plan.authorizer_functions})
    problems = [*plan.problems, *(p for fn in served.values() for p in fn.problems)]
    if not plan.routes and not plan.websocket_routes:
        problems.append("the cloud assembly has no HTTP API route or WebSocket route to serve")
    if problems:
        raise ToolError(problems)
    banner: list[str] = []
    interpreters = {fn.runtime: runtime_interpreter(fn.runtime) for fn in served.values()}
    for _python, warning in sorted(set(interpreters.values()), key=str):
        if warning:
            banner.append(f"warning: {warning}")
    banner += [f"warning: {w}" for w in plan.warnings]
    runtime_dir = runtime_packages_dir(cache_dir, _runtime_packages())
    api_socket = bind(host, port)
    jwks_socket = bind("127.0.0.1", 0) if jwks_url is None else None
    if jwks_socket is not None:
        jwks_url = f"http://127.0.0.1:{jwks_socket.getsockname()[1]}{JWKS_PATH}"
    authorizers = {fn.function_name for fn in plan.authorizer_functions}
    region = region_of(environ)
    management_socket = bind("127.0.0.1", 0) if plan.websocket_routes else None
    management_url = None
    websocket_env: dict[str, str] = {}
    if management_socket is not None:
        management_url = f"http://127.0.0.1:{management_socket.getsockname()[1]}/{plan.websocket_stage}"
        websocket_env["WEBSOCKET_API_URL"] = management_url
        if not has_credentials(environ):
            websocket_env.update(LOCAL_CREDENTIALS)
    websocket_functions = {fn.function_name for fn in plan.websocket_functions}
    pools: dict[str, FunctionPool] = {}
    unresolved: list[str] = []
    for name, function in sorted(served.items()):
        extra = {
            **(deployed or {}).get(name, {}),
            **(websocket_env if name in websocket_functions else {}),
            **function_overrides(function, overrides),
        }
        if name in authorizers and jwks_url is not None:
            extra = {"JWKS_URL": jwks_url, **extra}
        for missing in function.unresolved:
            if missing.name not in extra:
                unresolved.append(f"  {name}: {missing.name} ({missing.reason})")
        env = lambda_environment(function, region=region, overrides=extra, parent=environ)
        pools[name] = FunctionPool(
            function,
            python=interpreters[function.runtime][0],
            path=worker_path(function, runtime_dir),
            environment=env,
            log=log,
            label=name,
            pycache_dir=cache_dir / "pycache",
        )
    if unresolved:
        banner.append(
            "unresolved environment variables (set them with --env/--env-file or read them with "
            "--deployed; left unset):"
        )
        banner += unresolved
    banner.append(f"authorizer JWKS: {jwks_url}" + ("" if jwks_socket is None else " (development key)"))
    if management_url is not None:
        banner.append(f"WebSocket connection management (WEBSOCKET_API_URL): {management_url}")

    async def invoke(
        function: LambdaFunction, event: Mapping[str, Any], request_id: str, timeout: float
    ) -> Invocation:
        return await pools[function.function_name].invoke(event, request_id=request_id, timeout_s=timeout)

    gateway = Gateway(plan.routes, invoke, log=log, region=region)
    websocket = None
    if plan.websocket_stage is not None:
        websocket = WebSocketGateway(
            plan.websocket_routes, invoke, log=log, region=region, stage=plan.websocket_stage
        )
    return Service(
        plan,
        pools,
        gateway,
        api_socket,
        jwks_socket,
        jwks,
        log,
        watch,
        banner,
        websocket=websocket,
        management_socket=management_socket,
    )


def _runtime_packages() -> list[str]:
    from cora_constructs.functions.imports import lambda_runtime

    return sorted(lambda_runtime().packages)


def route_lines(plan: ServePlan) -> list[str]:
    rows = []
    for route in sorted(plan.routes, key=lambda r: (r.pattern.segments == (), r.route_key.split(" ")[-1])):
        auth = {"NONE": "public", "CUSTOM": route.authorizer.name if route.authorizer else "custom"}.get(
            route.authorization, route.authorization.lower()
        )
        target = route.function.function_name if route.function else f"({route.problem})"
        rows.append((route.route_key, target, auth))
    width = max((len(r[0]) for r in rows), default=0)
    wide = max((len(r[1]) for r in rows), default=0)
    for ws in plan.websocket_routes:
        auth = {"NONE": "public" if ws.route_key == "$connect" else "via $connect", "CUSTOM": "custom"}.get(
            ws.authorization, ws.authorization.lower()
        )
        if ws.authorization == "CUSTOM" and ws.authorizer:
            auth = ws.authorizer.name
        target = ws.function.function_name if ws.function else f"({ws.problem})"
        rows.append((f"WS {ws.route_key}", target, auth))
    width = max((len(r[0]) for r in rows), default=0)
    wide = max((len(r[1]) for r in rows), default=0)
    return [f"  {key.ljust(width)}  {target.ljust(wide)}  {auth}" for key, target, auth in rows]


# --- watching -------------------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, float]:
    """Every file under ``folder`` (``__pycache__`` and dot-folders skipped) with its mtime."""
    found: dict[str, float] = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
        for name in files:
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(root) / name
            with contextlib.suppress(OSError):
                found[str(path)] = path.stat().st_mtime_ns
    return found


async def watch_loop(service: Service) -> None:
    """Restart a function's workers when a file of its folder changes (mtime polling)."""
    for name, pool in service.pools.items():
        service.watched[name] = snapshot(pool.function.code_dir)
    while True:
        await asyncio.sleep(WATCH_INTERVAL_S)
        for name, pool in service.pools.items():
            current = snapshot(pool.function.code_dir)
            if current != service.watched[name]:
                changed = sorted(set(current.items()) ^ set(service.watched[name].items()))
                service.watched[name] = current
                pool.forget_bytecode({Path(path) for path, _ in changed})  # an edited file: old and new mtime
                await pool.restart()
                first = Path(changed[0][0]).name if changed else "a file"
                service.log(f"reloaded {name} ({first} changed)")


# --- the ASGI application -------------------------------------------------------------------


class ServeApp:
    """The ASGI application: the API on one socket, the development JWKS on the other."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.tasks: list[asyncio.Task[None]] = []
        self.jwks_port = service.jwks_socket.getsockname()[1] if service.jwks_socket else None
        socket_ = service.management_socket
        self.management_port = socket_.getsockname()[1] if socket_ is not None else None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        port = scope["server"][1] if scope.get("server") else None
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        if self.jwks_port is not None and port == self.jwks_port:
            await self._jwks(scope, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if self.management_port is not None and port == self.management_port:
            await self._manage(scope, bytes(body), send)
            return
        request = _request(scope, bytes(body))
        outcome = await self.service.gateway.handle(request)
        response = outcome.response
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
        path = request.raw_path + (f"?{request.raw_query}" if request.raw_query else "")
        self.service.log(
            f"{request.method} {path} {outcome.function} {response.status} {outcome.duration_ms:.1f}ms"
        )

    async def _manage(self, scope: dict[str, Any], body: bytes, send: Any) -> None:
        assert self.service.websocket is not None
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        response = await self.service.websocket.manage(scope["method"], raw_path, body)
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
        self.service.log(f"{scope['method']} @connections {response.status}")

    async def _websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """One WebSocket connection, from the handshake to ``$disconnect``."""
        gateway = self.service.websocket
        message = await receive()  # websocket.connect
        if message["type"] != "websocket.connect":
            return
        handshake = _handshake(scope)
        if gateway is None or not gateway.accepts_path(handshake.path):
            await _refuse(scope, send, 404, b'{"message":"Not Found"}')
            return
        info = gateway.info(handshake)
        refusal = await gateway.connect(info)
        path = handshake.path  # never the query string: it may hold a token
        if refusal is not None:
            self.service.log(f"WS CONNECT {path} {refusal.status}")
            await _refuse(scope, send, refusal.status, refusal.body)
            return
        lock = asyncio.Lock()

        async def send_frame(data: str | bytes) -> None:
            async with lock:
                key = "text" if isinstance(data, str) else "bytes"
                await send({"type": "websocket.send", key: data})

        async def close(code: int) -> None:
            async with lock:
                await send({"type": "websocket.close", "code": code})

        await send({"type": "websocket.accept"})
        connection: Connection = gateway.opened(info, send_frame, close)
        self.service.log(f"WS CONNECT {path} {info.connection_id} 101")
        code, reason = 1005, "Client-side close frame status not set"
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.receive":
                    data = message.get("text")
                    gateway.receive(connection, data if data is not None else message.get("bytes") or b"")
                elif message["type"] == "websocket.disconnect":
                    code = int(message.get("code") or 1005)
                    reason = str(message.get("reason") or ("" if code != 1005 else reason))
                    break
        finally:
            await gateway.closed(connection, code, reason)

    async def _jwks(self, scope: dict[str, Any], send: Any) -> None:
        found = scope["path"] == JWKS_PATH and self.service.jwks is not None
        body = json.dumps(self.service.jwks if found else {"message": "Not Found"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200 if found else 404,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for pool in self.service.pools.values():
                    self.tasks.append(asyncio.create_task(_quiet(pool.warm())))
                if self.service.watch:
                    self.tasks.append(asyncio.create_task(watch_loop(self.service)))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for task in self.tasks:
                    task.cancel()
                for pool in self.service.pools.values():
                    await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _refuse(scope: Mapping[str, Any], send: Any, status: int, body: bytes) -> None:
    """Answer a handshake with an HTTP status (the denial response extension), else close."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        await send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008})


def _handshake(scope: Mapping[str, Any]) -> Handshake:
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
    host = next((v for k, v in headers if k.lower() == "host"), "localhost")
    client = scope.get("client") or ("127.0.0.1", 0)
    return Handshake(
        path=scope["path"],
        raw_query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        source_ip=str(client[0]),
        host=host.rsplit(":", 1)[0] if host.count(":") == 1 else host,
    )


async def _quiet(work: Any) -> None:
    with contextlib.suppress(Exception):
        await work


def _request(scope: Mapping[str, Any], body: bytes) -> HttpRequest:
    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
    raw_path = scope.get("raw_path") or scope["path"].encode()
    host = next((v for k, v in headers if k.lower() == "host"), "localhost")
    client = scope.get("client") or ("127.0.0.1", 0)
    return HttpRequest(
        method=scope["method"],
        raw_path=raw_path.decode("latin-1").split("?", 1)[0],
        raw_query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
        source_ip=str(client[0]),
        protocol=f"HTTP/{scope.get('http_version', '1.1')}",
        host=host.rsplit(":", 1)[0] if host.count(":") == 1 else host,
    )


def run(service: Service) -> None:
    """Serve until interrupted."""
    try:
        import uvicorn
    except ImportError:
        raise ToolError("`cora serve` needs the serve extra: pip install 'cora-constructs[serve]'") from None
    if service.websocket is not None:
        try:
            import wsproto  # noqa: F401
        except ImportError:
            raise ToolError(
                "the app has a WebSocket API: `cora serve` needs the serve extra's wsproto: "
                "pip install 'cora-constructs[serve]'"
            ) from None
    config = uvicorn.Config(
        ServeApp(service),
        # wsproto answers a refused handshake with an HTTP status (401/403) as API Gateway does.
        ws="wsproto" if service.websocket is not None else "auto",
        log_level="warning",
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    keys = len(service.plan.websocket_routes)
    service.log(
        f"cora serve: {len(service.plan.routes)} routes"
        + (f", {keys} WebSocket route keys" if keys else "")
        + f", {len(service.pools)} functions"
    )
    for line in route_lines(service.plan):
        service.log(line)
    for line in service.banner:
        service.log(line)
    if service.watch:
        service.log("watching the functions' folders: a change restarts that function's workers")
    sockets = [service.api_socket] + ([service.jwks_socket] if service.jwks_socket else [])
    if service.management_socket is not None:
        sockets.append(service.management_socket)
    service.log(f"cora serve: listening on {service.url} (Ctrl-C stops)")
    if service.websocket_url is not None:
        service.log(f"cora serve: WebSocket API on {service.websocket_url}")
    server.run(sockets=sockets)
