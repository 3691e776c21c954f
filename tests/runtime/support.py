"""Helpers of the runtime tests: real events, real RSA keys, a real JWKS server on 127.0.0.1.

The API Gateway events are the files of ``shared/fixtures/events`` (a sibling of the repo root),
read unchanged at test time. Tokens are minted with PyJWT, an implementation independent of the
authorizer's own verification.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.conftest import load_module

REPO = Path(__file__).resolve().parents[2]
EVENTS_DIR = REPO / ".." / "shared" / "fixtures" / "events"
AUTHORIZER_PATH = REPO / "cora_constructs" / "authorizer" / "lambda_function.py"

ISSUER = "https://id.example.test/"
AUDIENCE = "cora-api"
COOKIE = "cora_session"

V2_AUTHORIZER_EVENT = "apiGatewayAuthorizerV2Event.json"
V1_AUTHORIZER_EVENT = "apiGatewayAuthorizerRequestEvent.json"
V2_PROXY_EVENT = "apiGatewayProxyV2Event.json"
V2_PROXY_AFTER_AUTHORIZER_EVENT = "apiGatewayProxyV2LambdaAuthorizerEvent.json"
V1_PROXY_EVENT = "apiGatewayProxyEvent.json"


def load_event(name: str) -> dict[str, Any]:
    """A fixture event, read from disk as is (a fresh object each call)."""
    path = EVENTS_DIR / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: the runtime tests need the shared/ folder beside the repo root"
        )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def with_cookie(event: dict[str, Any], entry: str) -> dict[str, Any]:
    """A copy of a 2.0 event with one more ``cookies`` entry (the fixture's own entries kept)."""
    event = copy.deepcopy(event)
    event["cookies"] = [*event.get("cookies", []), entry]
    return event


def with_header(event: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    """A copy of an event with one more header."""
    event = copy.deepcopy(event)
    event.setdefault("headers", {})[name] = value
    return event


def load_authorizer() -> ModuleType:
    """The authorizer module, loaded from its file under a unique name.

    Every Lambda in the repo is a ``lambda_function`` module: loading it by file keeps it from
    shadowing (or being shadowed by) another one in ``sys.modules``.
    """
    return load_module(AUTHORIZER_PATH, "cora_test_authorizer_lambda_function")


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    @property
    def jwk(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        data.update(kid=self.kid, use="sig", alg="RS256")
        return data


@dataclass
class Keys:
    current: SigningKey
    rotated: SigningKey
    foreign: SigningKey
    weak: SigningKey


def make_keys() -> Keys:
    def make(kid: str, bits: int = 2048) -> SigningKey:
        return SigningKey(kid, rsa.generate_private_key(public_exponent=65537, key_size=bits))

    return Keys(make("key-current"), make("key-rotated"), make("key-foreign"), make("key-weak", 1024))


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims for the test issuer and audience, with ``overrides`` (None deletes one)."""
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "user-123",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": now + 600,
        "iat": now - 5,
        "email": "ada@example.test",
        "scope": "tasks:read tasks:write",
        "groups": ["admins", "staff"],
        "profile": {"nested": "dropped"},
    }
    for key, value in overrides.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def mint(key: SigningKey, headers: dict[str, Any] | None = None, **overrides: Any) -> str:
    """An RS256 token signed by ``key``, its kid in the header unless ``headers`` overrides it
    (a None value drops that header field)."""
    header: dict[str, Any] = {"kid": key.kid}
    header.update(headers or {})
    header = {k: v for k, v in header.items() if v is not None}
    return jwt.encode(claims(**overrides), key.private, algorithm="RS256", headers=header)


@dataclass
class JWKSServer:
    """The state of a real HTTP server on 127.0.0.1 serving a JWKS the test can change."""

    server: ThreadingHTTPServer | None = None
    jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    status: int = 200
    delay: float = 0.0
    raw_body: bytes | None = None
    hits: int = 0

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.server_address[1]
        return f"http://127.0.0.1:{port}/.well-known/jwks.json"

    def serve(self, *keys: SigningKey) -> None:
        """Serve exactly ``keys``, answering normally, and reset the hit count."""
        self.jwks = {"keys": [k.jwk for k in keys]}
        self.status, self.delay, self.raw_body, self.hits = 200, 0.0, None, 0


def start_jwks_server() -> JWKSServer:
    state = JWKSServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits += 1
            if state.delay:
                time.sleep(state.delay)
            body = state.raw_body if state.raw_body is not None else json.dumps(state.jwks).encode()
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client gave up (the timeout tests)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.server = server
    return state


@contextmanager
def serving_jwks(keys: Keys) -> Iterator[JWKSServer]:
    """A JWKS server on 127.0.0.1 serving ``keys.current``, shut down on exit."""
    state = start_jwks_server()
    state.serve(keys.current)
    try:
        yield state
    finally:
        assert state.server is not None
        state.server.shutdown()
        state.server.server_close()


def closed_port_url() -> str:
    """A 127.0.0.1 URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/jwks.json"


def log_lines(text: str) -> list[dict[str, Any]]:
    """The JSON log lines in captured stdout."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
