"""One WebSocket API per stack app, with route keys wired only from StandardLambda docstrings.

The stack app builds it only when some module declares WebSocket route keys
(``Routes - WebSocket:``, see :mod:`cora_runtime.routes`), beside the HTTP API, in the api stack:

- ``AWS::ApiGatewayV2::Api`` with protocol ``WEBSOCKET`` and the route selection expression
  ``$request.body.action`` (a message ``{"action": "chat", ...}`` goes to the key ``chat``,
  anything else to ``$default`` when a Lambda declares it);
- one stage (named after the environment, auto-deployed) with JSON access logs and the same
  default throttling as the HTTP API (``cora:throttleBurst``, ``cora:throttleRate``);
- the org authorizer: a Lambda REQUEST authorizer on the infra app's function (ARN from SSM),
  attached to ``$connect``, the only route API Gateway runs a WebSocket authorizer on.

**No identity sources.** API Gateway calls a REQUEST authorizer only when every identity source
is present, non-null and non-empty, and answers 401 itself otherwise. A browser cannot set a
header on a WebSocket handshake: it sends either the session cookie (``Cookie`` header) or a token
in the query string. Listing ``route.request.header.Cookie`` would turn away every query-string
handshake; listing the query parameter would turn away every cookie handshake; listing both would
demand both. Identity sources are optional for REQUEST authorizers of API Gateway v2, and a
WebSocket authorizer's result is never cached (caching is what needs them as a key), so there is
none: every handshake reaches the org authorizer, which finds the token where it is and fails
closed.

Module stacks find the API through SSM (its id, the authorizer id), as they find the HTTP API.
Each Lambda that declares route keys gets one integration on its ``live`` alias, one route per
key, ``WEBSOCKET_API_URL`` (the ``https://`` management endpoint of the stage) and
``execute-api:ManageConnections`` on that stage's ``@connections`` only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cora_constructs import defaults
from cora_constructs.compliance.aws_packs import OrgException, acknowledge
from cora_constructs.errors import CoraValidationError, Violation
from cora_constructs.functions.observability import context_number, log_retention
from cora_constructs.functions.standard_lambda import StandardLambda
from cora_constructs.routes.http_api import (
    ORG_AUTHORIZER_NAME,
    allow_authorizer_invoke,
    execute_api_arn,
    lambda_invocation_uri,
)
from cora_constructs.routes.route_template import route_construct_id
from cora_constructs.stack import project_of
from cora_runtime.routes import CONNECT, DEFAULT_AUTH, PUBLIC, Route

ROUTE_SELECTION_EXPRESSION = "$request.body.action"
ENDPOINT_VARIABLE = "WEBSOCKET_API_URL"
PROTOCOL_METADATA = "cora:protocol"
WEBSOCKET_AUTHORIZERS = (DEFAULT_AUTH, PUBLIC, "iam")
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "eventType": "$context.eventType",
        "routeKey": "$context.routeKey",
        "connectionId": "$context.connectionId",
        "status": "$context.status",
        "integrationLatency": "$context.integrationLatency",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
    },
    separators=(",", ":"),
)
"""The stage's access log line: one JSON object per connection event and message."""


MANAGE_CONNECTIONS_REASON = (
    "execute-api:ManageConnections on the connections of this WebSocket API's stage only "
    "(api/stage/*/@connections/*): connection ids exist only at run time, so the resource cannot "
    "name them"
)


