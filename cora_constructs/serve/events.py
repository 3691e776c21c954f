"""The events API Gateway (HTTP API) sends to Lambda, and how it maps a Lambda's answer back.

Pure functions over :class:`HttpRequest`, following the payload format 2.0 documentation and
real events (``shared/fixtures/events``):

- header names are lower-cased; repeated headers are joined with ``,``; the ``Cookie`` headers
  become the ``cookies`` list (split at ``;``) and leave ``headers``;
- ``rawPath`` and ``rawQueryString`` are the request's, undecoded; ``queryStringParameters``
  holds the decoded values, repeated names joined with ``,``; empty maps and bodies are left
  out, as API Gateway leaves them out;
- a body is sent as text when its content type is textual (``text/*``, JSON, XML, JavaScript)
  and it is UTF-8, else base64-encoded with ``isBase64Encoded: true`` (form posts included);
- ``requestContext`` carries ``http``, ``requestId``, ``routeKey``, ``stage`` (``$default``),
  ``time``, ``timeEpoch`` and, behind a Lambda authorizer, ``authorizer.lambda``.

A Lambda answer (payload 2.0) is either structured (an object with ``statusCode``) or inferred:
anything else is a 200 ``application/json`` whose body is the function's JSON output itself.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

ACCOUNT_ID = "123456789012"
API_ID = "local"
STAGE = "$default"
REGION = "us-east-1"

_TEXT_TYPES = ("application/json", "application/xml", "application/javascript", "application/graphql")


def joined_header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    """The values of header ``name`` (any case) in ``headers`` joined with ``,``, or None."""
    wanted = name.lower()
    values = [value for key, value in headers if key.lower() == wanted]
    return ",".join(values) if values else None


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One request as the server received it (header names as sent, in order)."""

    method: str
    raw_path: str
    raw_query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    host: str = "localhost"

    def header(self, name: str) -> str | None:
        """The header's values joined with ``,`` (any case), or None."""
        return joined_header(self.headers, name)


@dataclass(frozen=True, slots=True)
class GatewayResponse:
    """What the client gets: status, headers (a list: ``set-cookie`` may repeat), body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Per-request values API Gateway makes up: its id, the time, where it was served."""

    request_id: str
    time_epoch_ms: int
    domain_name: str
    account_id: str = ACCOUNT_ID
    api_id: str = API_ID
    stage: str = STAGE
    region: str = REGION
    extra: Mapping[str, Any] = field(default_factory=dict)


def gateway_error(status: int, message: str, request_id: str | None = None) -> GatewayResponse:
    """One of API Gateway's own answers: ``{"message": "..."}`` as JSON."""
    headers = [("content-type", "application/json")]
    if request_id:
        headers.append(("apigw-requestid", request_id))
    return GatewayResponse(
        status, tuple(headers), json.dumps({"message": message}, separators=(",", ":")).encode()
    )


NOT_FOUND = (404, "Not Found")
UNAUTHORIZED = (401, "Unauthorized")
FORBIDDEN = (403, "Forbidden")
INTERNAL_ERROR = (500, "Internal Server Error")
SERVICE_UNAVAILABLE = (503, "Service Unavailable")
TOO_LARGE = (413, "Request Entity Too Large")


def format_time(epoch_ms: int) -> str:
    """API Gateway's ``requestContext.time``: ``12/Mar/2020:19:03:58 +0000``."""
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch_ms / 1000))


