"""The HTTP routes of one stack as one CloudFormation template, for one ``CfnInclude`` (no CDK
import).

Built one construct at a time, a function's routes cost two round trips into the CDK's Node
process per route (``HttpRouteKey.with_``, ``HttpRoute``) and one per function (the
integration), plus the L2 route's own work in Node. Written here as template resources and
included once per stack, they cost one round trip per stack and one per function (its alias
ARN). The resources are the ones ``HttpRoute`` and ``HttpLambdaIntegration`` make, under the
same logical ids (:mod:`.logical_ids`), so a stack deployed before keeps every route:

- per function, one ``AWS::ApiGatewayV2::Integration`` (``AWS_PROXY``, payload 2.0) on its
  ``live`` alias, and one ``AWS::Lambda::Permission`` for API Gateway to invoke the alias from the
  whole API (``execute-api:<api>/*/*/*``), both where the first route's construct had them;
- per route, one ``AWS::ApiGatewayV2::Route``: the org authorizer (``CUSTOM``), or none for a
  ``[public: <reason>]`` route, whose reason is kept in its Metadata (``cora:publicReason``).

The values the stack knows as tokens (the API id, the authorizer id, the API's ``execute-api``
ARN, each function's alias ARN: :class:`RouteValues`, :attr:`WiredFunction.alias_arn`) are
written into the template as they are: the include keeps each resource as written
(``dehydratedResources``), and the CDK resolves the tokens when it writes the stack's template.
Properties are written in the order the CDK's L1 classes write them (alphabetical), so the
stack's template is the one route constructs gave.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from cora_constructs.routes.logical_ids import logical_id
from cora_runtime.routes import PUBLIC, Route

INTEGRATION_ID = "Integration"
"""The construct id of a function's integration (``HttpLambdaIntegration``'s), under its first route."""
PUBLIC_REASON_METADATA = "cora:publicReason"
PATH_METADATA = "aws:cdk:path"


def route_id(route: Route) -> str:
    """A stable, unique construct id for a route, e.g. ``GETTasksTaskId3f2a9c``."""
    return _route_id_of(route.method, route.path, route.key)


@cache
def _route_id_of(method: str, path: str, key: str) -> str:
    parts = [method]
    for segment in path.strip("/").split("/"):
        cleaned = "".join(ch for ch in segment if ch.isalnum() or ch == "_")
        parts.append(cleaned[:1].upper() + cleaned[1:] if cleaned else "Root")
    if path == "/":
        parts.append("Root")
    # The readable part can collide ({id} vs id); the digest of the route key cannot.
    return "".join(parts) + hashlib.sha256(key.encode()).hexdigest()[:6]


def route_construct_id(route: Route) -> str:
    """The id of a route's construct under its function, e.g. ``RouteGETTasksTaskId3f2a9c``."""
    return f"Route{route_id(route)}"


@dataclass(frozen=True)
class WiredFunction:
    """A StandardLambda whose routes go into the template.

    :ivar path: its construct path below its stack, e.g. ``("TrackerApi",)``.
    :ivar alias_unique_id: ``Names.nodeUniqueId`` of its ``live`` alias (names its permission).
    :ivar routes: its docstring routes (the org authorizer's, or public ones).
    :ivar alias_arn: the ARN of its ``live`` alias (a token), which the integration and the
        permission name.
    """

    path: tuple[str, ...]
    alias_unique_id: str
    routes: tuple[Route, ...]
    alias_arn: str


@dataclass(frozen=True)
class RouteValues:
    """What every route of the stack names (tokens of the stack).

    :ivar api_id: the HTTP API's id.
    :ivar authorizer_id: the org authorizer's id.
    :ivar source_arn: the ARN API Gateway invokes a function from
        (``arn:...:execute-api:<region>:<account>:<api>/*/*/*``).
    """

    api_id: str
    authorizer_id: str
    source_arn: str


@dataclass(frozen=True)
class IncludedRoute:
    """A route of the template: which function (its index), which route, its logical id."""

    function: int
    route: Route
    logical_id: str


def http_routes_template(
    functions: Sequence[WiredFunction],
    values: RouteValues,
    api_unique_id: str,
    include_path: str | None = None,
) -> tuple[dict[str, object], list[IncludedRoute]]:
    """The template of ``functions``' routes, and each route's logical id.

    ``api_unique_id`` is ``Names.nodeUniqueId`` of the imported HTTP API the routes were made on
    (part of each permission's id). ``include_path``: the construct path of the include, given
    when resources record their path (``aws:cdk:path``: the include's resources are at
    ``<include_path>/<logical id>``; the CDK does not add it to included resources)."""
    resources: dict[str, object] = {}
    included: list[IncludedRoute] = []
    for index, function in enumerate(functions):
        if not function.routes:
            continue
        first = route_construct_id(function.routes[0])
        integration = logical_id((*function.path, first, INTEGRATION_ID, "Resource"))
        permission = f"ApiPermission.ApiScoped.{function.alias_unique_id}.{api_unique_id}"
        resources[integration] = {
            **_path(include_path, integration),
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {
                "ApiId": values.api_id,
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": function.alias_arn,
                "PayloadFormatVersion": "2.0",
            },
        }
        permission_id = logical_id((*function.path, first, permission))
        resources[permission_id] = {
            **_path(include_path, permission_id),
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": function.alias_arn,
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": values.source_arn,
            },
        }
        target = {"Fn::Join": ["", ["integrations/", {"Ref": integration}]]}
        for route in function.routes:
            name = logical_id((*function.path, route_construct_id(route), "Resource"))
            resources[name] = _route_resource(
                route, values, target, include_path and f"{include_path}/{name}"
            )
            included.append(IncludedRoute(index, route, name))
    return {"Resources": resources}, included


def _path(include_path: str | None, name: str) -> dict[str, object]:
    return {"Metadata": {PATH_METADATA: f"{include_path}/{name}"}} if include_path else {}


def _route_resource(route: Route, values: RouteValues, target: object, path: str | None) -> dict[str, object]:
    public = route.auth == PUBLIC
    properties: dict[str, object] = {
        "ApiId": values.api_id,
        "AuthorizationType": "NONE" if public else "CUSTOM",
        **({} if public else {"AuthorizerId": values.authorizer_id}),
        "RouteKey": route.key,
        "Target": target,
    }
    metadata: dict[str, object] = {PATH_METADATA: path} if path else {}
    if route.public_reason:
        metadata[PUBLIC_REASON_METADATA] = route.public_reason
    resource: dict[str, object] = {"Type": "AWS::ApiGatewayV2::Route", "Properties": properties}
    if metadata:
        resource["Metadata"] = metadata
    return resource
