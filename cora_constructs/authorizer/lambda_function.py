"""The org Lambda REQUEST authorizer: RS256 JWTs from a Bearer header or the session cookie.

Configuration, from the environment (read on the first invocation of a container):

- ``JWKS_URL``: the identity provider's JWKS, ``https://`` (``http://`` only for 127.0.0.1 or
  localhost, i.e. tests);
- ``JWT_ISSUER``: the exact ``iss`` required;
- ``JWT_AUDIENCE``: the ``aud`` required (a comma-separated list accepts any of them);
- ``SESSION_COOKIE_NAME``: the cookie holding the token when there is no Bearer header;
- ``WS_TOKEN_QUERY_PARAM`` (optional, default ``token``): the query-string parameter holding the
  token on a WebSocket ``$connect`` handshake (cdk.json ``cora:wsTokenQueryParam``).

A missing or invalid variable denies every request (and logs ``config_error`` naming it); it
never crashes the function. Optional, for the identity contract (below): ``IDENTITY_PROVIDER``
(default: ``okta`` or ``clerk`` when the issuer is theirs, else ``oidc``), ``USER_ID_CLAIM``
(``sub``), ``EMAIL_CLAIM`` (``email``), ``NAME_CLAIM`` (``name``), ``GROUPS_CLAIM``
(``groups``) and ``CORA_ENVIRONMENT``; the infra app sets them from ``cdk.json``.

The token is taken from ``Authorization: Bearer <jwt>`` (any header case, 1.0 multi-value
headers too), else from the session cookie in ``event.cookies`` or the Cookie header
(:func:`cora_runtime.auth.find_token`, both sources). On a WebSocket ``$connect`` (a
``methodArn`` ending in ``/$connect``), where a browser can set no header, the token may also
come from the query-string parameter ``WS_TOKEN_QUERY_PARAM`` when there is neither a Bearer
header nor the session cookie; a query-string token is written to the access logs with the URL,
so the cookie is the better carrier. No other event reads the query string. It is accepted
only if:

- it is a compact JWS of at most 8 KiB whose header says exactly ``"alg": "RS256"``, has a
  ``kid``, no ``crit`` and no ``b64`` other than true: ``none``, ``HS256`` (the
  public-key-as-HMAC-secret trick) and every other algorithm are refused before any key is used;
- its signature verifies (PKCS#1 v1.5, SHA-256) with the JWKS key of that ``kid`` (RSA, at least
  2048 bits, ``use`` sig and ``alg`` RS256 when stated);
- ``iss`` equals ``JWT_ISSUER``, ``aud`` (a string, or a list of strings) contains
  ``JWT_AUDIENCE``, ``sub`` is a non-empty string, ``exp`` is a number in the future,
  ``nbf``/``iat``, when present, are numbers not in the future (all with 30 s of clock
  leeway), and ``jti``, when present, is a string.

``tests/runtime/test_differential.py`` holds these rules against PyJWT's ``jwt.decode``: what
PyJWT rejects is denied here too.

Keys are cached per container as ready-made ``RSAPublicKey`` objects (no key parsing per
request). The JWKS is fetched on first use, again when a token names an unknown ``kid`` and
when the set is older than an hour; fetches are at least 10 s apart whatever the tokens say
(so random ``kid`` values cannot turn the authorizer into a JWKS flooder), each network step is
bounded by a 2 s timeout, and an unreachable JWKS denies until it answers again (keys already
fetched stay in use while a refresh fails).

Responses: a payload 2.0 event gets the HTTP API simple response
``{"isAuthorized": bool, "context": {...}}``; a 1.0 event (``methodArn``) gets an IAM policy
``{"principalId", "policyDocument", "context"}`` allowing ``execute-api:Invoke`` on the whole
stage (``.../stage/*``, so a cached policy is valid for every route) or denying ``*``, its
``principalId`` the ``user_id``; a WebSocket ``$connect`` event gets the same policy allowing
exactly its ``methodArn`` (``.../stage/$connect``: authorizers run on ``$connect`` only, and are
never cached). On allow, the context is the identity contract the teams' handlers read
(:func:`identity_context`): ``user_id`` (``sub`` by default), ``email``, ``name``, ``groups``
(comma-joined), ``provider``, ``environment``, Clerk's ``org_id``, ``org_role``, ``org_slug``
and ``session_id`` (from ``sid``), empty ones left out; plus every other claim whose value is a
non-empty string, a number or a boolean (lists of strings joined by spaces; objects dropped), as
API Gateway requires, never in place of a contract field. A token without the configured user id
claim is denied (``no_user_id``).

It fails closed: any problem (no token, a bad one, an unreachable JWKS, a garbage event, a bug)
denies, never raises, and writes one JSON log line with a ``reason`` and never the token.
Allowed requests are not logged.

The verification is written against ``cryptography`` directly, not ``jwt.decode``: PyJWT's
generic pipeline measured 79 us per token against 37 us here (the RSA verify alone is 28 us),
and it imports in 70 ms against 15 ms; the rules above are all this authorizer needs.
"""