def lambda_headers(headers: Iterable[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """``(headers, cookies)``: lower-cased names, repeats joined with ``,``; the Cookie
    headers split into the ``cookies`` list."""
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies += [part.strip() for part in value.split(";") if part.strip()]
            continue
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    return merged, cookies


def query_parameters(raw_query: str) -> dict[str, str]:
    """The decoded query string parameters, repeated names joined with ``,``."""
    params: dict[str, str] = {}
    for item in raw_query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        name, value = unquote(name), unquote(value)
        params[name] = f"{params[name]},{value}" if name in params else value
    return params


def is_text_body(content_type: str | None) -> bool:
    """True when API Gateway passes a body of this content type as text."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return (
        media.startswith("text/") or media in _TEXT_TYPES or media.endswith("+json") or media.endswith("+xml")
    )


def encode_body(body: bytes, content_type: str | None) -> tuple[str, bool]:
    """``(body, isBase64Encoded)`` as API Gateway puts them into the event."""
    if is_text_body(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _common(request: HttpRequest, route_key: str, path_parameters: Mapping[str, str]) -> dict[str, Any]:
    headers, cookies = lambda_headers(request.headers)
    event: dict[str, Any] = {"version": "2.0", "routeKey": route_key, "rawPath": request.raw_path}
    event["rawQueryString"] = request.raw_query
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query = query_parameters(request.raw_query)
    if query:
        event["queryStringParameters"] = query
    return event


def _request_context(request: HttpRequest, route_key: str, context: RequestContext) -> dict[str, Any]:
    headers = {name.lower(): value for name, value in request.headers}
    return {
        "accountId": context.account_id,
        "apiId": context.api_id,
        "domainName": context.domain_name,
        "domainPrefix": context.domain_name.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": context.request_id,
        "routeKey": route_key,
        "stage": context.stage,
        "time": format_time(context.time_epoch_ms),
        "timeEpoch": context.time_epoch_ms,
        **context.extra,
    }


def route_arn(request: HttpRequest, context: RequestContext) -> str:
    """``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}{path}``."""
    return (
        f"arn:aws:execute-api:{context.region}:{context.account_id}:{context.api_id}/"
        f"{context.stage}/{request.method}{request.raw_path}"
    )


def proxy_event(
    request: HttpRequest,
    *,
    route_key: str,
    path_parameters: Mapping[str, str],
    context: RequestContext,
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The payload 2.0 event API Gateway sends to the route's Lambda integration.

    ``authorizer`` is the ``requestContext.authorizer`` object (``{"lambda": {...}}`` behind a
    Lambda authorizer), left out when the route has none.
    """
    event = _common(request, route_key, path_parameters)
    request_context = _request_context(request, route_key, context)
    if authorizer is not None:
        request_context["authorizer"] = dict(authorizer)
    event["requestContext"] = request_context
    if request.body:
        event["body"], event["isBase64Encoded"] = encode_body(request.body, request.header("content-type"))
    else:
        event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    return event


def authorizer_event(
    request: HttpRequest,
    *,
    route_key: str,
    path_parameters: Mapping[str, str],
    context: RequestContext,
    identity_source: list[str] | None = None,
) -> dict[str, Any]:
    """The payload 2.0 ``REQUEST`` event API Gateway sends to a Lambda authorizer."""
    event: dict[str, Any] = {"version": "2.0", "type": "REQUEST", "routeArn": route_arn(request, context)}
    if identity_source is not None:
        event["identitySource"] = identity_source
    event.update(_common(request, route_key, path_parameters))
    event["requestContext"] = _request_context(request, route_key, context)
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    return event


class MalformedResponseError(ValueError):
    """A Lambda answer API Gateway cannot map (it answers 500); the message says why."""


def _header_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedResponseError(f"header value {value!r} is not a string")


def map_lambda_response(payload: str) -> GatewayResponse:
    """The client's response for a Lambda's JSON output ``payload`` (payload format 2.0).

    Raises :class:`MalformedResponseError` where API Gateway answers 500 instead.
    """
    try:
        value = json.loads(payload)
    except ValueError as error:
        raise MalformedResponseError(f"the function's output is not JSON: {error}") from None
    if not (isinstance(value, dict) and "statusCode" in value):
        # Payload 2.0 inference: a 200 JSON response whose body is the output itself.
        return GatewayResponse(200, (("content-type", "application/json"),), payload.encode("utf-8"))
    status = value["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedResponseError(f"statusCode {status!r} is not an HTTP status code")
    headers: list[tuple[str, str]] = []
    raw_headers = value.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise MalformedResponseError(f"headers must be an object, got {raw_headers!r}")
    for name, header in raw_headers.items():
        headers.append((str(name).lower(), _header_value(header)))
    multi = value.get("multiValueHeaders") or {}
    if not isinstance(multi, dict):
        raise MalformedResponseError(f"multiValueHeaders must be an object, got {multi!r}")
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponseError(f"multiValueHeaders[{name!r}] must be a list")
        key = str(name).lower()
        if key == "set-cookie":
            headers += [(key, _header_value(v)) for v in values]
        elif values:
            headers = [(k, v) for k, v in headers if k != key]
            headers.append((key, ",".join(_header_value(v) for v in values)))
    cookies = value.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise MalformedResponseError(f"cookies must be a list of strings, got {cookies!r}")
    headers += [("set-cookie", cookie) for cookie in cookies]
    body = value.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise MalformedResponseError(f"body must be a string, got {type(body).__name__}")
    elif value.get("isBase64Encoded") is True:
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResponseError("isBase64Encoded is true but the body is not base64") from None
    else:
        data = body.encode("utf-8")
    return GatewayResponse(status, tuple(headers), data)


@dataclass(frozen=True, slots=True)
class AuthorizerDecision:
    authorized: bool
    context: dict[str, Any]


def read_simple_response(payload: str) -> AuthorizerDecision:
    """A Lambda authorizer's simple response ``{"isAuthorized": bool, "context": {...}}``.

    Raises :class:`MalformedResponseError` (API Gateway answers 500) for anything else.
    """
    try:
        value = json.loads(payload)
    except ValueError:
        raise MalformedResponseError("the authorizer's output is not JSON") from None
    if not isinstance(value, dict) or not isinstance(value.get("isAuthorized"), bool):
        raise MalformedResponseError(
            f"the authorizer's simple response has no boolean isAuthorized: {payload[:200]}"
        )
    context = value.get("context") or {}
    if not isinstance(context, dict):
        raise MalformedResponseError("the authorizer's context must be an object")
    return AuthorizerDecision(value["isAuthorized"], context)


def read_policy_response(payload: str, arn: str) -> AuthorizerDecision:
    """A Lambda authorizer's IAM policy response, evaluated for ``arn`` (an explicit Deny wins,
    else an Allow of ``execute-api:Invoke`` on a matching resource allows)."""
    from fnmatch import fnmatchcase

    try:
        value = json.loads(payload)
    except ValueError:
        raise MalformedResponseError("the authorizer's output is not JSON") from None
    document = value.get("policyDocument") if isinstance(value, dict) else None
    statements = document.get("Statement") if isinstance(document, dict) else None
    if not isinstance(value, dict) or not isinstance(value.get("principalId"), str) or statements is None:
        raise MalformedResponseError("the authorizer's policy response needs principalId and policyDocument")
    statements = statements if isinstance(statements, list) else [statements]
    allowed = denied = False
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = actions if isinstance(actions, list) else [actions]
        resources = resources if isinstance(resources, list) else [resources]
        if not any(fnmatchcase("execute-api:Invoke", str(a)) for a in actions):
            continue
        if not any(fnmatchcase(arn, str(r)) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            denied = True
        elif statement.get("Effect") == "Allow":
            allowed = True
    context = value.get("context") or {}
    return AuthorizerDecision(allowed and not denied, context if isinstance(context, dict) else {})
