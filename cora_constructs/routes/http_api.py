"""One HTTP API per stack app, with routes wired only from StandardLambda docstrings."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct, IConstruct

from cora_constructs import defaults
from cora_constructs.errors import CoraValidationError, Violation
from cora_constructs.functions.observability import context_number, log_retention
from cora_constructs.functions.standard_lambda import ALIAS_CONSTRUCT_ID, StandardLambda
from cora_constructs.jsii_checks import library_calls, require_str, team_calls
from cora_constructs.kept import kept, node_of
from cora_constructs.project import ProjectContext
from cora_constructs.routes.logical_ids import node_unique_id
from cora_constructs.routes.route_template import (
    INTEGRATION_ID,
    PUBLIC_REASON_METADATA,
    RouteValues,
    WiredFunction,
    http_routes_template,
    route_construct_id,
)
from cora_constructs.stack import arn_environment, project_of
from cora_runtime.routes import DEFAULT_AUTH, PUBLIC, Route

if TYPE_CHECKING:
    from aws_cdk.cloudformation_include import CfnInclude

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
        require_str(
            "OrgHttpApi",
            api_name=api_name,
            authorizer_arn_parameter=authorizer_arn_parameter,
            api_id_parameter=api_id_parameter,
            authorizer_id_parameter=authorizer_id_parameter,
        )
        super().__init__(scope, construct_id)
        # Checked above and below: jsii's runtime check of each call is skipped (jsii_checks).
        with library_calls():
            self._build(scope, api_name, authorizer_arn_parameter, api_id_parameter, authorizer_id_parameter)

    def _build(
        self,
        scope: Construct,
        api_name: str,
        authorizer_arn_parameter: str,
        api_id_parameter: str,
        authorizer_id_parameter: str,
    ) -> None:
        stack = scope if isinstance(scope, cdk.Stack) else cdk.Stack.of(self)
        self.http_api = apigw.HttpApi(self, "HttpApi", api_name=api_name, create_default_stage=True)
        self.access_logs = self._observe_default_stage(project_of(stack))
        api_id = self.http_api.api_id  # one round trip; the token is the same every time
        authorizer_arn = ssm.StringParameter.value_for_string_parameter(self, authorizer_arn_parameter)
        self.authorizer = apigw.CfnAuthorizer(
            self,
            "OrgAuthorizer",
            api_id=api_id,
            name=ORG_AUTHORIZER_NAME,
            authorizer_type="REQUEST",
            authorizer_uri=lambda_invocation_uri(stack, authorizer_arn),
            authorizer_payload_format_version="2.0",
            enable_simple_responses=True,
            authorizer_result_ttl_in_seconds=0,
        )
        authorizer_id = self.authorizer.ref
        allow_authorizer_invoke(stack, self, authorizer_arn, api_id, authorizer_id)
        ssm.StringParameter(self, "ApiIdParameter", parameter_name=api_id_parameter, string_value=api_id)
        ssm.StringParameter(
            self,
            "AuthorizerIdParameter",
            parameter_name=authorizer_id_parameter,
            string_value=authorizer_id,
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

    The routes of the org authorizer and the public routes of a stack are created together, as
    one CloudFormation include (:mod:`~cora_constructs.routes.route_template`): the resources
    ``HttpRoute`` and ``HttpLambdaIntegration`` make, under the same logical ids, in one round
    trip into the CDK's Node process per stack instead of two per route. :meth:`flush` creates
    them; with ``auto_flush`` they are created when the app synthesizes at the latest. Routes of
    ``[auth: iam]`` or a named authorizer are ``HttpRoute`` constructs, made by :meth:`add`.

    :param api_id_parameter: SSM parameter holding the HTTP API id.
    :param authorizer_id_parameter: SSM parameter holding the org authorizer id.
    :param authorizers: named authorizers for ``[auth: <name>]`` tags; ``iam`` is built in.
    :param websocket: where a Lambda declaring WebSocket route keys is wired instead
        (:class:`~cora_constructs.routes.websocket_api.WebSocketRoutes`); None: such a Lambda is
        refused (CORA-R5).
    :param auto_flush: create a stack's pending routes when the app synthesizes (an aspect on
        the stack), if :meth:`flush` was not called before. The library's ``StackApp`` calls
        :meth:`flush` itself and passes False.
    """

    api_id_parameter: str
    authorizer_id_parameter: str
    authorizers: Mapping[str, AuthorizerFactory] = field(default_factory=dict)
    websocket: WebSocketRoutes | None = None
    auto_flush: bool = True
    _owners: dict[str, tuple[Route, StandardLambda]] = field(default_factory=dict, init=False)
    _refs: dict[int, _StackRefs] = field(default_factory=dict, init=False)
    _pending: dict[int, _PendingRoutes] = field(default_factory=dict, init=False)

    def add(self, function: StandardLambda) -> list[Any]:
        """Wire one HTTP API route per docstring route of ``function``, invoking its ``live``
        alias (a Lambda of WebSocket route keys goes to :attr:`websocket`).

        The routes share one integration, and API Gateway gets one permission to invoke the
        alias from this API (source ``execute-api:<api>/*/*/*``), made with the first route:
        one statement in the alias's resource policy however many routes the function serves
        (one per route would outgrow Lambda's 20 KB policy limit at a few dozen routes).

        Returns the ``HttpRoute`` constructs made now: those of a function with an ``[auth:
        iam]`` or named-authorizer route (and the WebSocket routes). The org authorizer's and
        public routes wait for the stack's include (:meth:`flush`); :func:`route_construct`
        finds the resource of any wired route."""
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
        if not function.routes:
            function.wired = True
            return []
        # The library's own values: jsii's type check skipped (a team's authorizer factory runs
        # checked, in _authorizer).
        with library_calls():
            if self._includable(function):
                # Wired once its stack's include is made: a synth before that fails (CORA-R5).
                self._pending_in(function.stack).functions.append(function)
                setattr(function, _INCLUDED_BY, self)
                return []
            function.wired = True
            return self._wire(function)

    def flush(self) -> None:
        """Create the routes added and not created yet: one CloudFormation include per stack."""
        with library_calls():
            for key in list(self._pending):
                self._flush_stack(key)

    def _includable(self, function: StandardLambda) -> bool:
        """Whether ``function``'s routes can go into its stack's include: the org authorizer or
        public routes only, in a stack that allocates logical ids as the CDK does (a stack
        class overriding ``allocate_logical_id`` keeps route constructs)."""
        if any(route.auth not in (DEFAULT_AUTH, PUBLIC) for route in function.routes):
            return False
        allocate = getattr(type(function.stack), "_allocate_logical_id", None)
        return allocate is _CDK_ALLOCATE_LOGICAL_ID

    def _pending_in(self, stack: cdk.Stack) -> _PendingRoutes:
        key = id(stack)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _PendingRoutes(stack)
            if self.auto_flush:
                hook = Construct(stack, f"{INCLUDE_ID}Pending{_count(stack, 'hooks')}")
                cdk.Aspects.of(hook).add(_CreatePendingRoutes(self, key))
        return pending

    def _flush_stack(self, key: int) -> None:
        pending = self._pending.pop(key, None)
        if pending is None or not pending.functions:
            return
        stack = pending.stack
        refs = self._refs_in(stack)
        stack_path = _stack_path(stack)
        api_unique_id = node_unique_id((*stack_path, IMPORT_SCOPE_ID, IMPORTED_API_ID))
        wired = []
        for function in pending.functions:
            below = function.path_below_stack or _path_below(function, stack_path)
            alias = node_unique_id((*stack_path, *below, ALIAS_CONSTRUCT_ID))
            wired.append(WiredFunction(below, alias, function.routes, function.alias.function_arn))
        scope, scope_path = _next_include_scope(stack, stack_path)
        include_path = "/".join((*scope_path, INCLUDE_SCOPE_ID)) if project_of(stack).path_metadata else None
        values = RouteValues(refs.api_id, refs.authorizer_id, execute_api_arn(stack, refs.api_id, "*/*/*"))
        template, included = http_routes_template(wired, values, api_unique_id, include_path)
        include = _include(scope, f"{INCLUDE_ID}{_count(stack, 'includes')}", template)
        for route in included:
            function = pending.functions[route.function]
            _included_routes(function)[route.route.key] = (include, route.logical_id)
        for function in pending.functions:
            function.wired = True

    def _wire(self, function: StandardLambda) -> list[Any]:
        api, org_authorizer = self._api_in(function.stack)
        integration = integrations.HttpLambdaIntegration(
            INTEGRATION_ID,
            function.alias,
            payload_format_version=_payload_v2(),
            scope_permission_to_route=False,
        )
        routes = []
        for route in function.routes:
            http_route = apigw.HttpRoute(
                function,
                route_construct_id(route),
                http_api=api,
                route_key=apigw.HttpRouteKey.with_(route.path, apigw.HttpMethod(route.method)),
                integration=integration,
                authorizer=self._authorizer(route, org_authorizer, function),
            )
            if route.public_reason:
                cfn = http_route.node.default_child
                assert isinstance(cfn, cdk.CfnResource)
                cfn.add_metadata(PUBLIC_REASON_METADATA, route.public_reason)
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

    def _refs_in(self, stack: cdk.Stack) -> _StackRefs:
        """The API and authorizer ids in ``stack``, read from SSM (made once per stack; keyed by
        the Python object, which jsii hands back the same: no round trip to Node)."""
        key = id(stack)
        refs = self._refs.get(key)
        if refs is None:
            # The parameters are the stack's whatever scope asks (CDK makes them in the stack).
            refs = self._refs[key] = _StackRefs(
                ssm.StringParameter.value_for_string_parameter(stack, self.api_id_parameter),
                ssm.StringParameter.value_for_string_parameter(stack, self.authorizer_id_parameter),
            )
        return refs

    def _api_in(self, stack: cdk.Stack) -> tuple[apigw.IHttpApi, apigw.IHttpRouteAuthorizer]:
        """The imported API and org authorizer route constructs are made on (once per stack)."""
        refs = self._refs_in(stack)
        if refs.imported is None:
            # Made only for route constructs (the include names the API by its id alone).
            scope = Construct(stack, IMPORT_SCOPE_ID)
            refs.imported = (
                apigw.HttpApi.from_http_api_attributes(scope, IMPORTED_API_ID, http_api_id=refs.api_id),
                apigw.HttpAuthorizer.from_http_authorizer_attributes(
                    scope, "OrgAuthorizer", authorizer_id=refs.authorizer_id, authorizer_type="CUSTOM"
                ),
            )
        return refs.imported


