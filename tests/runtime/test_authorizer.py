"""The authorizer: real RSA keys, a real JWKS server on 127.0.0.1, the real fixture events.

Every case of the issue that must deny is asserted here, each with the logged reason, and no
log line may contain the token.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from .support import (
    AUDIENCE,
    COOKIE,
    ISSUER,
    V1_AUTHORIZER_EVENT,
    V2_AUTHORIZER_EVENT,
    JWKSServer,
    Keys,
    closed_port_url,
    load_event,
    log_lines,
    mint,
    with_cookie,
    with_header,
)

DENY_V2 = {"isAuthorized": False, "context": {}}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], payload: dict[str, Any], sign: Any = None) -> str:
    """A hand-made compact JWS (for the attacks PyJWT refuses to produce)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = b"" if sign is None else sign(signing_input.encode())
    return f"{signing_input}.{b64(signature)}"


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch, jwks: JWKSServer, authorizer_module: ModuleType) -> JWKSServer:
    """A cold container (no cached authorizer or keys) configured for the test JWKS server."""
    monkeypatch.setattr(authorizer_module, "_current", None)
    monkeypatch.setenv("JWKS_URL", jwks.url)
    monkeypatch.setenv("JWT_ISSUER", ISSUER)
    monkeypatch.setenv("JWT_AUDIENCE", f"other-api, {AUDIENCE}")
    monkeypatch.setenv("SESSION_COOKIE_NAME", COOKIE)
    return jwks


@pytest.fixture()
def authorize(authorizer_module: ModuleType, jwks: JWKSServer) -> Any:
    """A fresh authorizer (empty key cache) configured for the test issuer and JWKS server."""
    config = authorizer_module.Config(jwks.url, ISSUER, frozenset({AUDIENCE}), COOKIE)
    return authorizer_module.Authorizer(config)


def v2_with_cookie(token: str) -> dict[str, Any]:
    return with_cookie(load_event(V2_AUTHORIZER_EVENT), f"{COOKIE}={token}")


def v2_with_bearer(token: str) -> dict[str, Any]:
    return with_header(load_event(V2_AUTHORIZER_EVENT), "Authorization", f"Bearer {token}")


def deny_reason(out: str, token: str | None = None) -> str:
    lines = log_lines(out)
    denies = [line for line in lines if line["message"] == "deny"]
    assert len(denies) == 1, lines
    if token:
        for part in [token, *token.split(".")]:
            assert len(part) < 8 or part not in out  # a short part ("a") may occur by chance
    reason: str = denies[0]["reason"]
    return reason


# --- allow ------------------------------------------------------------------------------------


def test_v2_cookie_only_request_is_allowed_with_claims_in_context(
    env: JWKSServer, authorizer_module: ModuleType, keys: Keys
) -> None:
    token = mint(keys.current)
    response = authorizer_module.lambda_handler(v2_with_cookie(token), None)
    assert response["isAuthorized"] is True
    context = response["context"]
    assert context["sub"] == "user-123"
    assert context["email"] == "ada@example.test"
    assert context["groups"] == "admins,staff"  # the identity contract: comma-joined
    assert context["iss"] == ISSUER
    assert "profile" not in context  # objects cannot travel in an authorizer context
    assert all(isinstance(v, str | int | float | bool) for v in context.values())


def test_v2_bearer_header_is_allowed(env: JWKSServer, authorizer_module: ModuleType, keys: Keys) -> None:
    response = authorizer_module.lambda_handler(v2_with_bearer(mint(keys.current)), None)
    assert response["isAuthorized"] is True


def test_v1_event_gets_an_allow_policy_for_the_stage(
    env: JWKSServer, authorizer_module: ModuleType, keys: Keys
) -> None:
    event = load_event(V1_AUTHORIZER_EVENT)
    event["headers"]["Cookie"] = f"theme=dark; {COOKIE}={mint(keys.current, aud=[AUDIENCE, 'x'])}"
    response = authorizer_module.lambda_handler(event, None)
    assert response["principalId"] == "user-123"
    assert response["policyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Action": "execute-api:Invoke",
                "Effect": "Allow",
                "Resource": "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*",
            }
        ],
    }
    assert response["context"]["aud"] == f"{AUDIENCE} x"


