"""The development signing key of `cora serve` and `cora token`: an RSA key in the user cache.

``$XDG_CACHE_HOME/cora-constructs/dev-key.pem`` (else ``~/.cache/...``; ``$CORA_DEV_KEY`` names
another file) is created on first use with mode 0600. Its public half is published as a JWKS by
`cora serve`, which points the authorizer at it; `cora token` signs RS256 tokens with it, the
``kid`` being the key's RFC 7638 thumbprint. It is for local development only: no deployed
authorizer trusts it (their ``JWKS_URL`` is the identity provider's).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cora_constructs.assembly.errors import ToolError

KEY_ENV = "CORA_DEV_KEY"
KEY_BITS = 2048
_TTL = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class DevKeyError(ToolError):
    """The development key cannot be read or written."""


def default_key_path() -> Path:
    explicit = os.environ.get(KEY_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "cora-constructs" / "dev-key.pem"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True)
class DevKey:
    """The private key (a ``cryptography`` RSA key) and its public JWK."""

    private_key: Any
    path: Path

    @property
    def public_jwk(self) -> dict[str, str]:
        numbers = self.private_key.public_key().public_numbers()
        jwk = {"e": _int_b64(numbers.e), "kty": "RSA", "n": _int_b64(numbers.n)}
        return {**jwk, "kid": thumbprint(jwk), "use": "sig", "alg": "RS256"}

    @property
    def kid(self) -> str:
        return self.public_jwk["kid"]

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.public_jwk]}

    def sign(self, claims: Mapping[str, Any]) -> str:
        """A compact RS256 JWS of ``claims`` with this key's ``kid``."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(dict(claims), separators=(",", ":")).encode())
        )
        signature = self.private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"


def thumbprint(jwk: Mapping[str, str]) -> str:
    """RFC 7638: base64url(SHA-256 of the required members, sorted, no whitespace)."""
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:
        raise DevKeyError(
            "`cora serve` and `cora token` need the serve extra: pip install 'cora-constructs[serve]'"
        ) from None
    return serialization, rsa


def load_or_create(path: Path | None = None) -> DevKey:
    """The development key at ``path`` (default :func:`default_key_path`), created if missing."""
    serialization, rsa = _crypto()
    path = path or default_key_path()
    if path.exists():
        try:
            data = path.read_bytes()
            key = serialization.load_pem_private_key(data, password=None)
        except (OSError, ValueError, TypeError) as error:
            raise DevKeyError(
                f"the development key {path} cannot be read ({error}): delete it and a new one is created"
            ) from None
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < KEY_BITS:
            raise DevKeyError(
                f"{path} is not an RSA key of at least {KEY_BITS} bits: delete it and a new one is created"
            )
        return DevKey(key, path)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        temporary.replace(path)
    except OSError as error:
        raise DevKeyError(f"cannot write the development key {path}: {error.strerror or error}") from None
    return DevKey(key, path)


def parse_ttl(text: str) -> int:
    """``90``, ``90s``, ``15m``, ``1h``, ``2d`` -> seconds; ValueError otherwise."""
    found = _TTL.match(text)
    if not found or int(found.group(1)) <= 0:
        raise ValueError(f"--ttl {text!r} is not a duration such as 3600, 90s, 15m, 1h or 2d")
    return int(found.group(1)) * _UNITS[found.group(2)]


def parse_claim(text: str) -> tuple[str, Any]:
    """``KEY=VALUE``: VALUE is read as JSON when it is JSON (numbers, true, lists), else text."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"--claim {text!r} is not KEY=VALUE")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    if isinstance(value, dict):
        value = raw
    return name.strip(), value


def token_claims(
    *,
    subject: str,
    issuer: str,
    audience: str,
    ttl_seconds: int,
    extra: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The claims of a development token (``extra`` may override any but the timestamps)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"iss": issuer, "aud": audience, "sub": subject}
    claims.update(extra or {})
    claims.update({"iat": issued, "nbf": issued, "exp": issued + ttl_seconds})
    return claims
