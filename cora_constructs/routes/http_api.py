"""One HTTP API per stack app, with routes wired only from StandardLambda docstrings."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cora_constructs import defaults
from cora_constructs.errors import CoraValidationError, Violation
from cora_constructs.functions.observability import context_number, log_retention
from cora_constructs.functions.standard_lambda import StandardLambda
from cora_constructs.jsii_checks import library_calls, team_calls
from cora_constructs.project import ProjectContext
from cora_constructs.stack import project_of
from cora_runtime.routes import DEFAULT_AUTH, PUBLIC, Route

if TYPE_CHECKING:
    from cora_constructs.routes.websocket_api import WebSocketRoutes

ORG_AUTHORIZER_NAME = "org-authorizer"
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "routeKey": "$context.routeKey",
        "path": "$context.path",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
    },
    separators=(",", ":"),
)
"""The default stage's access log line: one JSON object per request."""
AuthorizerFactory = Callable[[Construct], apigw.IHttpRouteAuthorizer]


def _iam_authorizer(_scope: Construct) -> apigw.IHttpRouteAuthorizer:
    return authorizers.HttpIamAuthorizer()


BUILTIN_AUTHORIZERS: Mapping[str, AuthorizerFactory] = {"iam": _iam_authorizer}


class OrgHttpApi(Construct):
    """The stack app's HTTP API and its org authorizer; publishes their ids in SSM.

    The org authorizer is a Lambda REQUEST authorizer (payload 2.0, simple responses) on the
    infra app's authorizer function, whose ARN is read from SSM at deploy time. It has **no
    identity sources and no result caching**: with an identity source such as
    ``$request.header.Authorization``, API Gateway answers 401 without calling the authorizer
    whenever that header is missing, which is every cookie-only browser request. Listing both
    the header and the cookie would demand both. Caching needs identity sources as its key,
    so it is off; the authorizer's per-request work is tens of microseconds.

    :param authorizer_arn_parameter: SSM parameter holding the authorizer function (alias) ARN.
    :param api_id_parameter: SSM parameter this construct writes the API id to.
    :param authorizer_id_parameter: SSM parameter this construct writes the authorizer id to.
    :param api_name: the API's name.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_name: str,
        authorizer_arn_parameter: str,
        api_id_parameter: str,
        authorizer_id_parameter: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.http_api = apigw.HttpApi(self, "HttpApi", api_name=api_name, create_default_stage=True)
        self.access_logs = self._observe_default_stage(project_of(stack))
        authorizer_arn = ssm.StringParameter.value_for_string_parameter(self, authorizer_arn_parameter)
        self.authorizer = apigw.CfnAuthorizer(
            self,
            "OrgAuthorizer",
            api_id=self.http_api.api_id,
            name=ORG_AUTHORIZER_NAME,
            authorizer_type="REQUEST",
            authorizer_uri=lambda_invocation_uri(stack, authorizer_arn),
            authorizer_payload_format_version="2.0",
            enable_simple_responses=True,
            authorizer_result_ttl_in_seconds=0,
        )
        allow_authorizer_invoke(self, authorizer_arn, self.http_api.api_id, self.authorizer.ref)
        ssm.StringParameter(
            self, "ApiIdParameter", parameter_name=api_id_parameter, string_value=self.http_api.api_id
        )
        ssm.StringParameter(
            self,
            "AuthorizerIdParameter",
            parameter_name=authorizer_id_parameter,
            string_value=self.authorizer.ref,
        )
        cdk.CfnOutput(self, "ApiEndpoint", value=self.http_api.api_endpoint)

    def _observe_default_stage(self, project: ProjectContext) -> logs.LogGroup:
        """Access logs (JSON, to a log group kept ``cora:logRetentionDays`` days) and default
        throttling (``cora:throttleBurst`` requests, ``cora:throttleRate`` per second) on the
        ``$default`` stage. Set on the stage's CfnStage: HttpApi's default stage takes neither."""
        access_logs = logs.LogGroup(self, "AccessLogs", retention=log_retention(project))
        stage = self.http_api.default_stage
        assert stage is not None
        cfn = stage.node.default_child
        assert isinstance(cfn, apigw.CfnStage)
        cfn.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn, format=ACCESS_LOG_FORMAT
        )
        cfn.default_route_settings = apigw.CfnStage.RouteSettingsProperty(
            throttling_burst_limit=context_number(
                project, defaults.CONTEXT_THROTTLE_BURST, defaults.THROTTLE_BURST
            ),
            throttling_rate_limit=context_number(
                project, defaults.CONTEXT_THROTTLE_RATE, defaults.THROTTLE_RATE
            ),
        )
        return access_logs


@dataclass
class ApiRoutes:
    """Wires each StandardLambda's docstring routes into the HTTP API, and nothing else.

    Module stacks find the API and the org authorizer through SSM parameters (written by
    :class:`OrgHttpApi`), so no CloudFormation export ties them to the API stack. A route key
    declared by two Lambdas is refused with both files named.

    :param api_id_parameter: SSM parameter holding the HTTP API id.
    :param authorizer_id_parameter: SSM parameter holding the org authorizer id.
    :param authorizers: named authorizers for ``[auth: <name>]`` tags; ``iam`` is built in.
    :param websocket: where a Lambda declaring WebSocket route keys is wired instead
        (:class:`~cora_constructs.routes.websocket_api.WebSocketRoutes`); None: such a Lambda is
        refused (CORA-R5).
    """

    api_id_parameter: str
    authorizer_id_parameter: str
    authorizers: Mapping[str, AuthorizerFactory] = field(default_factory=dict)
    websocket: WebSocketRoutes | None = None
    _owners: dict[str, tuple[Route, StandardLambda]] = field(default_factory=dict, init=False)
    _imported: dict[int, tuple[cdk.Stack, apigw.IHttpApi, apigw.IHttpRouteAuthorizer]] = field(
        default_factory=dict, init=False
    )

    def add(self, function: StandardLambda) -> list[Any]:
        """Create one HTTP API route per docstring route of ``function``, invoking its ``live``
        alias (a Lambda of WebSocket route keys goes to :attr:`websocket`).

        The routes share one integration, and API Gateway gets one permission to invoke the
        alias from this API (source ``execute-api:<api>/*/*/*``), made with the first route:
        one statement in the alias's resource policy however many routes the function serves
        (one per route would outgrow Lambda's 20 KB policy limit at a few dozen routes)."""
        if function.routes and function.routes[0].is_websocket:
            if self.websocket is None:
                first = function.routes[0]
                raise CoraValidationError.single(
                    "CORA-R5",
                    f"{first.filename}:{first.line}",
                    f"{function.source} declares WebSocket route keys, and these ApiRoutes wire "
                    "HTTP routes only: pass ApiRoutes(websocket=WebSocketRoutes(...)) beside an "
                    "OrgWebSocketApi (the library's StackApp does when a module declares route keys).",
                )
            return self.websocket.add(function)
        self._check(function)
        function.wired = True
        if not function.routes:
            return []
        # The library's own values: jsii's type check skipped (a team's authorizer factory runs
        # checked, in _authorizer).
        with library_calls():
            return self._wire(function)

    def _wire(self, function: StandardLambda) -> list[Any]:
        api, org_authorizer = self._api_in(function.stack)
        integration = integrations.HttpLambdaIntegration(
            "Integration",
            function.alias,
            payload_format_version=_payload_v2(),
            scope_permission_to_route=False,
        )
        routes = []
        for route in function.routes:
            http_route = apigw.HttpRoute(
                function,
                f"Route{_route_id(route)}",
                http_api=api,
                route_key=apigw.HttpRouteKey.with_(route.path, apigw.HttpMethod(route.method)),
                integration=integration,
                authorizer=self._authorizer(route, org_authorizer, function),
            )
            if route.public_reason:
                cfn = http_route.node.default_child
                assert isinstance(cfn, cdk.CfnResource)
                cfn.add_metadata("cora:publicReason", route.public_reason)
            routes.append(http_route)
        return routes

    def _check(self, function: StandardLambda) -> None:
        problems = []
        for route in function.routes:
            owner = self._owners.get(route.shape)
            if owner is not None and owner[0].filename != route.filename:
                first, first_function = owner
                problems.append(
                    Violation(
                        "CORA-R2",
                        f"{route.filename}:{route.line}",
                        f"route {route.key} is already declared as {first.key} by "
                        f"{first.filename}:{first.line} "
                        f"({first_function.path}); a route belongs to exactly one Lambda: remove it from one "
                        "docstring.",
                    )
                )
            if route.auth not in (DEFAULT_AUTH, PUBLIC) and route.auth not in self._known_authorizers():
                problems.append(
                    Violation(
                        "CORA-R3",
                        f"{route.filename}:{route.line}",
                        f"route {route.key} asks for [auth: {route.auth}], which this API does not "
                        f"have; known authorizers: {', '.join(sorted(self._known_authorizers()))} "
                        "(register others with ApiRoutes(authorizers=...)).",
                    )
                )
        if problems:
            raise CoraValidationError(problems)
        for route in function.routes:
            self._owners.setdefault(route.shape, (route, function))

    def _known_authorizers(self) -> set[str]:
        return set(BUILTIN_AUTHORIZERS) | set(self.authorizers)

    def _authorizer(
        self, route: Route, org: apigw.IHttpRouteAuthorizer, scope: Construct
    ) -> apigw.IHttpRouteAuthorizer:
        if route.auth == PUBLIC:
            return apigw.HttpNoneAuthorizer()
        if route.auth == DEFAULT_AUTH:
            return org
        factory = self.authorizers.get(route.auth) or BUILTIN_AUTHORIZERS[route.auth]
        with team_calls():
            return factory(scope)

    def _api_in(self, stack: cdk.Stack) -> tuple[apigw.IHttpApi, apigw.IHttpRouteAuthorizer]:
        # Keyed by the Python object (jsii hands back the same one): no round trip to Node.
        key = id(stack)
        if key not in self._imported:
            scope = Construct(stack, "OrgHttpApiRef")
            api_id = ssm.StringParameter.value_for_string_parameter(scope, self.api_id_parameter)
            authorizer_id = ssm.StringParameter.value_for_string_parameter(
                scope, self.authorizer_id_parameter
            )
            self._imported[key] = (
                stack,
                apigw.HttpApi.from_http_api_attributes(scope, "HttpApi", http_api_id=api_id),
                apigw.HttpAuthorizer.from_http_authorizer_attributes(
                    scope, "OrgAuthorizer", authorizer_id=authorizer_id, authorizer_type="CUSTOM"
                ),
            )
        _stack, api, authorizer = self._imported[key]
        return api, authorizer


@cache
def _payload_v2() -> apigw.PayloadFormatVersion:
    return apigw.PayloadFormatVersion.VERSION_2_0


def _route_id(route: Route) -> str:
    """A stable, unique construct id for a route, e.g. ``GETTasksTaskId3f2a9c``."""
    return _route_id_of(route.method, route.path, route.key)


@cache
def _route_id_of(method: str, path: str, key: str) -> str:
    """:func:`_route_id`, once per route (the wiring and the acknowledgements both ask)."""
    parts = [method]
    for segment in path.strip("/").split("/"):
        cleaned = "".join(ch for ch in segment if ch.isalnum() or ch == "_")
        parts.append(cleaned[:1].upper() + cleaned[1:] if cleaned else "Root")
    if path == "/":
        parts.append("Root")
    # The readable part can collide ({id} vs id); the digest of the route key cannot.
    return "".join(parts) + hashlib.sha256(key.encode()).hexdigest()[:6]


def lambda_invocation_uri(stack: cdk.Stack, function_arn: str) -> str:
    """API Gateway's URI for invoking the Lambda function ``function_arn`` (an authorizer or an
    integration)."""
    return (
        f"arn:{stack.partition}:apigateway:{stack.region}:lambda:path/2015-03-31/functions/"
        f"{function_arn}/invocations"
    )


def allow_authorizer_invoke(scope: Construct, authorizer_arn: str, api_id: str, authorizer_id: str) -> None:
    """Let API Gateway invoke the org authorizer's function from this API's authorizer only."""
    lambda_.CfnPermission(
        scope,
        "InvokeOrgAuthorizer",
        action="lambda:InvokeFunction",
        function_name=authorizer_arn,
        principal="apigateway.amazonaws.com",
        source_arn=cdk.Stack.of(scope).format_arn(
            service="execute-api", resource=api_id, resource_name=f"authorizers/{authorizer_id}"
        ),
    )