from __future__ import annotations

import binascii
import json
import math
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey, RSAPublicNumbers
from cryptography.hazmat.primitives.hashes import SHA256

from cora_runtime.auth import find_token

ENV_VARS = ("JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE", "SESSION_COOKIE_NAME")
IDENTITY_ENV_VARS = (
    "IDENTITY_PROVIDER",
    "USER_ID_CLAIM",
    "EMAIL_CLAIM",
    "NAME_CLAIM",
    "GROUPS_CLAIM",
    "CORA_ENVIRONMENT",
)
_COOKIE_NAME_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)
QUERY_PARAM_VAR = "WS_TOKEN_QUERY_PARAM"
DEFAULT_QUERY_PARAM = "token"
QUERY = "query"
CONNECT_SUFFIX = "/$connect"
ALGORITHM = "RS256"
MAX_TOKEN_LENGTH = 8192
LEEWAY_SECONDS = 30.0
MIN_RSA_BITS = 2048
JWKS_TIMEOUT_SECONDS = 2.0
JWKS_MAX_AGE_SECONDS = 3600.0
JWKS_MIN_REFRESH_INTERVAL_SECONDS = 10.0
JWKS_MAX_BYTES = 512 * 1024
USER_AGENT = "cora-org-authorizer/1"

_PADDING = PKCS1v15()
_SHA256 = SHA256()
# base64url -> standard alphabet; '+', '/' and '=' are not base64url, so map them to a byte
# strict base64 decoding refuses.
_B64URL = bytes.maketrans(b"-_+/=", b"+/!!!")
_B64_VALUE = [0] * 256
for _value, _char in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"):
    _B64_VALUE[_char] = _value


class InvalidTokenError(Exception):
    """A token that must not be accepted; ``reason`` is a fixed word safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConfigError(ValueError):
    """The environment does not configure the authorizer; the message names every problem."""


class JWKSError(Exception):
    """The JWKS could not be fetched or holds no usable key."""


def log(level: str, message: str, **fields: object) -> None:
    """Write one structured JSON log line to stdout (Lambda ships it to CloudWatch)."""
    record: dict[str, object] = {"level": level, "logger": "authorizer", "message": message}
    record.update(fields)
    record["timestamp"] = round(time.time(), 3)
    try:
        sys.stdout.write(json.dumps(record, default=str) + "\n")
        sys.stdout.flush()
    except Exception:
        return  # a broken log stream must not turn a deny into a crash


def _b64_standard(data: bytes) -> bytes:
    """Decode base64url already mapped to the standard alphabet (see :func:`b64url_decode`)."""
    tail = len(data) % 4
    decoded = binascii.a2b_base64(data + b"=" * (-tail % 4), strict_mode=True)
    if tail and _B64_VALUE[data[-1]] & (0x0F if tail == 2 else 0x03):
        raise ValueError("non-canonical base64url")
    return decoded


def b64url_decode(segment: str) -> bytes:
    """Strict, canonical, unpadded base64url (RFC 7515); raises ``ValueError`` otherwise.

    Canonical: the unused low bits of the last character must be zero, so one value has one
    spelling (no alternative signature strings for the same token).
    """
    return _b64_standard(segment.encode("ascii").translate(_B64URL))


def _json_object(data: bytes) -> dict[str, Any]:
    """A JSON object from a standard-alphabet base64 segment, or ``malformed``."""
    try:
        # str, not bytes: json.loads then skips its encoding detection (2 us of a 50 us budget).
        value = json.loads(_b64_standard(data).decode("utf-8"))
    except (ValueError, RecursionError):
        raise InvalidTokenError("malformed") from None
    if not isinstance(value, dict):
        raise InvalidTokenError("malformed")
    return value


# --- JWKS ---------------------------------------------------------------------------------


def parse_jwks(document: object) -> dict[str, RSAPublicKey]:
    """The usable RS256 verification keys of a JWKS document, by ``kid``.

    Keys that are not RSA, not for signatures, for another algorithm, shorter than 2048 bits,
    without a ``kid`` or malformed are skipped; for a repeated ``kid`` the first key wins.
    """
    keys: dict[str, RSAPublicKey] = {}
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return keys
    for jwk in entries:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
            continue
        if jwk.get("use", "sig") != "sig" or jwk.get("alg", ALGORITHM) != ALGORITHM:
            continue
        kid, n_text, e_text = jwk.get("kid"), jwk.get("n"), jwk.get("e")
        if not (isinstance(kid, str) and kid and isinstance(n_text, str) and isinstance(e_text, str)):
            continue
        if kid in keys:
            continue
        try:
            n = int.from_bytes(b64url_decode(n_text), "big")
            e = int.from_bytes(b64url_decode(e_text), "big")
            if n.bit_length() < MIN_RSA_BITS:
                continue
            keys[kid] = RSAPublicNumbers(e, n).public_key()
        except ValueError:
            continue
    return keys


_ssl_context: Any = None


def _https_context() -> Any:
    """One TLS context per container, trusting certifi's CA bundle when it is installed."""
    global _ssl_context
    if _ssl_context is None:
        import ssl

        try:
            import certifi

            _ssl_context = ssl.create_default_context(cafile=certifi.where())
        except ImportError:
            _ssl_context = ssl.create_default_context()
    return _ssl_context