IMPORT_SCOPE_ID = "OrgHttpApiRef"
IMPORTED_API_ID = "HttpApi"
INCLUDE_ID = "CoraHttpRoutes"
"""The logical id of a stack's routes include (``CoraHttpRoutes``, then ``CoraHttpRoutes2``...
when a stack's routes are flushed more than once); its construct is ``<stack>/Default``, then
``<stack>/Default/Default``... (:data:`INCLUDE_SCOPE_ID`)."""
INCLUDE_SCOPE_ID = "Default"
"""The construct id of every routes include: the CDK leaves ``Default`` out of logical ids, so the
resources kept in ``<stack>/Default/<id>`` have logical id ``<id>``. A stack's own construct
``Default`` (a team's) holds the include below it."""
_INCLUDED_BY = "_cora_included_by"
_INCLUDED_ROUTES = "_cora_included_routes"
_CDK_ALLOCATE_LOGICAL_ID = cdk.Stack._allocate_logical_id


@dataclass
class _StackRefs:
    api_id: str
    authorizer_id: str
    imported: tuple[apigw.IHttpApi, apigw.IHttpRouteAuthorizer] | None = None


@dataclass
class _PendingRoutes:
    stack: cdk.Stack
    functions: list[StandardLambda] = field(default_factory=list)