def nag_text(value: object) -> str:
    """A resolved CloudFormation value as cdk-nag writes it in a finding id: ``Fn::Join`` parts
    concatenated, ``{"Ref": X}`` as ``<X>``, ``Fn::GetAtt`` as ``<X.Attr>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((name, arg),) = value.items()
        if name == "Ref":
            return f"<{arg}>"
        if name == "Fn::GetAtt" and isinstance(arg, list):
            return f"<{'.'.join(str(a) for a in arg)}>"
        if name == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
            return str(arg[0]).join(nag_text(part) for part in arg[1])
    return json.dumps(value, sort_keys=True)


def management_endpoint(api_id: str, stage: str, scope: Construct) -> str:
    """``https://{api-id}.execute-api.{region}.{url-suffix}/{stage}``: where a Lambda posts to
    connections (the ``wss://`` endpoint clients connect to has the same host and path)."""
    stack = cdk.Stack.of(scope)
    return f"https://{api_id}.execute-api.{stack.region}.{stack.url_suffix}/{stage}"


def connections_arn(api_id: str, stage: str, scope: Construct) -> str:
    """Every connection of the stage: ``arn:...:execute-api:region:account:api/stage/*/@connections/*``
    (POST to send, GET to read, DELETE to close)."""
    return execute_api_arn(cdk.Stack.of(scope), api_id, f"{stage}/*/@connections/*")


class OrgWebSocketApi(Construct):
    """The stack app's WebSocket API, its stage and the org authorizer; publishes their ids in SSM.

    :param api_name: the API's name.
    :param stage_name: the stage (the environment).
    :param authorizer_arn_parameter: SSM parameter holding the authorizer function (alias) ARN.
    :param api_id_parameter: SSM parameter this construct writes the API id to.
    :param authorizer_id_parameter: SSM parameter this construct writes the authorizer id to.
    :param endpoint_parameter: SSM parameter this construct writes the ``wss://`` endpoint to.
    :param management_endpoint_parameter: SSM parameter for the ``https://`` management endpoint.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_name: str,
        stage_name: str,
        authorizer_arn_parameter: str,
        api_id_parameter: str,
        authorizer_id_parameter: str,
        endpoint_parameter: str,
        management_endpoint_parameter: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        project = project_of(stack)
        self.api = apigw.CfnApi(
            self,
            "WebSocketApi",
            name=api_name,
            protocol_type="WEBSOCKET",
            route_selection_expression=ROUTE_SELECTION_EXPRESSION,
        )
        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=log_retention(project))
        self.stage = apigw.CfnStage(
            self,
            "Stage",
            api_id=self.api.ref,
            stage_name=stage_name,
            auto_deploy=True,
            access_log_settings=apigw.CfnStage.AccessLogSettingsProperty(
                destination_arn=self.access_logs.log_group_arn, format=ACCESS_LOG_FORMAT
            ),
            default_route_settings=apigw.CfnStage.RouteSettingsProperty(
                throttling_burst_limit=context_number(
                    project, defaults.CONTEXT_THROTTLE_BURST, defaults.THROTTLE_BURST
                ),
                throttling_rate_limit=context_number(
                    project, defaults.CONTEXT_THROTTLE_RATE, defaults.THROTTLE_RATE
                ),
            ),
        )
        authorizer_arn = ssm.StringParameter.value_for_string_parameter(self, authorizer_arn_parameter)
        # No identity sources and no caching: see the module docstring.
        self.authorizer = apigw.CfnAuthorizer(
            self,
            "OrgAuthorizer",
            api_id=self.api.ref,
            name=ORG_AUTHORIZER_NAME,
            authorizer_type="REQUEST",
            authorizer_uri=lambda_invocation_uri(stack, authorizer_arn),
        )
        allow_authorizer_invoke(stack, self, authorizer_arn, self.api.ref, self.authorizer.ref)
        self.endpoint = f"{self.api.attr_api_endpoint}/{stage_name}"
        self.management_endpoint = management_endpoint(self.api.ref, stage_name, self)
        for name, parameter, value in (
            ("ApiIdParameter", api_id_parameter, self.api.ref),
            ("AuthorizerIdParameter", authorizer_id_parameter, self.authorizer.ref),
            ("EndpointParameter", endpoint_parameter, self.endpoint),
            ("ManagementEndpointParameter", management_endpoint_parameter, self.management_endpoint),
        ):
            ssm.StringParameter(self, name, parameter_name=parameter, string_value=value)
        cdk.CfnOutput(self, "WebSocketEndpoint", value=self.endpoint)


@dataclass
class WebSocketRoutes:
    """Wires each StandardLambda's docstring route keys into the WebSocket API, and nothing else.

    A key declared by two Lambdas is refused with both files named (CORA-R2); ``[auth: <name>]``
    on ``$connect`` may name ``iam`` only (CORA-R3): a WebSocket API has no other authorizer.

    :param api_id_parameter: SSM parameter holding the WebSocket API id.
    :param authorizer_id_parameter: SSM parameter holding its org authorizer id.
    :param stage_name: the API's stage.
    """

    api_id_parameter: str
    authorizer_id_parameter: str
    stage_name: str
    owners: dict[str, tuple[Route, StandardLambda]] = field(default_factory=dict, init=False)
    _imported: dict[int, tuple[cdk.Stack, str, str]] = field(default_factory=dict, init=False)

    def add(self, function: StandardLambda) -> list[apigw.CfnRoute]:
        """One integration on ``function``'s ``live`` alias and one route per route key; the
        management endpoint and the permission to post to the stage's connections."""
        self._check(function)
        function.wired = True
        stack = function.stack
        api_id, authorizer_id = self._ids_in(stack)
        integration = apigw.CfnIntegration(
            function,
            "WebSocketIntegration",
            api_id=api_id,
            integration_type="AWS_PROXY",
            integration_method="POST",
            integration_uri=lambda_invocation_uri(stack, function.alias.function_arn),
        )
        lambda_.CfnPermission(
            function,
            "InvokeFromWebSocketApi",
            action="lambda:InvokeFunction",
            function_name=function.alias.function_arn,
            principal="apigateway.amazonaws.com",
            source_arn=execute_api_arn(stack, api_id, f"{self.stage_name}/*"),
        )
        routes = []
        for route in function.routes:
            kind, authorizer = self._authorization(route, authorizer_id)
            cfn_route = apigw.CfnRoute(
                function,
                route_construct_id(route),
                api_id=api_id,
                route_key=route.key,
                target=f"integrations/{integration.ref}",
                authorization_type=kind,
                authorizer_id=authorizer,
            )
            cfn_route.add_metadata(PROTOCOL_METADATA, "websocket")
            if route.public_reason:
                cfn_route.add_metadata("cora:publicReason", route.public_reason)
            routes.append(cfn_route)
        function.function.add_environment(
            ENDPOINT_VARIABLE, management_endpoint(api_id, self.stage_name, function)
        )
        self._grant_manage_connections(function, connections_arn(api_id, self.stage_name, function))
        return routes

    @staticmethod
    def _grant_manage_connections(function: StandardLambda, resource: str) -> None:
        """A policy of its own on the function's role, acknowledged for cdk-nag's AwsSolutions-IAM5:
        connection ids exist only at run time, so the resource ends in ``@connections/*``."""
        role = function.function.role
        if role is None:  # pragma: no cover - a StandardLambda always has a role
            return
        policy = iam.Policy(
            function,
            "ManageConnections",
            statements=[iam.PolicyStatement(actions=["execute-api:ManageConnections"], resources=[resource])],
        )
        policy.attach_to_role(role)
        finding = f"AwsSolutions-IAM5[Resource::{nag_text(cdk.Stack.of(function).resolve(resource))}]"
        acknowledge(policy, [OrgException(finding, MANAGE_CONNECTIONS_REASON)])

    @staticmethod
    def _authorization(route: Route, authorizer_id: str) -> tuple[str, str | None]:
        if route.key != CONNECT or route.auth == PUBLIC:
            return "NONE", None
        if route.auth == "iam":
            return "AWS_IAM", None
        return "CUSTOM", authorizer_id

    def _check(self, function: StandardLambda) -> None:
        problems = []
        for route in function.routes:
            owner = self.owners.get(route.key)
            if owner is not None and owner[0].filename != route.filename:
                first, first_function = owner
                problems.append(
                    Violation(
                        "CORA-R2",
                        f"{route.filename}:{route.line}",
                        f"WebSocket route key {route.key} is already declared by "
                        f"{first.filename}:{first.line} ({first_function.path}); the WebSocket API "
                        "sends a key to exactly one Lambda: remove it from one docstring.",
                    )
                )
            if route.auth not in WEBSOCKET_AUTHORIZERS:
                problems.append(
                    Violation(
                        "CORA-R3",
                        f"{route.filename}:{route.line}",
                        f"{route.key} asks for [auth: {route.auth}]; a WebSocket $connect is "
                        "authorized by the org authorizer (no tag), [auth: iam], or is "
                        "[public: <reason>].",
                    )
                )
        if problems:
            raise CoraValidationError(problems)
        for route in function.routes:
            self.owners.setdefault(route.key, (route, function))

    def _ids_in(self, stack: cdk.Stack) -> tuple[str, str]:
        key = id(stack)
        if key not in self._imported:
            scope = Construct(stack, "OrgWebSocketApiRef")
            self._imported[key] = (
                stack,
                ssm.StringParameter.value_for_string_parameter(scope, self.api_id_parameter),
                ssm.StringParameter.value_for_string_parameter(scope, self.authorizer_id_parameter),
            )
        _stack, api_id, authorizer_id = self._imported[key]
        return api_id, authorizer_id


def missing_connect(routes: Iterable[Route]) -> list[Violation]:
    """CORA-R6, once per file, when the app's WebSocket route keys (``routes``, of every Lambda)
    include no ``$connect``: without it API Gateway accepts every connection unauthenticated."""
    websocket = [route for route in routes if route.is_websocket]
    if not websocket or any(route.key == CONNECT for route in websocket):
        return []
    first_line: dict[str, int] = {}
    for route in websocket:
        first_line[route.filename] = min(route.line, first_line.get(route.filename, route.line))
    keys = ", ".join(sorted({route.key for route in websocket}))
    return [
        Violation(
            "CORA-R6",
            f"{filename}:{line}",
            f"the app declares WebSocket route keys ({keys}) but no Lambda declares $connect, "
            "where API Gateway authorizes a WebSocket connection: add `- $connect - Client "
            "connection` to one of their docstrings (or `[public: <reason>]` if it needs no "
            "authorizer).",
        )
        for filename, line in sorted(first_line.items())
    ]