def fetch_jwks(url: str, timeout: float = JWKS_TIMEOUT_SECONDS) -> dict[str, RSAPublicKey]:
    """GET the JWKS at ``url`` and parse it; raises on any failure or if no key is usable.

    ``timeout`` bounds connecting and every read, and the whole body must arrive within it.
    """
    import urllib.request  # only on a (rare) fetch: it costs ~25 ms of import

    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": USER_AGENT})
    context = _https_context() if url.startswith("https:") else None
    deadline = time.monotonic() + timeout
    with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
        if response.status != 200:
            raise JWKSError(f"HTTP {response.status}")
        body = bytearray()
        while True:
            if time.monotonic() > deadline:
                raise JWKSError(f"the body took more than {timeout} s")
            chunk = response.read1(65536)
            if not chunk:
                break
            body += chunk
            if len(body) > JWKS_MAX_BYTES:
                raise JWKSError(f"larger than {JWKS_MAX_BYTES} bytes")
    try:
        document = json.loads(bytes(body))
    except (ValueError, RecursionError):
        raise JWKSError("not JSON") from None
    keys = parse_jwks(document)
    if not keys:
        raise JWKSError("no usable RS256 key (RSA, >= 2048 bits, with a kid)")
    return keys


class JWKSKeyCache:
    """Verification keys by ``kid``, fetched from ``url`` and kept across invocations."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = JWKS_TIMEOUT_SECONDS,
        max_age: float = JWKS_MAX_AGE_SECONDS,
        min_refresh_interval: float = JWKS_MIN_REFRESH_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.max_age = max_age
        self.min_refresh_interval = min_refresh_interval
        self.clock = clock
        self.keys: dict[str, RSAPublicKey] = {}
        self.fetched_at: float | None = None
        self.attempted_at: float | None = None
        self.fetches = 0

    @property
    def loaded(self) -> bool:
        """True once a fetch has succeeded."""
        return self.fetched_at is not None

    def get(self, kid: str) -> RSAPublicKey | None:
        """The key for ``kid``, refreshing the set first if ``kid`` is unknown or the set old."""
        now = self.clock()
        key = self.keys.get(kid)
        if key is not None and self.fetched_at is not None and now - self.fetched_at < self.max_age:
            return key
        self.refresh(now)
        return self.keys.get(kid)

    def refresh(self, now: float | None = None) -> bool:
        """Fetch the set unless the last attempt was too recent; True if it was replaced."""
        now = self.clock() if now is None else now
        if self.attempted_at is not None and now - self.attempted_at < self.min_refresh_interval:
            return False
        self.attempted_at = now
        self.fetches += 1
        try:
            keys = fetch_jwks(self.url, self.timeout)
        except Exception as exc:
            log(
                "ERROR",
                "jwks_fetch_failed",
                jwks_url=self.url,
                error_type=type(exc).__name__,
                error=str(exc)[:300],
                cached_keys=len(self.keys),
            )
            return False
        self.keys, self.fetched_at = keys, now
        log("INFO", "jwks_refreshed", jwks_url=self.url, kids=sorted(keys))
        return True


# --- tokens -------------------------------------------------------------------------------


def _number(value: object) -> int | float | None:
    """A JSON number (not a boolean, not infinite or NaN), as parsed: an ``int`` stays exact,
    since converting a huge one to float overflows (compare it, never add to it)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def verify_token(
    token: str,
    keys: JWKSKeyCache,
    *,
    issuer: str,
    audiences: frozenset[str],
    now: float,
    leeway: float = LEEWAY_SECONDS,
) -> dict[str, Any]:
    """The claims of a valid RS256 token; raises :class:`InvalidTokenError` with the reason."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidTokenError("too_long")
    if not token.isascii() or token.count(".") != 2:
        raise InvalidTokenError("malformed")
    raw = token.encode("ascii")
    first = raw.index(b".")
    second = raw.index(b".", first + 1)
    # One translation of the whole token to the standard alphabet; the signature covers the
    # raw ``header.payload`` bytes.
    std = raw.translate(_B64URL)
    header = _json_object(std[:first])
    if header.get("alg") != ALGORITHM:
        raise InvalidTokenError("alg_not_allowed")
    if "crit" in header:
        raise InvalidTokenError("crit_header")
    if "b64" in header and header["b64"] is not True:
        # RFC 7797 unencoded payloads: never ours, and b64=false changes what was signed.
        raise InvalidTokenError("b64_header")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidTokenError("no_kid")
    try:
        signature = _b64_standard(std[second + 1 :])
    except ValueError:
        raise InvalidTokenError("malformed") from None
    if not signature:
        raise InvalidTokenError("malformed")
    key = keys.get(kid)
    if key is None:
        raise InvalidTokenError("unknown_kid" if keys.loaded else "jwks_unavailable")
    try:
        key.verify(signature, raw[:second], _PADDING, _SHA256)
    except InvalidSignature:
        raise InvalidTokenError("bad_signature") from None
    claims = _json_object(std[first + 1 : second])
    exp = _number(claims.get("exp"))
    if exp is None:
        raise InvalidTokenError("no_exp")
    if now - leeway >= exp:
        raise InvalidTokenError("expired")
    if "nbf" in claims:
        nbf = _number(claims["nbf"])
        if nbf is None or nbf > now + leeway:
            raise InvalidTokenError("not_yet_valid")
    if "iat" in claims:
        iat = _number(claims["iat"])
        if iat is None or iat > now + leeway:
            raise InvalidTokenError("issued_in_future")
    if claims.get("iss") != issuer:
        raise InvalidTokenError("wrong_issuer")
    aud = claims.get("aud")
    if isinstance(aud, str):
        aud_ok = aud in audiences
    else:
        # A list must hold only strings (as PyJWT requires), one of them ours.
        aud_ok = isinstance(aud, list) and all(type(a) is str for a in aud) and not audiences.isdisjoint(aud)
    if not aud_ok:
        raise InvalidTokenError("wrong_audience")
    if "jti" in claims and type(claims["jti"]) is not str:
        raise InvalidTokenError("malformed_jti")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidTokenError("no_subject")
    return claims


# --- configuration and responses ----------------------------------------------------------


_OKTA_HOSTS = (".okta.com", ".oktapreview.com", ".okta-emea.com", ".okta-gov.com", ".okta.mil")


def provider_of_issuer(issuer: str) -> str:
    """``okta`` or ``clerk`` when the issuer's host is theirs, else ``oidc``."""
    host = (urlsplit(issuer).hostname or "").lower()
    if host.endswith(_OKTA_HOSTS):
        return "okta"
    if host.startswith("clerk.") or host.endswith((".clerk.accounts.dev", ".clerk.com")):
        return "clerk"
    return "oidc"


