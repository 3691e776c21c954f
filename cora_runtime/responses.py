"""JSON responses for API Gateway proxy integrations, and the one error shape of org Lambdas.

Every error an org Lambda returns has this body, whatever raised it::

    {"error": {"code": "not_found", "message": "no route for GET /nope", "request_id": "Jd9x0g="}}

- ``code``: a stable snake_case word clients can branch on. By default it is the HTTP status
  phrase (404 -> ``not_found``, 405 -> ``method_not_allowed``, 500 -> ``internal_server_error``);
  an :class:`HTTPError` may name a more precise one (``code="task_locked"``).
- ``message``: for humans; never an exception's text unless a handler chose to raise it.
- ``request_id``: API Gateway's ``requestContext.requestId`` (null when unknown), the id to grep
  for in the logs.

A handler signals an error by raising :class:`HTTPError` (or one of its subclasses); the router
turns it into :func:`error_response`. :class:`Response` renders to both proxy payload formats:
2.0 (HTTP API, ``cookies`` list) and 1.0 (REST API, ``Set-Cookie`` in ``multiValueHeaders``).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from typing import Any

JSON_CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class Response:
    """An HTTP response; :meth:`to_lambda` renders the Lambda proxy integration dict."""

    status: int
    body: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: tuple[str, ...] = ()
    is_base64: bool = False

    def to_lambda(self, payload_version: str = "2.0") -> dict[str, Any]:
        """The dict a proxy-integrated Lambda returns, for payload format ``"2.0"`` or ``"1.0"``.

        Set-Cookie values go to ``cookies`` (2.0) or ``multiValueHeaders["Set-Cookie"]`` (1.0),
        the only places each format keeps more than one cookie.
        """
        out: dict[str, Any] = {
            "statusCode": self.status,
            "headers": dict(self.headers),
            "body": self.body,
            "isBase64Encoded": self.is_base64,
        }
        if self.cookies:
            if payload_version == "2.0":
                out["cookies"] = list(self.cookies)
            else:
                out["multiValueHeaders"] = {"Set-Cookie": list(self.cookies)}
        return out

    def without_body(self) -> Response:
        """The same response with an empty body (the answer to a HEAD request)."""
        return Response(self.status, "", self.headers, self.cookies, False)


class HTTPError(Exception):
    """Raise from a handler to answer ``status`` with the error shape; the router catches it.

    ``message`` is sent to the client, so write it for them. ``code`` defaults to the status
    phrase in snake_case; ``headers`` are added to the response (e.g. ``Allow``, ``Retry-After``).
    """

    status: int = 500

    def __init__(
        self,
        status: int | None = None,
        message: str = "",
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        status = self.status if status is None else status
        if not 400 <= status <= 599:
            raise ValueError(f"HTTPError status must be 4xx or 5xx, got {status}")
        self.status = status
        if not message and _known(status):
            message = HTTPStatus(status).phrase
        self.message = message
        self.code = code or error_code(status)
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.message)


class BadRequestError(HTTPError):
    """400: the request cannot be understood (bad JSON, missing field, bad parameter)."""

    status = 400

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(None, message, code=code)


class UnauthorizedError(HTTPError):
    """401: no valid credentials."""

    status = 401

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(None, message, code=code)


class ForbiddenError(HTTPError):
    """403: authenticated, but not allowed to do this."""

    status = 403

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(None, message, code=code)


class NotFoundError(HTTPError):
    """404: no such resource (or route)."""

    status = 404

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(None, message, code=code)


class MethodNotAllowedError(HTTPError):
    """405: the path exists with other methods; ``allow`` fills the ``Allow`` header."""

    status = 405

    def __init__(self, message: str, allow: Iterable[str]) -> None:
        self.allow = tuple(allow)
        super().__init__(None, message, headers={"Allow": ", ".join(self.allow)})


class ConflictError(HTTPError):
    """409: the request conflicts with the resource's current state."""

    status = 409

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(None, message, code=code)


def _known(status: int) -> bool:
    try:
        HTTPStatus(status)
    except ValueError:
        return False
    return True


def error_code(status: int) -> str:
    """The default error ``code`` for a status: its phrase in snake_case, else ``http_<status>``."""
    if not _known(status):
        return f"http_{status}"
    return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_").replace("'", "")


def _json_default(value: object) -> Any:
    # DynamoDB hands out Decimal; dates and sets are the other usual suspects in API data.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, _dt.date | _dt.datetime | _dt.time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(body: Any) -> str:
    """Compact JSON text; Decimal, dates and sets allowed; NaN and other objects raise."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_json_default, allow_nan=False)


def json_response(
    body: Any,
    status: int = 200,
    *,
    headers: Mapping[str, str] | None = None,
    cookies: Iterable[str] = (),
) -> Response:
    """A JSON response: ``body`` serialised (see :func:`dumps`), ``Content-Type`` set.

    ``headers`` are added (and may override ``Content-Type``); ``cookies`` are full Set-Cookie
    values such as ``"session=abc; Path=/; Secure; HttpOnly; SameSite=Lax"``.
    """
    merged = {"Content-Type": JSON_CONTENT_TYPE}
    if headers:
        merged.update(headers)
    return Response(status, dumps(body), merged, tuple(cookies))


def error_body(
    status: int, message: str, *, code: str | None = None, request_id: str | None = None
) -> dict[str, Any]:
    """The error shape as a dict: ``{"error": {"code", "message", "request_id"}}``."""
    return {"error": {"code": code or error_code(status), "message": message, "request_id": request_id}}


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A JSON error response in the one error shape (see the module docstring)."""
    return json_response(
        error_body(status, message, code=code, request_id=request_id), status, headers=headers
    )