@jsii.implements(cdk.IAspect)
class _CreatePendingRoutes:
    """Visits one empty construct of the stack when the app synthesizes: creates the stack's
    routes still pending (none when :meth:`ApiRoutes.flush` ran)."""

    def __init__(self, routes: ApiRoutes, key: int) -> None:
        self._routes = routes
        self._key = key

    def visit(self, node: IConstruct) -> None:
        with library_calls():
            self._routes._flush_stack(self._key)


def route_construct(function: StandardLambda, route: Route) -> IConstruct | None:
    """The construct of one of ``function``'s wired routes, to acknowledge a rule on: its
    ``HttpRoute``, or its resource in the stack's routes include (created now if pending).
    None when the route was never wired."""
    routes = getattr(function, _INCLUDED_BY, None)
    if not isinstance(routes, ApiRoutes):
        return function.node.try_find_child(route_construct_id(route))
    with library_calls():
        routes._flush_stack(id(function.stack))
        found = _included_routes(function).get(route.key)
        if found is None:
            return None
        include, logical_id = found
        resource: cdk.CfnResource = include.get_resource(logical_id)
        return resource


def _included_routes(function: StandardLambda) -> dict[str, tuple[CfnInclude, str]]:
    """Route key -> (the include holding it, its logical id), for ``function``'s included routes."""
    found: dict[str, tuple[CfnInclude, str]] | None = getattr(function, _INCLUDED_ROUTES, None)
    if found is None:
        found = {}
        setattr(function, _INCLUDED_ROUTES, found)
    return found