@dataclass(frozen=True)
class IdentityConfig:
    """Which claims fill the identity contract (see :func:`identity_context`)."""

    provider: str = ""
    user_id_claim: str = "sub"
    email_claim: str = "email"
    name_claim: str = "name"
    groups_claim: str = "groups"
    environment: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str], issuer: str) -> IdentityConfig:
        """Read the optional identity variables; an unset one takes its default, and the
        provider defaults to the one the issuer names (:func:`provider_of_issuer`)."""
        values = {name: (environ.get(name) or "").strip() for name in IDENTITY_ENV_VARS}
        return cls(
            provider=values["IDENTITY_PROVIDER"].lower() or provider_of_issuer(issuer),
            user_id_claim=values["USER_ID_CLAIM"] or cls.user_id_claim,
            email_claim=values["EMAIL_CLAIM"] or cls.email_claim,
            name_claim=values["NAME_CLAIM"] or cls.name_claim,
            groups_claim=values["GROUPS_CLAIM"] or cls.groups_claim,
            environment=values["CORA_ENVIRONMENT"],
        )


@dataclass(frozen=True)
class Config:
    """The authorizer's settings (see the module docstring)."""

    jwks_url: str
    issuer: str
    audiences: frozenset[str]
    cookie_name: str
    identity: IdentityConfig = IdentityConfig()
    query_param: str = DEFAULT_QUERY_PARAM

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Config:
        """Read and check the four variables; :class:`ConfigError` lists every problem."""
        values = {name: (environ.get(name) or "").strip() for name in ENV_VARS}
        problems = [f"{name} is not set" for name, value in values.items() if not value]
        url = values["JWKS_URL"]
        if url:
            parts = urlsplit(url)
            local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
            if not (parts.scheme == "https" and parts.hostname) and not local:
                problems.append(f"JWKS_URL must be an https:// URL, got {url[:200]!r}")
        audiences = frozenset(a.strip() for a in values["JWT_AUDIENCE"].split(",") if a.strip())
        if values["JWT_AUDIENCE"] and not audiences:
            problems.append("JWT_AUDIENCE names no audience")
        cookie = values["SESSION_COOKIE_NAME"]
        if cookie and not is_cookie_name(cookie):
            problems.append(f"SESSION_COOKIE_NAME {cookie!r} is not a cookie name")
        query_param = (environ.get(QUERY_PARAM_VAR) or "").strip() or DEFAULT_QUERY_PARAM
        if not all(c.isalnum() or c in "_-." for c in query_param):
            problems.append(f"{QUERY_PARAM_VAR} {query_param!r} is not a query-string parameter name")
        if problems:
            raise ConfigError("; ".join(problems))
        issuer = values["JWT_ISSUER"]
        return cls(url, issuer, audiences, cookie, IdentityConfig.from_env(environ, issuer), query_param)


