"""Per-request cost of the org authorizer with a warm key cache, and its cold import time.

Run: ``.venv/bin/python benchmarks/bench_authorizer.py [--quick]``

Per request (goal: 50 us or less for the whole authorizer call): the authorizer is configured
by environment variables exactly as in Lambda, its JWKS served over HTTP on 127.0.0.1 by a real
server and fetched once (the warm cache); then ``lambda_handler`` runs in a loop on a payload
2.0 REQUEST event built from ``shared/fixtures/events/apiGatewayAuthorizerV2Event.json`` with a
few cookies and the session cookie (the cookie-only request the seed is about), and on the 1.0
event for the IAM policy answer, and on the WebSocket ``$connect`` authorizer event
(``apiGatewayAuthorizerWebSocketEvent.json``) with the token in the Cookie header and in the
query string (the two handshakes a browser can make). The parts (cookie parsing, token extraction, RS256
verification) are timed alone too, and so is the bare RSA-2048 verify of ``cryptography``, the
floor no Python authorizer goes under: on a busy machine, compare the request to that floor.
Each figure is the best of 15 loops, in us.

Import (goal: under 150 ms): ``import lambda_function`` timed with perf_counter in a fresh
interpreter, as Lambda's init does, 7 times; the minimum and the median are printed. The OS file
cache is warm after the first run, as it is on a warm Lambda host.

Not a test: figures depend on the machine; nothing here asserts.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import timeit
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ROOT = Path(__file__).resolve().parents[1]
AUTHORIZER_DIR = ROOT / "cora_constructs" / "authorizer"
LAYER_DIR = ROOT  # cora_runtime is a top-level package of the repository
EVENTS_DIR = ROOT / ".." / "shared" / "fixtures" / "events"

ISSUER = "https://id.example.test/"
AUDIENCE = "cora-api"
COOKIE = "cora_session"
KID = "bench-key"
REQUEST_GOAL_US = 50.0
IMPORT_GOAL_MS = 150.0


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(key: rsa.RSAPrivateKey, claims: dict[str, Any]) -> str:
    """A compact RS256 JWS, signed with ``cryptography`` (no PyJWT needed here)."""
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": KID}).encode())
    payload = b64url(json.dumps(claims).encode())
    signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{b64url(signature)}"


def jwk(key: rsa.RSAPrivateKey) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "RSA",
        "kid": KID,
        "use": "sig",
        "alg": "RS256",
        "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url(numbers.e.to_bytes(3, "big")),
    }


@contextlib.contextmanager
def jwks_server(document: dict[str, Any]) -> Iterator[str]:
    body = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def load_fixture(name: str, fallback: dict[str, Any]) -> dict[str, Any]:
    path = EVENTS_DIR / name
    if path.is_file():
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    print(f"note: {path} not found, using a built-in event", file=sys.stderr)
    return fallback


REPEATS = 15


def per_call_us(cases: list[tuple[str, Callable[[], object]]], number: int) -> list[tuple[str, float]]:
    """Per case, the best of ``REPEATS`` loops of ``number`` calls, in microseconds per call.

    The loops are interleaved (each round times every case once), so a burst of load from
    other processes hits all cases alike; the best loop is the least disturbed one.
    """
    best = {name: float("inf") for name, _ in cases}
    for _name, func in cases:
        func()
    for _ in range(REPEATS):
        for name, func in cases:
            best[name] = min(best[name], timeit.timeit(func, number=number))
    return [(name, best[name] / number * 1e6) for name, _ in cases]


def import_times_ms(runs: int) -> list[float]:
    code = (
        "import time; t = time.perf_counter(); import lambda_function; "
        "print((time.perf_counter() - t) * 1000)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(AUTHORIZER_DIR), str(LAYER_DIR)])}
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
        ).stdout
        times.append(float(out.strip()))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    args = parser.parse_args()
    number = 200 if args.quick else 2000

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    token = sign(
        key,
        {
            "sub": "user-123",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "exp": now + 3600,
            "iat": now,
            "email": "ada@example.test",
            "scope": "tasks:read tasks:write",
            "groups": ["admins", "staff"],
        },
    )
    forged = token[: token.rindex(".") + 1] + b64url(b"\x00" * 256)

    v2 = load_fixture("apiGatewayAuthorizerV2Event.json", {"version": "2.0", "type": "REQUEST"})
    v2["cookies"] = [*v2.get("cookies", []), "theme=dark", "lang=en", "_ga=GA1.2.3", f"{COOKIE}={token}"]
    v2_bearer = {**v2, "cookies": ["theme=dark"], "headers": {**v2.get("headers", {})}}
    v2_bearer["headers"]["Authorization"] = f"Bearer {token}"
    v2_forged = {**v2, "cookies": [f"{COOKIE}={forged}"]}
    v1 = load_fixture(
        "apiGatewayAuthorizerRequestEvent.json",
        {"type": "REQUEST", "methodArn": "arn:aws:execute-api:us-east-1:1:api/test/GET/x", "headers": {}},
    )
    v1["headers"] = {**v1.get("headers", {}), "Cookie": f"theme=dark; {COOKIE}={token}"}
    ws = load_fixture(
        "apiGatewayAuthorizerWebSocketEvent.json",
        {"type": "REQUEST", "methodArn": "arn:aws:execute-api:us-east-1:1:api/prod/$connect", "headers": {}},
    )
    ws_cookie = {**ws, "headers": {**ws.get("headers", {}), "Cookie": f"theme=dark; {COOKIE}={token}"}}
    ws_query = {**ws, "queryStringParameters": {"token": token}}

    sys.path[:0] = [str(AUTHORIZER_DIR), str(LAYER_DIR)]
    with jwks_server({"keys": [jwk(key)]}) as url:
        os.environ.update(JWKS_URL=url, JWT_ISSUER=ISSUER, JWT_AUDIENCE=AUDIENCE, SESSION_COOKIE_NAME=COOKIE)
        import lambda_function as authorizer

        from cora_runtime.auth import extract_token
        from cora_runtime.cookies import parse_cookies

        handler = authorizer.lambda_handler
        with contextlib.redirect_stdout(io.StringIO()):  # the JWKS fetch logs one line
            assert handler(v2, None)["isAuthorized"] is True, "the benchmark token must be accepted"
        assert handler(v2_bearer, None)["isAuthorized"] is True
        assert handler(v1, None)["policyDocument"]["Statement"][0]["Effect"] == "Allow"
        for event in (ws_cookie, ws_query):
            assert handler(event, None)["policyDocument"]["Statement"][0]["Resource"] == ws["methodArn"]
        cache = authorizer.current_authorizer().keys
        assert cache is not None and cache.fetches == 1

        def verify() -> object:
            return authorizer.verify_token(
                token, cache, issuer=ISSUER, audiences=frozenset({AUDIENCE}), now=time.time()
            )

        public_key = key.public_key()
        signing_input, _, signature_b64 = token.rpartition(".")
        signature = authorizer.b64url_decode(signature_b64)
        pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

        def rsa_floor() -> None:
            public_key.verify(signature, signing_input.encode(), pkcs1, sha256)

        cases: list[tuple[str, Callable[[], object]]] = [
            ("RSA-2048 verify alone, cryptography (the floor)", rsa_floor),
            ("parse_cookies (v2 event, 5 cookies + 'cookie1')", lambda: parse_cookies(v2)),
            ("extract_token (cookie)", lambda: extract_token(v2, COOKIE)),
            ("verify_token (RS256, warm key cache, claims)", verify),
            ("lambda_handler v2, token in cookie [the request]", lambda: handler(v2, None)),
            ("lambda_handler v2, Bearer header", lambda: handler(v2_bearer, None)),
            ("lambda_handler v1 (IAM policy), token in Cookie", lambda: handler(v1, None)),
            ("lambda_handler v2, forged signature (deny + log)", lambda: handler(v2_forged, None)),
            ("lambda_handler WebSocket $connect, token in Cookie", lambda: handler(ws_cookie, None)),
            ("lambda_handler WebSocket $connect, token in query", lambda: handler(ws_query, None)),
        ]
        with contextlib.redirect_stdout(io.StringIO()):  # denies log one line each
            rows = per_call_us(cases, number)
        assert cache.fetches == 1, "the loop must not refetch the JWKS"

    imports = import_times_ms(3 if args.quick else 7)

    python = sys.version.split()[0]
    print(f"authorizer benchmark ({number} calls x {REPEATS} loops, best; Python {python})")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value:8.1f} us")
    floor, request = rows[0][1], rows[4][1]
    print(
        f"  per request: {request:.1f} us (goal <= {REQUEST_GOAL_US:.0f} us: "
        f"{'met' if request <= REQUEST_GOAL_US else 'NOT met'}); "
        f"{request - floor:.1f} us above the bare RSA verify, {request / floor:.2f}x the floor"
    )
    best, median = min(imports), statistics.median(imports)
    verdict = "met" if median < IMPORT_GOAL_MS else "NOT met"
    print(
        f"  cold import of lambda_function: min {best:.1f} ms, median {median:.1f} ms over "
        f"{len(imports)} fresh interpreters (goal < {IMPORT_GOAL_MS:.0f} ms: {verdict})"
    )


if __name__ == "__main__":
    main()