def _count(stack: cdk.Stack, what: str) -> str:
    """``""`` the first time ``what`` is made in ``stack``, then ``"2"``, ``"3"``..."""
    counts: dict[str, int] = kept(stack, "http routes counts", dict)
    counts[what] = counts.get(what, 0) + 1
    return "" if counts[what] == 1 else str(counts[what])


def _stack_path(stack: cdk.Stack) -> tuple[str, ...]:
    """The construct ids from the app (excluded) down to ``stack`` (at most one round trip per
    stack)."""

    def read() -> tuple[str, ...]:
        path = getattr(stack, "construct_path", None)  # a CoraStack made in the app knows it
        if not isinstance(path, str):
            path = node_of(stack).path
        return tuple(part for part in path.split("/") if part)

    return kept(stack, "construct path", read)


def _path_below(function: StandardLambda, stack_path: tuple[str, ...]) -> tuple[str, ...]:
    """``function``'s construct ids below its stack, read from Node (a StandardLambda made in a
    construct of the stack rather than in the stack itself)."""
    parts = tuple(part for part in function.node.path.split("/") if part)
    return parts[len(stack_path) :]


def _next_include_scope(stack: cdk.Stack, stack_path: tuple[str, ...]) -> tuple[Construct, tuple[str, ...]]:
    """Where the stack's next routes include goes, and that scope's construct path: the last of
    the ``Default`` constructs below the stack (the includes made before, a team's construct of
    that name), else the stack. Every include is named ``Default``, an id the CDK leaves out of
    logical ids, so an included resource's logical id is its own construct id."""
    scope: Construct = stack
    path = stack_path
    while (child := node_of(scope).try_find_child(INCLUDE_SCOPE_ID)) is not None:
        scope, path = child, (*path, INCLUDE_SCOPE_ID)
    return scope, path


def _include(scope: Construct, logical_id: str, template: Mapping[str, Any]) -> CfnInclude:
    """``CfnInclude`` of ``template`` in ``scope`` (as construct ``Default``), every resource kept
    as written (``dehydrated_resources``: no L1 class parses it, its tokens resolve when the
    stack's template is written). The template is written to a temporary file for the include to
    read, and removed.

    A kept resource is not renamed by the include (``preserve_logical_ids`` applies to parsed
    ones): its logical id is the one the CDK gives construct ``<stack>/Default/<id>``, which is
    ``<id>``. The include itself writes no resource; ``logical_id`` names it (the CDK has no
    id to give a construct whose path below the stack is only ``Default``)."""
    from aws_cdk import cloudformation_include

    resources = template["Resources"]
    assert isinstance(resources, Mapping)
    handle, name = tempfile.mkstemp(prefix="cora-routes-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(template, file)
        include = cloudformation_include.CfnInclude(
            scope, INCLUDE_SCOPE_ID, template_file=name, dehydrated_resources=list(resources)
        )
    finally:
        Path(name).unlink()
    include.override_logical_id(logical_id)
    return include


@cache
def _payload_v2() -> apigw.PayloadFormatVersion:
    return apigw.PayloadFormatVersion.VERSION_2_0


def lambda_invocation_uri(stack: cdk.Stack, function_arn: str) -> str:
    """API Gateway's URI for invoking the Lambda function ``function_arn`` (an authorizer or an
    integration)."""
    partition, region, _ = arn_environment(stack)
    return f"arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def execute_api_arn(stack: cdk.Stack, api_id: str, resource_name: str) -> str:
    """``stack.format_arn(service="execute-api", resource=api_id, resource_name=...)``, the same
    string, without a round trip for a stack :func:`arn_environment` knows."""
    partition, region, account = arn_environment(stack)
    return f"arn:{partition}:execute-api:{region}:{account}:{api_id}/{resource_name}"


def allow_authorizer_invoke(
    stack: cdk.Stack, scope: Construct, authorizer_arn: str, api_id: str, authorizer_id: str
) -> None:
    """Let API Gateway invoke the org authorizer's function from this API's authorizer only
    (``scope``: where the permission is made, in ``stack``)."""
    lambda_.CfnPermission(
        scope,
        "InvokeOrgAuthorizer",
        action="lambda:InvokeFunction",
        function_name=authorizer_arn,
        principal="apigateway.amazonaws.com",
        source_arn=execute_api_arn(stack, api_id, f"authorizers/{authorizer_id}"),
    )
