"""Where a request's credential is: a Bearer Authorization header, else the session cookie.

:func:`extract_token` looks, in order, at:

1. the ``Authorization`` header, any case, in ``headers`` and in payload 1.0
   ``multiValueHeaders``; for a REST ``TOKEN`` authorizer event, ``authorizationToken``.
   Only the ``Bearer`` scheme (any case) counts, and only with a credential that is one
   non-empty word: ``Basic ...``, a bare ``Bearer`` or ``Bearer a b`` are ignored;
2. the session cookie, read from ``event.cookies`` and the Cookie headers with the rules of
   :func:`cora_runtime.cookies.parse_cookies` (both sources, the seed's cookie rule).

A usable Bearer header wins over the cookie even if the cookie is also present: an explicit
credential is never silently swapped for an ambient one. Nothing here verifies the token.
"""

from __future__ import annotations

from collections.abc import Iterator

from cora_runtime.cookies import cookie_value

HEADER = "header"
COOKIE = "cookie"


def _authorization_values(event: dict[object, object]) -> Iterator[object]:
    headers = event.get("headers")
    if isinstance(headers, dict):
        for key, value in headers.items():
            if isinstance(key, str) and key.lower() == "authorization":
                yield value
    multi = event.get("multiValueHeaders")
    if isinstance(multi, dict):
        for key, values in multi.items():
            if isinstance(key, str) and key.lower() == "authorization" and isinstance(values, list):
                yield from values
    if event.get("type") == "TOKEN":
        yield event.get("authorizationToken")


def bearer_credential(value: object) -> str | None:
    """The credential of a ``Bearer <token>`` header value, or None if it is not one."""
    if not isinstance(value, str):
        return None
    parts = value.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]


def find_token(event: object, cookie_name: str) -> tuple[str, str] | None:
    """``(token, source)`` with source ``"header"`` or ``"cookie"``, or None. Never raises."""
    if not isinstance(event, dict):
        return None
    for value in _authorization_values(event):
        token = bearer_credential(value)
        if token is not None:
            return token, HEADER
    token = cookie_value(event, cookie_name)
    if token:
        return token, COOKIE
    return None


def extract_token(event: object, cookie_name: str) -> str | None:
    """The request's bearer token or session cookie value (see the module docstring)."""
    found = find_token(event, cookie_name)
    return None if found is None else found[0]