def is_cookie_name(name: str) -> bool:
    """True for an RFC 6265 cookie name (an RFC 7230 token: no separators, spaces or controls)."""
    return bool(name) and all(c in _COOKIE_NAME_CHARS for c in name)


def _is_policy_event(event: object) -> bool:
    """True for payload 1.0 (REST, or HTTP API 1.0) events, which need an IAM policy."""
    return isinstance(event, dict) and (
        "methodArn" in event or event.get("version") == "1.0" or event.get("type") == "TOKEN"
    )


def _stage_resource(method_arn: object) -> str | None:
    """``arn:aws:execute-api:region:account:api/stage/*`` from a method ARN, or None."""
    if not isinstance(method_arn, str) or not method_arn.startswith("arn:"):
        return None
    api, _, rest = method_arn.partition("/")
    stage = rest.partition("/")[0]
    if api.count(":") != 5 or not stage or "*" in api or "*" in stage:
        return None
    return f"{api}/{stage}/*"


def _is_websocket_connect(event: object) -> bool:
    """True for a WebSocket API's REQUEST authorizer event: its ``methodArn`` ends in ``/$connect``."""
    if not isinstance(event, dict):
        return False
    method_arn = event.get("methodArn")
    return isinstance(method_arn, str) and method_arn.endswith(CONNECT_SUFFIX)


def _connect_resource(method_arn: object) -> str | None:
    """The ``$connect`` method ARN itself, when it is ``arn:...:execute-api:...:api/stage/$connect``."""
    if not isinstance(method_arn, str) or not method_arn.startswith("arn:"):
        return None
    api, _, rest = method_arn.partition("/")
    stage, _, route = rest.partition("/")
    if api.count(":") != 5 or not stage or route != "$connect" or "*" in method_arn:
        return None
    return method_arn


