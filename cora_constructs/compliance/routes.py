"""Every API route of the assembly and the Lambda it reaches (for CORA-R1/R2/R4, CORA-L4).

HTTP routes (``GET /tasks``) and WebSocket route keys (``$connect``, ``chat``) alike: a route
key is read as ``(METHOD, /path)`` or ``(WEBSOCKET, key)``, as the docstring parser reads them.

A route's ``Target`` names an integration (``integrations/<Ref>``); an ``AWS_PROXY`` integration's
``IntegrationUri`` refers to a function, one of its versions or an alias. Only references inside
one template can be followed; anything else is kept as unresolved, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from cora_constructs.compliance.assembly import StackView
from cora_constructs.compliance.values import references, shape
from cora_runtime.routes import split_route_key

ROUTE = "AWS::ApiGatewayV2::Route"
INTEGRATION = "AWS::ApiGatewayV2::Integration"
FUNCTION = "AWS::Lambda::Function"
ALIAS = "AWS::Lambda::Alias"
VERSION = "AWS::Lambda::Version"


@dataclass(frozen=True, slots=True)
class LambdaTarget:
    """The function an integration invokes, and through what: ``alias:<name>``, ``version`` or
    ``function`` (the bare function)."""

    stack: str
    function: str
    via: str


@dataclass(frozen=True, slots=True)
class ApiRoute:
    """One ``AWS::ApiGatewayV2::Route``: ``key`` is ``(METHOD, /path)`` when the route key is a
    literal ``METHOD /path``, ``(WEBSOCKET, key)`` for a WebSocket route key; ``target`` the
    Lambda it reaches; ``unresolved`` why either is
    unknown; ``not_lambda`` when the integration is not a Lambda proxy."""

    stack: str
    logical_id: str
    route_key: str | None
    key: tuple[str, str] | None
    integration: str | None
    target: LambdaTarget | None
    unresolved: str | None
    not_lambda: bool = False


@dataclass
class RouteIndex:
    routes: Sequence[ApiRoute]

    @classmethod
    def build(cls, stacks: Sequence[StackView]) -> RouteIndex:
        return cls([route for stack in stacks for route in routes_of(stack)])

    @cached_property
    def _by_id(self) -> dict[tuple[str, str], ApiRoute]:
        return {(r.stack, r.logical_id): r for r in self.routes}

    @cached_property
    def _by_function(self) -> dict[tuple[str, str], list[ApiRoute]]:
        grouped: dict[tuple[str, str], list[ApiRoute]] = {}
        for r in self.routes:
            if r.target is not None:
                grouped.setdefault((r.target.stack, r.target.function), []).append(r)
        return grouped

    def of(self, stack: str, logical_id: str) -> ApiRoute | None:
        return self._by_id.get((stack, logical_id))

    def reaching(self, stack: str, function: str) -> list[ApiRoute]:
        return self._by_function.get((stack, function), [])

    @property
    def unresolved(self) -> list[ApiRoute]:
        return [r for r in self.routes if r.unresolved is not None and not r.not_lambda]


def routes_of(stack: StackView) -> list[ApiRoute]:
    out = []
    for logical_id, resource in stack.of_type(ROUTE):
        properties = resource.get("Properties")
        properties = properties if isinstance(properties, Mapping) else {}
        route_key = properties.get("RouteKey")
        key = _parse_key(route_key) if isinstance(route_key, str) else None
        integration, target, problem, not_lambda = _follow_target(stack, properties.get("Target"))
        if not isinstance(route_key, str):
            problem = f"RouteKey is {shape(route_key)}, not a literal"
        out.append(
            ApiRoute(
                stack.name,
                logical_id,
                route_key if isinstance(route_key, str) else None,
                key,
                integration,
                target,
                problem,
                not_lambda,
            )
        )
    return out


def _parse_key(route_key: str) -> tuple[str, str] | None:
    return split_route_key(route_key)


def _follow_target(
    stack: StackView, target: object
) -> tuple[str | None, LambdaTarget | None, str | None, bool]:
    if target is None:
        return None, None, "the route has no Target (no integration)", False
    integrations = [ref for ref in references(target) if stack.type_of(ref) == INTEGRATION]
    if not integrations:
        return None, None, f"Target {shape(target)} names no integration of this stack", False
    integration = integrations[0]
    properties = stack.resources[integration].get("Properties")
    properties = properties if isinstance(properties, Mapping) else {}
    kind = properties.get("IntegrationType")
    if isinstance(kind, str) and kind != "AWS_PROXY":
        return integration, None, f"integration {integration} is {kind}, not a Lambda proxy", True
    found = lambda_target(stack, properties.get("IntegrationUri"))
    if found is None:
        uri = shape(properties.get("IntegrationUri"))
        return (
            integration,
            None,
            f"integration {integration} invokes {uri}, not a Lambda of this stack",
            False,
        )
    return integration, found, None, False


def lambda_target(stack: StackView, uri: object) -> LambdaTarget | None:
    """The function a Lambda ARN value refers to in this stack, through an alias or a version."""
    for ref in references(uri):
        kind = stack.type_of(ref)
        if kind == FUNCTION:
            return LambdaTarget(stack.name, ref, "function")
        if kind in (ALIAS, VERSION):
            properties = stack.resources[ref].get("Properties")
            properties = properties if isinstance(properties, Mapping) else {}
            functions = [
                r for r in references(properties.get("FunctionName")) if stack.type_of(r) == FUNCTION
            ]
            if functions:
                name = properties.get("Name")
                via = f"alias:{name}" if kind == ALIAS else "version"
                return LambdaTarget(stack.name, functions[0], via)
    return None
