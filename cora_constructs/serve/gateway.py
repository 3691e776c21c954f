"""API Gateway (HTTP API) in front of the functions: route, authorize, invoke, map the answer.

:class:`Gateway` handles one :class:`HttpRequest` and answers what API Gateway would:

- no route matches: 404 ``{"message":"Not Found"}`` (HTTP APIs have no 405);
- a route with a Lambda authorizer: a configured identity source missing -> 401
  ``Unauthorized`` (the authorizer is not called); the authorizer denies -> 403 ``Forbidden``;
  it fails, times out or answers garbage -> 500 ``Internal Server Error``; it allows -> its
  context reaches the handler as ``requestContext.authorizer.lambda``;
- an ``AWS_IAM`` route without a SigV4 ``Authorization`` header -> 403 ``Forbidden`` (a signed
  request is let through: signatures are not verified locally);
- the function raises, crashes or answers what cannot be mapped -> 500; it runs past its own
  timeout -> 500 (a function error); past the integration's timeout (at most 30 s) -> 503
  ``Service Unavailable``.

Functions are invoked through an ``invoke`` callable (worker processes in `cora serve`, a fake
in tests), so all of this is tested without a process.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cora_constructs.serve import events
from cora_constructs.serve.events import GatewayResponse, HttpRequest, MalformedResponseError, RequestContext
from cora_constructs.serve.matching import match_route
from cora_constructs.serve.plan import AuthorizerConfig, LambdaFunction, ServedRoute
from cora_constructs.serve.workers import Invocation

Invoke = Callable[[LambdaFunction, Mapping[str, Any], str, float], Awaitable[Invocation]]
Log = Callable[[str], None]
MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Outcome:
    """The response and what the access log says of it."""

    response: GatewayResponse
    function: str
    duration_ms: float
    route_key: str | None = None


def _identity_value(source: str, request: HttpRequest, query: Mapping[str, str]) -> str | None:
    prefix, _, name = source.partition(".")
    if source.startswith("$request.header."):
        return request.header(source.removeprefix("$request.header."))
    if source.startswith("$request.querystring."):
        return query.get(source.removeprefix("$request.querystring."))
    if prefix in ("$context", "$stageVariables") and name:
        return None  # not emulated: counted as missing only if the source names one
    return None


def identity_values(config: AuthorizerConfig, request: HttpRequest) -> list[str] | None:
    """The identity source values, or None when one is missing or empty (API Gateway's 401)."""
    query = events.query_parameters(request.raw_query)
    values: list[str] = []
    for source in config.identity_sources:
        value = _identity_value(source, request, query)
        if not value:
            return None
        values.append(value)
    return values


class Gateway:
    """The HTTP API of a plan, answering requests as API Gateway does."""

    def __init__(self, routes: Sequence[ServedRoute], invoke: Invoke, *, log: Log, region: str) -> None:
        self.routes = {route.route_key: route for route in routes}
        self.patterns = [route.pattern for route in routes]
        self.invoke = invoke
        self.log = log
        self.region = region

    def context(self, request: HttpRequest) -> RequestContext:
        request_id = str(uuid.uuid4())
        return RequestContext(
            request_id=request_id,
            time_epoch_ms=int(time.time() * 1000),
            domain_name=request.host,
            region=self.region,
        )

    async def handle(self, request: HttpRequest) -> Outcome:
        started = time.perf_counter()
        context = self.context(request)

        def done(response: GatewayResponse, function: str = "-", route_key: str | None = None) -> Outcome:
            headers = (*response.headers, ("apigw-requestid", context.request_id))
            response = GatewayResponse(response.status, headers, response.body)
            return Outcome(response, function, (time.perf_counter() - started) * 1000, route_key)

        def error(status_message: tuple[int, str], function: str = "-", key: str | None = None) -> Outcome:
            return done(events.gateway_error(*status_message), function, key)

        if len(request.body) > MAX_BODY_BYTES:
            return error(events.TOO_LARGE)
        found = match_route(self.patterns, request.method, request.raw_path)
        if found is None:
            return error(events.NOT_FOUND)
        route = self.routes[found.route.route_key]
        key = route.route_key
        if route.function is None:
            self.log(f"{key}: {route.problem or 'no function'}")
            return error(events.INTERNAL_ERROR, "-", key)
        name = route.function.function_name
        authorizer_context: dict[str, Any] | None = None
        if route.authorization == "CUSTOM":
            decision = await self._authorize(route, request, found.path_parameters, context)
            if isinstance(decision, tuple):
                return error(decision, name, key)
            authorizer_context = {"lambda": decision}
        elif route.authorization == "AWS_IAM":
            authorization = request.header("authorization") or ""
            if not authorization.startswith("AWS4-HMAC-SHA256 "):
                return error(events.FORBIDDEN, name, key)
            authorizer_context = {"iam": _iam_identity(authorization, context)}
        elif route.authorization == "JWT":
            self.log(f"{key}: JWT authorizers are not emulated by `cora serve`")
            return error(events.INTERNAL_ERROR, name, key)
        event = events.proxy_event(
            request,
            route_key=key,
            path_parameters=found.path_parameters,
            context=context,
            authorizer=authorizer_context,
        )
        integration_s = route.integration_timeout_ms / 1000
        timeout = min(float(route.function.timeout_s), integration_s)
        result = await self.invoke(route.function, event, context.request_id, timeout)
        if result.outcome == "timeout":
            if route.function.timeout_s < integration_s:
                self.log(f"[{name}] Task timed out after {route.function.timeout_s:.2f} seconds")
                return error(events.INTERNAL_ERROR, name, key)
            self.log(f"{key}: the integration timed out after {integration_s:g} s")
            return error(events.SERVICE_UNAVAILABLE, name, key)
        if result.outcome != "ok" or result.payload is None:
            return error(events.INTERNAL_ERROR, name, key)
        try:
            return done(events.map_lambda_response(result.payload), name, key)
        except MalformedResponseError as problem:
            self.log(f"[{name}] API Gateway cannot map the response: {problem}")
            return error(events.INTERNAL_ERROR, name, key)

    async def _authorize(
        self,
        route: ServedRoute,
        request: HttpRequest,
        path_parameters: Mapping[str, str],
        context: RequestContext,
    ) -> dict[str, Any] | tuple[int, str]:
        """The allow context, or the (status, message) API Gateway answers instead."""
        config = route.authorizer
        if config is None or config.function is None:
            self.log(f"{route.route_key}: {config.problem if config else 'no authorizer'}")
            return events.INTERNAL_ERROR
        identity = identity_values(config, request) if config.identity_sources else []
        if identity is None:
            return events.UNAUTHORIZED
        event = events.authorizer_event(
            request,
            route_key=route.route_key,
            path_parameters=path_parameters,
            context=context,
            identity_source=identity or None,
        )
        function = config.function
        result = await self.invoke(function, event, context.request_id, float(function.timeout_s))
        if result.outcome != "ok" or result.payload is None:
            if result.outcome == "timeout":
                self.log(f"[{function.function_name}] Task timed out after {function.timeout_s:.2f} seconds")
            return events.INTERNAL_ERROR
        try:
            if config.simple_responses and config.payload_format_version == "2.0":
                decision = events.read_simple_response(result.payload)
            else:
                decision = events.read_policy_response(result.payload, events.route_arn(request, context))
        except MalformedResponseError as problem:
            self.log(f"[{function.function_name}] API Gateway cannot read the authorizer's answer: {problem}")
            return events.INTERNAL_ERROR
        return decision.context if decision.authorized else events.FORBIDDEN


def _iam_identity(authorization: str, context: RequestContext) -> dict[str, Any]:
    credential = authorization.partition("Credential=")[2].split(",", 1)[0]
    access_key = credential.split("/", 1)[0]
    return {
        "accessKey": access_key,
        "accountId": context.account_id,
        "callerId": access_key,
        "principalOrgId": None,
        "userArn": None,
        "userId": access_key,
    }
