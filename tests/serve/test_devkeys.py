"""The development key: created once with mode 0600, published as a JWKS, and its tokens accepted
by the real org authorizer (and by PyJWT, an independent implementation)."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import jwt
import pytest

from cora_constructs.serve import devkeys
from tests.runtime.support import load_authorizer, start_jwks_server

ISSUER, AUDIENCE = "https://auth.example.com/", "cora-api"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> devkeys.DevKey:
    return devkeys.load_or_create(tmp_path_factory.mktemp("cache") / "cora-constructs" / "dev-key.pem")


def test_the_key_is_created_once_private_and_reused(key: devkeys.DevKey) -> None:
    assert stat.S_IMODE(key.path.stat().st_mode) == 0o600
    again = devkeys.load_or_create(key.path)
    assert again.kid == key.kid and again.public_jwk == key.public_jwk
    assert key.jwks() == {"keys": [key.public_jwk]}
    assert set(key.public_jwk) == {"kty", "n", "e", "kid", "use", "alg"}


def test_a_broken_key_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "dev-key.pem"
    broken.write_text("not a key")
    with pytest.raises(devkeys.DevKeyError, match="delete it"):
        devkeys.load_or_create(broken)


def test_the_default_key_lives_in_the_user_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(devkeys.KEY_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert devkeys.default_key_path() == tmp_path / "cora-constructs" / "dev-key.pem"


def test_tokens_verify_with_pyjwt(key: devkeys.DevKey) -> None:
    claims = devkeys.token_claims(
        subject="alice", issuer=ISSUER, audience=AUDIENCE, ttl_seconds=60, extra={"groups": ["a", "b"]}
    )
    token = key.sign(claims)
    assert jwt.get_unverified_header(token)["kid"] == key.kid
    public = jwt.PyJWK(key.public_jwk).key
    decoded = jwt.decode(token, public, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER)
    assert decoded["sub"] == "alice" and decoded["groups"] == ["a", "b"]
    assert decoded["exp"] - decoded["iat"] == 60


def test_the_org_authorizer_accepts_a_dev_token_from_the_dev_jwks(key: devkeys.DevKey) -> None:
    module = load_authorizer()
    server = start_jwks_server()
    server.jwks = key.jwks()
    try:
        config = module.Config(server.url, ISSUER, frozenset({AUDIENCE}), "session")
        authorizer = module.Authorizer(config)
        token = key.sign(
            devkeys.token_claims(subject="alice", issuer=ISSUER, audience=AUDIENCE, ttl_seconds=60)
        )
        allowed = authorizer({"version": "2.0", "type": "REQUEST", "cookies": [f"session={token}"]})
        assert allowed["isAuthorized"] is True
        assert allowed["context"]["sub"] == "alice" and allowed["context"]["iss"] == ISSUER
        expired = key.sign(
            devkeys.token_claims(
                subject="alice", issuer=ISSUER, audience=AUDIENCE, ttl_seconds=1, now=time.time() - 3600
            )
        )
        denied = authorizer({"version": "2.0", "headers": {"authorization": f"Bearer {expired}"}})
        assert denied["isAuthorized"] is False
    finally:
        assert server.server is not None
        server.server.shutdown()
        server.server.server_close()


@pytest.mark.parametrize(
    ("text", "seconds"), [("3600", 3600), ("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172800)]
)
def test_ttl(text: str, seconds: int) -> None:
    assert devkeys.parse_ttl(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "1w", "-5", "h"])
def test_bad_ttl(text: str) -> None:
    with pytest.raises(ValueError, match="--ttl"):
        devkeys.parse_ttl(text)


def test_claims_are_json_when_json() -> None:
    assert devkeys.parse_claim("admin=true") == ("admin", True)
    assert devkeys.parse_claim("level=3") == ("level", 3)
    assert devkeys.parse_claim('groups=["a","b"]') == ("groups", ["a", "b"])
    assert devkeys.parse_claim("email=a@b.c") == ("email", "a@b.c")
    assert devkeys.parse_claim("x={}") == ("x", "{}")
    with pytest.raises(ValueError, match="KEY=VALUE"):
        devkeys.parse_claim("novalue")