def _query_token(event: dict[str, Any], name: str) -> str | None:
    """The token in query-string parameter ``name`` (1.0 single- or multi-value map)."""
    single = event.get("queryStringParameters")
    value = single.get(name) if isinstance(single, dict) else None
    if not value:
        multi = event.get("multiValueQueryStringParameters")
        values = multi.get(name) if isinstance(multi, dict) else None
        value = values[0] if isinstance(values, list) and values else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def find_request_token(event: object, config: Config) -> tuple[str, str] | None:
    """``(token, source)``: the Bearer header or session cookie (:func:`find_token`), and on a
    WebSocket ``$connect`` handshake only, then the query-string parameter ``config.query_param``."""
    found = find_token(event, config.cookie_name)
    if found is not None or not isinstance(event, dict) or not _is_websocket_connect(event):
        return found
    token = _query_token(event, config.query_param)
    return None if token is None else (token, QUERY)


CONTRACT_FIELDS = (
    "user_id",
    "email",
    "name",
    "groups",
    "provider",
    "environment",
    "org_id",
    "org_role",
    "org_slug",
    "session_id",
)
"""The identity contract's fields: set from the claims as :func:`identity_context` documents;
a raw claim of the same name never travels in their place."""


def _text(value: object) -> str:
    """A claim as contract text: a string (stripped) or a whole number, else ``""``."""
    if type(value) is str:
        return value.strip()
    return str(value) if type(value) is int else ""


def _joined(value: object) -> str:
    """A groups claim as one comma-joined string: the strings of a list, or a string as is."""
    if type(value) is list:
        return ",".join(item.strip() for item in value if type(item) is str and item.strip())
    return _text(value)


def identity_context(claims: Mapping[str, Any], identity: IdentityConfig) -> dict[str, str]:
    """The identity contract of a verified token; empty fields are left out.

    - ``user_id``: the claim ``identity.user_id_claim`` (``sub``);
    - ``email``: the claim ``identity.email_claim`` (``email``); for Okta, ``sub`` when the token
      has no email (Okta access tokens carry the login in ``sub``);
    - ``name``: the claim ``identity.name_claim`` (``name``), else ``given_name family_name``;
    - ``groups``: the claim ``identity.groups_claim`` (``groups``), its strings joined with ``,``;
    - ``provider``: ``identity.provider`` (configured, or inferred from the issuer);
    - ``environment``: ``identity.environment`` (the deployment's ``cora:environment``);
    - ``org_id``, ``org_role``, ``org_slug``: Clerk's organisation claims (session token v1
      claims, or v2's ``o`` object: ``id``, ``rol`` as ``org:<rol>``, ``slg``);
    - ``session_id``: the claim ``sid``.
    """
    context: dict[str, str] = {}
    fields = {
        "user_id": _text(claims.get(identity.user_id_claim)),
        "email": _text(claims.get(identity.email_claim)),
        "name": _text(claims.get(identity.name_claim)),
        "groups": _joined(claims.get(identity.groups_claim)),
        "provider": identity.provider,
        "environment": identity.environment,
        "org_id": _text(claims.get("org_id")),
        "org_role": _text(claims.get("org_role")),
        "org_slug": _text(claims.get("org_slug")),
        "session_id": _text(claims.get("sid")),
    }
    if not fields["email"] and identity.provider == "okta":
        fields["email"] = _text(claims.get("sub"))
    if not fields["name"]:
        fields["name"] = " ".join(
            part for part in (_text(claims.get("given_name")), _text(claims.get("family_name"))) if part
        )
    org = claims.get("o")
    if type(org) is dict:
        role = _text(org.get("rol"))
        fields["org_id"] = fields["org_id"] or _text(org.get("id"))
        fields["org_slug"] = fields["org_slug"] or _text(org.get("slg"))
        fields["org_role"] = fields["org_role"] or (
            role if not role or role.startswith("org:") else f"org:{role}"
        )
    for name, value in fields.items():
        if value:
            context[name] = value
    return context


def claims_context(
    claims: Mapping[str, Any], identity: IdentityConfig | None = None
) -> dict[str, str | int | float | bool]:
    """The allow context: the token's scalar claims (strings, numbers, booleans; lists of
    strings joined by spaces; objects, nulls and empty strings dropped, as API Gateway
    requires), then the identity contract (:func:`identity_context`) over them."""
    context: dict[str, str | int | float | bool] = {}
    for name, value in claims.items():
        if name in _CONTRACT:
            continue
        # Exact types: the claims come from json.loads, and type() is twice as fast here.
        kind = type(value)
        if kind is str:
            if value:
                context[name] = value
        elif kind is int or kind is bool:
            context[name] = value
        elif kind is float:
            if math.isfinite(value):
                context[name] = value
        elif kind is list and value and all(type(v) is str for v in value):
            joined = " ".join(value)
            if joined:
                context[name] = joined
    context.update(identity_context(claims, identity or IdentityConfig()))
    return context