def test_keys_are_cached_across_invocations(
    env: JWKSServer, authorizer_module: ModuleType, keys: Keys
) -> None:
    for _ in range(5):
        assert authorizer_module.lambda_handler(v2_with_cookie(mint(keys.current)), None)["isAuthorized"]
    assert env.hits == 1


def test_unknown_kid_refreshes_the_jwks_rate_limited(
    authorizer_module: ModuleType, jwks: JWKSServer, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    now = [1000.0]
    cache = authorizer_module.JWKSKeyCache(jwks.url, clock=lambda: now[0])
    config = authorizer_module.Config(jwks.url, ISSUER, frozenset({AUDIENCE}), COOKIE)
    authorize = authorizer_module.Authorizer(config, keys=cache)
    assert authorize(v2_with_cookie(mint(keys.current)))["isAuthorized"]
    jwks.serve(keys.current, keys.rotated)  # the identity provider rotates its keys
    rotated = mint(keys.rotated)
    now[0] += 5  # within 10 s of the last fetch: no new fetch, deny
    assert authorize(v2_with_cookie(rotated)) == DENY_V2
    assert jwks.hits == 0
    now[0] += 6
    assert authorize(v2_with_cookie(rotated))["isAuthorized"]
    assert jwks.hits == 1
    assert authorize(v2_with_cookie(mint(keys.current)))["isAuthorized"]  # both kids now known
    assert jwks.hits == 1
    refreshed = [line for line in log_lines(capsys.readouterr().out) if line["message"] == "jwks_refreshed"]
    assert [line["kids"] for line in refreshed] == [["key-current"], ["key-current", "key-rotated"]]


def clocked_authorizer(module: ModuleType, jwks: JWKSServer) -> tuple[Any, list[float]]:
    """An authorizer whose JWKS cache (max age 60 s) reads the returned clock cell."""
    now = [0.0]
    cache = module.JWKSKeyCache(jwks.url, clock=lambda: now[0], max_age=60.0)
    config = module.Config(jwks.url, ISSUER, frozenset({AUDIENCE}), COOKIE)
    return module.Authorizer(config, keys=cache), now


def test_removed_key_is_dropped_when_the_set_expires(
    authorizer_module: ModuleType, jwks: JWKSServer, keys: Keys
) -> None:
    authorize, now = clocked_authorizer(authorizer_module, jwks)
    token = mint(keys.current)
    assert authorize(v2_with_cookie(token))["isAuthorized"]
    jwks.serve(keys.rotated)  # key-current revoked
    now[0] = 30.0
    assert authorize(v2_with_cookie(token))["isAuthorized"]  # still fresh: no fetch
    now[0] = 61.0
    assert authorize(v2_with_cookie(token)) == DENY_V2
    assert jwks.hits == 1


def test_stale_keys_stay_in_use_while_the_jwks_is_down(
    authorizer_module: ModuleType, jwks: JWKSServer, keys: Keys
) -> None:
    authorize, now = clocked_authorizer(authorizer_module, jwks)
    token = mint(keys.current)
    assert authorize(v2_with_cookie(token))["isAuthorized"]
    jwks.status = 503
    now[0] = 61.0  # the set is stale: a refresh is tried, fails, the cached key still serves
    assert authorize(v2_with_cookie(token))["isAuthorized"]
    assert jwks.hits == 2
    now[0] = 65.0  # within 10 s of the failed attempt: no new attempt
    assert authorize(v2_with_cookie(token))["isAuthorized"]
    assert jwks.hits == 2


# --- deny: every case of the issue ----------------------------------------------------------


def _hs256_with_public_key(keys: Keys) -> str:
    pem = keys.current.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    payload = {"sub": "attacker", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 600}
    return forge(
        {"alg": "HS256", "typ": "JWT", "kid": keys.current.kid},
        payload,
        lambda data: hmac.new(pem, data, hashlib.sha256).digest(),
    )


def _alg_none(keys: Keys) -> str:
    now = int(time.time())
    return forge(
        {"alg": "none", "kid": keys.current.kid},
        {"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 60},
    )


def _tampered(keys: Keys) -> str:
    header, _, signature = mint(keys.current).split(".")
    payload = jwt.utils.base64url_encode(
        json.dumps({"sub": "admin", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60}).encode()
    ).decode()
    return f"{header}.{payload}.{signature}"


def _rs256_claimed_but_empty_signature(keys: Keys) -> str:
    return forge({"alg": "RS256", "kid": keys.current.kid}, {"sub": "x"})


DENIALS: dict[str, Callable[[Keys], str]] = {
    "expired": lambda k: mint(k.current, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200),
    "unsigned alg none": _alg_none,
    "HS256 signed with the public key": _hs256_with_public_key,
    "foreign key with a known kid": lambda k: mint(k.foreign, headers={"kid": k.current.kid}),
    "foreign key with its own kid": lambda k: mint(k.foreign),
    "wrong audience": lambda k: mint(k.current, aud="someone-else"),
    "wrong audience list": lambda k: mint(k.current, aud=["a", "b"]),
    "no audience": lambda k: mint(k.current, aud=None),
    "wrong issuer": lambda k: mint(k.current, iss="https://evil.example/"),
    "no expiry": lambda k: mint(k.current, exp=None),
    "not yet valid": lambda k: mint(k.current, nbf=int(time.time()) + 3600),
    "issued in the future": lambda k: mint(k.current, iat=int(time.time()) + 3600),
    "no subject": lambda k: mint(k.current, sub=None),
    "tampered payload": _tampered,
    "empty signature": _rs256_claimed_but_empty_signature,
    "no kid": lambda k: mint(k.current, headers={"kid": None}),
    "crit header": lambda k: mint(k.current, headers={"crit": ["exp"], "exp": 1}),
    "PS256": lambda k: jwt.encode(
        {"sub": "x"}, k.current.private, algorithm="PS256", headers={"kid": k.current.kid}
    ),
    "malformed: one segment": lambda k: "not-a-jwt",
    "malformed: garbage segments": lambda k: "a.b.c",
    "malformed: JWE five segments": lambda k: "a.b.c.d.e",
    "malformed: padded base64": lambda k: mint(k.current).replace(".", "=.", 1),
    "too long": lambda k: mint(k.current, blob="x" * 9000),
}

REASONS = {
    "expired": "expired",
    "unsigned alg none": "alg_not_allowed",
    "HS256 signed with the public key": "alg_not_allowed",
    "foreign key with a known kid": "bad_signature",
    "foreign key with its own kid": "unknown_kid",
    "wrong audience": "wrong_audience",
    "wrong audience list": "wrong_audience",
    "no audience": "wrong_audience",
    "wrong issuer": "wrong_issuer",
    "no expiry": "no_exp",
    "not yet valid": "not_yet_valid",
    "issued in the future": "issued_in_future",
    "no subject": "no_subject",
    "tampered payload": "bad_signature",
    "empty signature": "malformed",
    "no kid": "no_kid",
    "crit header": "crit_header",
    "PS256": "alg_not_allowed",
    "malformed: one segment": "malformed",
    "malformed: garbage segments": "malformed",
    "malformed: JWE five segments": "malformed",
    "malformed: padded base64": "malformed",
    "too long": "too_long",
}


@pytest.mark.parametrize("case", sorted(DENIALS))
@pytest.mark.parametrize("source", ["cookie", "bearer"])
def test_bad_tokens_deny_with_a_reason_and_no_token_in_the_log(
    case: str,
    source: str,
    env: JWKSServer,
    authorizer_module: ModuleType,
    keys: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = DENIALS[case](keys)
    event = v2_with_cookie(token) if source == "cookie" else v2_with_bearer(token)
    capsys.readouterr()
    assert authorizer_module.lambda_handler(event, None) == DENY_V2
    out = capsys.readouterr().out
    assert deny_reason(out, token) == REASONS[case]
    # The same token in a 1.0 event: a Deny policy.
    v1 = load_event(V1_AUTHORIZER_EVENT)
    v1["headers"]["Authorization"] = f"Bearer {token}"
    response = authorizer_module.lambda_handler(v1, None)
    assert response["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert response["principalId"] == "anonymous"


@pytest.mark.parametrize("name", [V2_AUTHORIZER_EVENT, V1_AUTHORIZER_EVENT])
def test_fixture_events_without_a_token_deny(
    name: str, env: JWKSServer, authorizer_module: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    # The v2 fixture's "Authorization: value" is no Bearer token, its cookies have no '='.
    response = authorizer_module.lambda_handler(load_event(name), None)
    if name == V2_AUTHORIZER_EVENT:
        assert response == DENY_V2
    else:
        assert response["policyDocument"]["Statement"] == [
            {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": "*"}
        ]
    line = log_lines(capsys.readouterr().out)[-1]
    assert line["reason"] == "no_token"
    assert line["request_id"] in ("id", "EXqgWgXxSK4EJug=")
    assert line["route"].startswith("arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET")
    assert env.hits == 0  # no token, no JWKS fetch


def test_bearer_header_wins_so_a_bad_header_denies_despite_a_good_cookie(
    env: JWKSServer, authorizer_module: ModuleType, keys: Keys
) -> None:
    event = with_header(v2_with_cookie(mint(keys.current)), "authorization", "Bearer forged.token.here")
    assert authorizer_module.lambda_handler(event, None) == DENY_V2


def test_unreachable_jwks_denies(
    authorizer_module: ModuleType, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    url = closed_port_url()
    authorize = authorizer_module.Authorizer(
        authorizer_module.Config(url, ISSUER, frozenset({AUDIENCE}), COOKIE)
    )
    token = mint(keys.current)
    assert authorize(v2_with_cookie(token)) == DENY_V2
    out = capsys.readouterr().out
    fetch_failed = [line for line in log_lines(out) if line["message"] == "jwks_fetch_failed"]
    assert fetch_failed[0]["error_type"] == "URLError"
    assert deny_reason(out, token) == "jwks_unavailable"
    # The next request within 10 s does not try again (no fetch storm while the IdP is down).
    assert authorize(v2_with_cookie(token)) == DENY_V2
    assert authorize.keys.fetches == 1


@pytest.mark.parametrize(
    ("status", "body", "delay"),
    [
        (500, b'{"keys": []}', 0.0),
        (200, b"<html>not json</html>", 0.0),
        (200, b'{"keys": []}', 0.0),
        (200, b'{"keys": [{"kty": "EC", "kid": "x"}]}', 0.0),
        (200, b'{"keys": []}', 2.0),  # slower than the timeout below
    ],
)
def test_broken_jwks_denies_within_the_timeout(
    status: int,
    body: bytes,
    delay: float,
    authorizer_module: ModuleType,
    jwks: JWKSServer,
    keys: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    jwks.status, jwks.raw_body, jwks.delay = status, body, delay
    cache = authorizer_module.JWKSKeyCache(jwks.url, timeout=0.3)
    authorize = authorizer_module.Authorizer(
        authorizer_module.Config(jwks.url, ISSUER, frozenset({AUDIENCE}), COOKIE), keys=cache
    )
    started = time.monotonic()
    assert authorize(v2_with_cookie(mint(keys.current))) == DENY_V2
    assert time.monotonic() - started < 1.5
    assert deny_reason(capsys.readouterr().out) == "jwks_unavailable"


def test_weak_keys_in_the_jwks_are_ignored(
    authorizer_module: ModuleType, jwks: JWKSServer, keys: Keys
) -> None:
    jwks.serve(keys.weak, keys.current)
    parsed = authorizer_module.fetch_jwks(jwks.url)
    assert sorted(parsed) == ["key-current"]


@pytest.mark.parametrize(
    ("variables", "missing"),
    [
        (
            {},
            "JWKS_URL is not set; JWT_ISSUER is not set; JWT_AUDIENCE is not set; "
            "SESSION_COOKIE_NAME is not set",
        ),
        ({"JWKS_URL": "http://idp.example.com/jwks"}, "JWKS_URL must be an https:// URL"),
        ({"JWT_AUDIENCE": " , "}, "JWT_AUDIENCE names no audience"),
        ({"SESSION_COOKIE_NAME": "a;b"}, "is not a cookie name"),
    ],
)
def test_bad_configuration_denies_everything_and_logs_why(
    variables: dict[str, str],
    missing: str,
    env: JWKSServer,
    monkeypatch: pytest.MonkeyPatch,
    authorizer_module: ModuleType,
    keys: Keys,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not variables:
        for name in authorizer_module.ENV_VARS:
            monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    token = mint(keys.current)
    assert authorizer_module.lambda_handler(v2_with_cookie(token), None) == DENY_V2
    line = log_lines(capsys.readouterr().out)[-1]
    assert (line["level"], line["reason"]) == ("ERROR", "config_error")
    assert missing in line["detail"]
    assert env.hits == 0


GARBAGE: list[Any] = [
    None,
    "",
    "Bearer x",
    42,
    [],
    [{"headers": {}}],
    {},
    {"headers": None, "cookies": None},
    {"headers": {"authorization": ["Bearer a.b.c"]}, "cookies": [1, None]},
    {"headers": {"authorization": "Bearer " + "ä" * 50}},
    {"type": "TOKEN", "authorizationToken": None, "methodArn": 7},
    {"version": "1.0", "methodArn": None, "headers": {"Authorization": "Bearer a.b.c"}},
    {"version": "2.0", "cookies": [f"{COOKIE}=" + "[" * 5000]},
    {"cookies": [f"{COOKIE}=" + b64(b"[" * 3000) + ".e30.c2ln"]},
]


@pytest.mark.parametrize("event", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_events_deny_and_never_raise(
    event: Any, env: JWKSServer, authorizer_module: ModuleType
) -> None:
    response = authorizer_module.lambda_handler(copy.deepcopy(event), None)
    if "policyDocument" in response:
        assert response["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    else:
        assert response == DENY_V2


def test_v1_allow_needs_a_method_arn(
    env: JWKSServer, authorizer_module: ModuleType, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    event = load_event(V1_AUTHORIZER_EVENT)
    event["methodArn"] = "not-an-arn"
    event["headers"]["Authorization"] = f"Bearer {mint(keys.current)}"
    response = authorizer_module.lambda_handler(event, None)
    assert response["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert deny_reason(capsys.readouterr().out) == "bad_method_arn"


def test_allowed_requests_are_not_logged(
    env: JWKSServer, authorizer_module: ModuleType, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    authorizer_module.lambda_handler(v2_with_cookie(mint(keys.current)), None)  # warms the cache
    capsys.readouterr()
    assert authorizer_module.lambda_handler(v2_with_bearer(mint(keys.current)), None)["isAuthorized"]
    assert capsys.readouterr().out == ""


def test_base64url_decoding_is_strict_and_canonical(authorizer_module: ModuleType) -> None:
    decode = authorizer_module.b64url_decode
    assert decode("aGk") == b"hi"
    for bad in ("aGl", "aGk=", "aG+k", "aG/k", "a", "aGk!"):
        with pytest.raises(ValueError):
            decode(bad)
