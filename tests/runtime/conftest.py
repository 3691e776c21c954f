"""Fixtures of the runtime tests: session RSA keys, the JWKS server, the authorizer module."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import pytest

from .support import JWKSServer, Keys, load_authorizer, make_keys, serving_jwks


@pytest.fixture(scope="session")
def authorizer_module() -> ModuleType:
    return load_authorizer()


@pytest.fixture(scope="session")
def keys() -> Keys:
    return make_keys()


@pytest.fixture(scope="session")
def jwks_session(keys: Keys) -> Iterator[JWKSServer]:
    with serving_jwks(keys) as state:
        yield state


@pytest.fixture()
def jwks(jwks_session: JWKSServer, keys: Keys) -> JWKSServer:
    """The session's JWKS server, reset to serve the current key only."""
    jwks_session.serve(keys.current)
    return jwks_session
