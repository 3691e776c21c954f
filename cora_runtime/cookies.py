"""Request cookies from every place API Gateway puts them.

The seed's rule (DVP-ISS-071): auth code MUST read cookies from both ``headers.cookie`` (plain
HTTP, REST API payload 1.0) and ``event.cookies`` (HTTP API payload 2.0, where API Gateway moves
the Cookie header into a list). :func:`parse_cookies` reads all three sources:

1. ``event["cookies"]``: payload 2.0, one ``name=value`` per entry;
2. ``event["multiValueHeaders"]["Cookie"]`` (any case): payload 1.0, every Cookie header sent;
3. ``event["headers"]["Cookie"]`` (any case): both payloads (1.0 keeps the last Cookie header).

**Duplicates: the first occurrence wins**, scanning the sources in that order and each source in
the order the client sent it. Browsers send the cookie with the most specific ``Path`` first
(RFC 6265 section 5.4), so the first one is the one meant for this request; a later duplicate
cannot shadow it.

Tolerated and skipped, never raised on: entries without ``=`` (RFC 6265bis treats ``cookie1`` as
a cookie with an empty name, which no code can ask for by name), empty parts (``a=1;;b=2``),
empty names (``=x``), non-string entries, headers that are not dicts, events that are not dicts.
Names are case-sensitive; whitespace around names and values is trimmed; a value wrapped in one
pair of double quotes is unwrapped; values are otherwise returned as sent (no percent-decoding).
"""

from __future__ import annotations

from collections.abc import Iterator


def _strings(value: object) -> Iterator[str]:
    """The string entries of a header value or list, skipping junk."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, str):
                yield item


def _named(container: object, name: str) -> Iterator[object]:
    """Values of ``container`` whose key equals ``name`` case-insensitively (``name`` lower)."""
    if isinstance(container, dict):
        for key, value in container.items():
            if isinstance(key, str) and key.lower() == name:
                yield value


def cookie_strings(event: object) -> Iterator[str]:
    """Every raw cookie string of ``event``, in precedence order (see the module docstring)."""
    if not isinstance(event, dict):
        return
    yield from _strings(event.get("cookies"))
    for value in _named(event.get("multiValueHeaders"), "cookie"):
        yield from _strings(value)
    for value in _named(event.get("headers"), "cookie"):
        yield from _strings(value)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


def parse_cookie_string(text: str, into: dict[str, str]) -> None:
    """Add the ``name=value`` pairs of one Cookie header (or one entry) to ``into``, first wins."""
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if not sep:
            continue
        name = name.strip()
        if name and name not in into:
            into[name] = _unquote(value)


def parse_cookies(event: object) -> dict[str, str]:
    """All request cookies of an API Gateway event (payload 1.0 or 2.0), name to value.

    Merges ``event.cookies``, ``multiValueHeaders`` Cookie and ``headers`` Cookie in that
    order; the first occurrence of a name wins. Never raises.
    """
    cookies: dict[str, str] = {}
    for text in cookie_strings(event):
        parse_cookie_string(text, cookies)
    return cookies


def cookie_value(event: object, name: str) -> str | None:
    """``parse_cookies(event).get(name)``, without building the dict (the authorizer's hot path)."""
    if not name:
        return None
    for text in cookie_strings(event):
        if name not in text:
            continue
        for part in text.split(";"):
            key, sep, value = part.partition("=")
            if sep and key.strip() == name:
                return _unquote(value)
    return None
