"""The authorizer's verifier held against a reference: PyJWT's ``jwt.decode``.

hypothesis builds tokens (valid ones, and ones changed in header, payload, signature, encoding,
claim types, times, ``kid`` and ``alg``) and both sides judge each with the same key (the JWKS
key of the token's ``kid``), issuer, audience and leeway:

1. every token PyJWT rejects, the authorizer denies;
2. every token PyJWT accepts that also meets the authorizer's stricter, documented rules
   (:func:`meets_stricter_rules`: RS256 only, ``kid`` required, ``sub`` required, ...) it allows;
3. the verifier never raises anything but ``InvalidTokenError``.

Bounded and deterministic in CI: 200 examples per property, derandomized (set
``CORA_DIFFERENTIAL_EXAMPLES`` for a longer local run).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import re
import time
from types import ModuleType
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support import AUDIENCE, ISSUER, Keys

LEEWAY = 30.0
EXAMPLES = int(os.environ.get("CORA_DIFFERENTIAL_EXAMPLES", "200"))
DIFFERENTIAL = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REFERENCE_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "HS256", "ES256"]
"""What PyJWT may accept: more than the authorizer (RS256 only), so the property has teeth."""
ABSENT: Any = object()
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def canonical_b64url(segment: str) -> bytes | None:
    """The bytes of a strict, canonical, unpadded base64url segment, else None (independent of
    the authorizer's decoder: decode leniently, then require the segment to re-encode exactly)."""
    if not _B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        return None
    data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    return data if b64(data) == segment else None


def _is_number(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and math.isfinite(value)
    )


def meets_stricter_rules(token: str) -> bool:
    """The authorizer's documented rules beyond PyJWT's (its module docstring): at most 8 KiB of
    ASCII in three strict canonical base64url segments; a header with exactly ``"alg": "RS256"``,
    a non-empty string ``kid``, no ``crit`` and no ``b64`` other than true; a non-empty
    signature; ``exp`` a JSON number; ``nbf`` and ``iat``, when present, JSON numbers; ``sub`` a
    non-empty string."""
    if len(token) > 8192 or not token.isascii() or token.count(".") != 2:
        return False
    segments = [canonical_b64url(part) for part in token.split(".")]
    if any(part is None for part in segments):
        return False
    raw_header, raw_payload, signature = segments
    assert raw_header is not None and raw_payload is not None
    try:
        header, payload = json.loads(raw_header), json.loads(raw_payload)
    except ValueError:
        return False
    if not (isinstance(header, dict) and isinstance(payload, dict)):
        return False
    kid = header.get("kid")
    return (
        header.get("alg") == "RS256"
        and isinstance(kid, str)
        and bool(kid)
        and "crit" not in header
        and header.get("b64", True) is True
        and bool(signature)
        and _is_number(payload.get("exp"))
        and all(_is_number(payload[name]) for name in ("nbf", "iat") if name in payload)
        and isinstance(payload.get("sub"), str)
        and bool(payload["sub"])
    )


def pyjwt_accepts(token: str, jwks: dict[str, RSAPublicKey], fallback: RSAPublicKey) -> bool:
    """PyJWT's verdict with the JWKS key of the token's ``kid`` (an unknown kid: no key, reject;
    no usable kid: the JWKS key, so PyJWT judges everything else)."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except Exception:
        kid = None
    if isinstance(kid, str):
        if kid not in jwks:
            return False
        key = jwks[kid]
    else:
        key = fallback
    try:
        jwt.decode(
            token,
            key,
            algorithms=REFERENCE_ALGORITHMS,
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY,
            options={"require": ["exp"]},
        )
    except Exception:  # any exception is a rejection (PyJWT raises more than its own errors)
        return False
    return True


# --- tokens ---------------------------------------------------------------------------------------

# Offsets from now that stay 3 s clear of the leeway boundaries (now - 30 for exp, now + 30
# for nbf and iat), so the two clocks, read microseconds apart, cannot disagree.
exp_offsets = st.integers(-400, 400).filter(lambda d: not -34 <= d <= -26)
not_before_offsets = st.integers(-400, 400).filter(lambda d: not 26 <= d <= 34)
odd_values = st.sampled_from(["", "x", "123", True, False, None, [], {}, ["x"], 1.5, 0, 10**30])


def time_claim(offsets: st.SearchStrategy[int]) -> st.SearchStrategy[Any]:
    # The clock is read when a value is drawn, never when the module loads: a suite running for
    # minutes must not push the offsets onto the leeway boundaries.
    return st.one_of(
        offsets.map(lambda d: int(time.time()) + d),
        offsets.map(lambda d: int(time.time()) + d + 0.25),
        offsets.map(lambda d: str(int(time.time()) + d)),
        st.sampled_from([10**400, float("inf"), float("nan"), -(10**400), 1e300]),
        odd_values,
        st.just(ABSENT),
    )


HEADER_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "alg": st.sampled_from(["RS384", "RS512", "PS256", "HS256", "none", "rs256", ""]) | odd_values,
    "kid": st.sampled_from(["key-rotated", "", "KEY-CURRENT"]) | odd_values,
    "typ": st.sampled_from(["JWT", "at+jwt"]) | odd_values,
    "crit": st.sampled_from([["b64"], ["exp"], [], "b64"]),
    "b64": st.sampled_from([True, False, "false", None]),
    "jku": st.just("https://attacker.example/jwks.json"),
}
PAYLOAD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "iss": st.sampled_from([ISSUER.rstrip("/"), ISSUER.upper()]) | odd_values,
    "aud": st.sampled_from([[AUDIENCE], [AUDIENCE, "other"], [AUDIENCE, 5], ["other"], "other", []])
    | odd_values,
    "sub": st.sampled_from(["", " ", "other-user"]) | odd_values,
    "exp": time_claim(exp_offsets),
    "nbf": time_claim(not_before_offsets),
    "iat": time_claim(not_before_offsets),
    "jti": st.sampled_from(["id-1"]) | odd_values,
    "email": st.sampled_from(["ada@example.test"]) | odd_values,
}


@st.composite
def changed(
    draw: st.DrawFn, base: dict[str, Any], values: dict[str, st.SearchStrategy[Any]]
) -> dict[str, Any]:
    """``base`` with one or two of its fields set to another value, or removed."""
    result = dict(base)
    count = draw(st.sampled_from([1, 1, 1, 2]))
    for name in {draw(st.sampled_from(sorted(values))) for _ in range(count)}:
        value = draw(values[name] | st.just(ABSENT), label=name)
        if value is ABSENT:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def _sign(alg: object, key: RSAPrivateKey, signing_input: bytes) -> bytes:
    if alg == "PS256":
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
        return key.sign(signing_input, pss, hashes.SHA256())
    digest = {"RS384": hashes.SHA384(), "RS512": hashes.SHA512()}.get(str(alg), hashes.SHA256())
    return key.sign(signing_input, padding.PKCS1v15(), digest)


@st.composite
def tokens(draw: st.DrawFn, keys: Keys) -> str:
    """A valid token, or one changed in a few places: header and payload fields (types, times,
    ``kid``, ``alg``), their JSON, the signature and the encoding."""
    now = int(time.time())
    # Mostly one change at a time: two at once nearly always make a token both sides reject.
    count = draw(st.sampled_from([0, 1, 1, 1, 1, 2]), label="how many changes")
    kinds = ["header", "payload", "payload", "header-json", "payload-json", "signer", "encoding"]
    changes = {draw(st.sampled_from(kinds), label="change") for _ in range(count)}
    header = {"alg": "RS256", "kid": keys.current.kid}
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-123", "exp": now + 300, "iat": now - 5}
    if "header" in changes:
        header = draw(changed(header, HEADER_VALUES), label="header")
    if "payload" in changes:
        payload = draw(changed(payload, PAYLOAD_VALUES), label="payload")
    header_bytes = json.dumps(header).encode()
    if "header-json" in changes:
        header_bytes = draw(
            st.sampled_from(
                [
                    json.dumps([header]).encode(),
                    header_bytes[:-1],
                    header_bytes[:-1] + b', "alg": "none"}',
                    header_bytes[:-1] + b', "alg": "RS256"}',
                    b"null",
                ]
            ),
            label="header json",
        )
    payload_bytes = json.dumps(payload).encode()
    if "payload-json" in changes:
        payload_bytes = draw(
            st.sampled_from(
                [b"[1]", b'"claims"', payload_bytes[:-1], b"null", b"\xff\xfe", payload_bytes + b" "]
            ),
            label="payload json",
        )
    signing_input = f"{b64(header_bytes)}.{b64(payload_bytes)}".encode()
    signer = "current"
    if "signer" in changes:
        signer = draw(
            st.sampled_from(["rotated", "foreign", "hmac-public-key", "empty", "garbage", "as-alg"]),
            label="signer",
        )
    if signer == "hmac-public-key":
        pem = keys.current.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        signature = hmac.new(pem, signing_input, hashlib.sha256).digest()
    elif signer == "empty":
        signature = b""
    elif signer == "garbage":
        signature = draw(st.binary(min_size=1, max_size=300))
    else:
        key = {"rotated": keys.rotated, "foreign": keys.foreign}.get(signer, keys.current)
        alg = header.get("alg") if signer == "as-alg" or "header" in changes else "RS256"
        signature = _sign(alg, key.private, signing_input)
    token = f"{signing_input.decode()}.{b64(signature)}"
    return draw(encoded(token), label="token") if "encoding" in changes else token


@st.composite
def encoded(draw: st.DrawFn, token: str) -> str:
    """``token`` with its encoding changed."""
    change = draw(
        st.sampled_from(["char", "pad", "space", "dot", "drop", "swap", "non-canonical", "non-ascii"])
    )
    parts = token.split(".")
    if change == "char":
        index = draw(st.integers(0, len(token) - 1))
        char = draw(st.sampled_from("AQgw-_+/=.a0"))
        return token[:index] + char + token[index + draw(st.integers(0, 1)) :]
    if change == "pad":
        which = draw(st.integers(0, 2))
        parts[which] += "=" * (-len(parts[which]) % 4 or 4)
    elif change == "space":
        return token[: len(token) // 2] + " " + token[len(token) // 2 :]
    elif change == "dot":
        return token + "." + draw(st.sampled_from(["", "e30", parts[2]]))
    elif change == "drop":
        return ".".join(parts[: draw(st.integers(0, 2))])
    elif change == "swap":
        parts[0], parts[1] = parts[1], parts[0]
    elif change == "non-canonical":
        # Flip an unused low bit of a segment's last character: same bytes, another spelling.
        which = draw(st.integers(0, 2))
        segment = parts[which]
        if len(segment) % 4 in (2, 3):
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            parts[which] = segment[:-1] + alphabet[alphabet.index(segment[-1]) ^ 1]
    elif change == "non-ascii":
        return token + "é"
    return ".".join(parts)


# --- the properties -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def verifier(authorizer_module: ModuleType, keys: Keys) -> Any:
    """The authorizer's ``verify_token`` over a key cache holding the JWKS (``key-current``) and
    never fetching: an unknown kid is unknown, as after a refresh that did not list it."""
    cache = authorizer_module.JWKSKeyCache("https://jwks.invalid/keys", min_refresh_interval=1e12)
    cache.keys = {keys.current.kid: keys.current.private.public_key()}
    cache.fetched_at = cache.attempted_at = cache.clock()
    cache.max_age = 1e12

    def verify(token: str) -> bool:
        try:
            authorizer_module.verify_token(
                token, cache, issuer=ISSUER, audiences=frozenset({AUDIENCE}), now=time.time(), leeway=LEEWAY
            )
        except authorizer_module.InvalidTokenError:
            return False
        return True

    return verify


def judge(token: str, keys: Keys, verifier: Any) -> tuple[bool, bool, bool]:
    public = keys.current.private.public_key()
    reference = pyjwt_accepts(token, {keys.current.kid: public}, public)
    return reference, meets_stricter_rules(token), verifier(token)


@DIFFERENTIAL
@given(data=st.data())
def test_the_verifier_agrees_with_pyjwt(data: st.DataObject, keys: Keys, verifier: Any) -> None:
    token = data.draw(tokens(keys), label="token")
    reference, strict, ours = judge(token, keys, verifier)
    if not reference:
        assert not ours, "PyJWT rejects this token, the authorizer allowed it"
    elif strict:
        assert ours, "PyJWT accepts this token and it meets the stricter rules, the authorizer denied it"


def test_the_generator_reaches_both_verdicts(keys: Keys, verifier: Any) -> None:
    """The property has teeth: the same strategy yields tokens both sides allow and tokens
    PyJWT alone accepts (the authorizer's stricter rules), not only garbage."""
    verdicts: set[tuple[bool, bool, bool]] = set()

    @settings(max_examples=300, deadline=None, derandomize=True, database=None)
    @given(data=st.data())
    def collect(data: st.DataObject) -> None:
        verdicts.add(judge(data.draw(tokens(keys)), keys, verifier))

    collect()
    assert (True, True, True) in verdicts  # valid tokens, allowed by both
    assert (False, False, False) in verdicts  # bad tokens, denied by both
    assert (True, False, False) in verdicts  # PyJWT-acceptable, outside the stricter rules


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": [AUDIENCE, 5]},  # PyJWT: "Invalid claim format in token"
        {"jti": 5},  # PyJWT: "JWT ID must be a string"
    ],
    ids=["aud-list-with-a-number", "jti-not-a-string"],
)
def test_what_the_differential_test_found_is_denied(
    claims: dict[str, Any], keys: Keys, verifier: Any
) -> None:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u", "exp": now + 60, **claims}
    token = jwt.encode(payload, keys.current.private, algorithm="RS256", headers={"kid": keys.current.kid})
    assert judge(token, keys, verifier) == (False, True, False)


@pytest.mark.parametrize("headers", [{"b64": False}, {"b64": "false"}])
def test_a_b64_header_other_than_true_is_denied(
    headers: dict[str, Any], keys: Keys, verifier: Any, authorizer_module: ModuleType
) -> None:
    now = int(time.time())
    header = {"alg": "RS256", "kid": keys.current.kid, **headers}
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u", "exp": now + 60}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}".encode()
    token = f"{signing_input.decode()}.{b64(_sign('RS256', keys.current.private, signing_input))}"
    assert not verifier(token)


def test_a_far_future_expiry_is_a_number_not_a_crash(keys: Keys, verifier: Any) -> None:
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u", "exp": 10**400}
    token = jwt.encode(payload, keys.current.private, algorithm="RS256", headers={"kid": keys.current.kid})
    assert judge(token, keys, verifier) == (True, True, True)
