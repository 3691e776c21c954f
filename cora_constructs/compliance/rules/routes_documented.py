"""CORA-R1: every API route's target Lambda declares the route in its docstring."""

from __future__ import annotations

from collections.abc import Mapping

from cora_constructs.compliance.assembly import ResourceView
from cora_constructs.compliance.model import (
    Result,
    Rule,
    compliant,
    non_compliant,
    not_applicable,
    unvalidated,
)


def declared_routes(function: ResourceView) -> set[tuple[str, str]] | None:
    """The ``(METHOD, /path)`` a function's ``cora:routes`` declares, None without the metadata."""
    routes = function.cora("routes")
    if not isinstance(routes, list):
        return None
    return {
        (str(r.get("method", "")).upper(), str(r.get("path", ""))) for r in routes if isinstance(r, Mapping)
    }


def check(view: ResourceView) -> Result:
    route = view.assembly.routes.of(view.stack.name, view.logical_id)
    if route is None or route.not_lambda:
        return not_applicable("the route does not invoke a Lambda")
    if route.target is None:
        return unvalidated(route.unresolved or "the route's target is unknown", "Properties/Target")
    function = view.other(route.target.function)
    if function is None:
        return unvalidated("the route's target function is not in this template", "Properties/Target")
    declared = declared_routes(function)
    if declared is None:
        return non_compliant(
            f"route {route.route_key} invokes {function.path}, which declares no routes (no cora:routes "
            "metadata: not a StandardLambda)",
            "Properties/RouteKey",
        )
    if route.key is None or route.key not in declared:
        return non_compliant(
            f"route {route.route_key} invokes {function.path}, whose docstring does not declare it",
            "Properties/RouteKey",
        )
    return compliant()


RULE = Rule(
    id="CORA-R1",
    reason="Route docstrings are the single source of routes: a route cannot exist in the API without "
    "the docstring of the Lambda it invokes.",
    fix="Declare the route in the handler's docstring (`Routes:` / `- GET /path - Description`) and let "
    "ApiRoutes wire it; remove hand-made HttpRoute / CfnRoute resources.",
    resource_types=frozenset({"AWS::ApiGatewayV2::Route"}),
    check=check,
)