_CONTRACT = frozenset(CONTRACT_FIELDS)


def _policy(principal: str, effect: str, resource: str) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }


def deny_response(event: object) -> dict[str, Any]:
    """The deny answer in the event's format (a simple response unless it is a 1.0 event)."""
    if _is_policy_event(event):
        return {**_policy("anonymous", "Deny", "*"), "context": {}}
    return {"isAuthorized": False, "context": {}}


def _request_fields(event: object, context: object) -> dict[str, object]:
    fields: dict[str, object] = {"aws_request_id": getattr(context, "aws_request_id", None)}
    if isinstance(event, dict):
        request_context = event.get("requestContext")
        if isinstance(request_context, dict) and isinstance(request_context.get("requestId"), str):
            fields["request_id"] = request_context["requestId"][:100]
        for name in ("routeArn", "methodArn"):
            if isinstance(event.get(name), str):
                fields["route"] = event[name][:300]
    return fields


class Authorizer:
    """Decides one authorizer event. Build it with a :class:`Config` or :meth:`from_env`."""

    def __init__(
        self,
        config: Config | None,
        *,
        config_error: str = "",
        keys: JWKSKeyCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.config_error = config_error
        self.keys = keys if keys is not None or config is None else JWKSKeyCache(config.jwks_url)
        self.clock = clock

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Authorizer:
        try:
            return cls(Config.from_env(environ))
        except ConfigError as exc:
            return cls(None, config_error=str(exc))

    def __call__(self, event: object, context: object = None) -> dict[str, Any]:
        """The allow or deny response for ``event``; never raises."""
        source: str | None = None
        try:
            if self.config is None or self.keys is None:
                return self._deny(event, context, "config_error", level="ERROR", detail=self.config_error)
            found = find_request_token(event, self.config)
            if found is None:
                return self._deny(event, context, "no_token")
            token, source = found
            try:
                claims = verify_token(
                    token,
                    self.keys,
                    issuer=self.config.issuer,
                    audiences=self.config.audiences,
                    now=self.clock(),
                )
            except InvalidTokenError as rejected:
                return self._deny(event, context, rejected.reason, token_source=source)
            return self._allow(event, context, claims, source)
        except Exception as exc:
            return self._deny(event, context, "internal_error", level="ERROR", error_type=type(exc).__name__)

    def _allow(self, event: object, context: object, claims: dict[str, Any], source: str) -> dict[str, Any]:
        assert self.config is not None
        auth_context = claims_context(claims, self.config.identity)
        if "user_id" not in auth_context:
            # A configured user id claim the token lacks: no identity the handlers can key on.
            return self._deny(event, context, "no_user_id", token_source=source)
        if not _is_policy_event(event):
            return {"isAuthorized": True, "context": auth_context}
        method_arn = event.get("methodArn") if isinstance(event, dict) else None
        if _is_websocket_connect(event):
            resource = _connect_resource(method_arn)
        else:
            resource = _stage_resource(method_arn)
        if resource is None:
            return self._deny(event, context, "bad_method_arn", token_source=source)
        return {**_policy(str(auth_context["user_id"]), "Allow", resource), "context": auth_context}

    def _deny(
        self, event: object, context: object, reason: str, *, level: str = "WARNING", **fields: object
    ) -> dict[str, Any]:
        log(level, "deny", reason=reason, **fields, **_request_fields(event, context))
        return deny_response(event)


_current: Authorizer | None = None


def current_authorizer() -> Authorizer:
    """The container's authorizer, configured from the environment on first use.

    Read once: a Lambda's environment cannot change under a running container (an update
    starts new ones), and re-reading it costs 6 us a request.
    """
    global _current
    if _current is None:
        _current = Authorizer.from_env(os.environ)
    return _current


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """API Gateway REQUEST authorizer entry point (payload 2.0 simple response or 1.0 policy)."""
    try:
        return current_authorizer()(event, context)
    except Exception:
        try:
            return deny_response(event)
        except Exception:
            return {"isAuthorized": False, "context": {}}
