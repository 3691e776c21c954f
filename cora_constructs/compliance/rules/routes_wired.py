"""CORA-R2: every route a Lambda's docstring declares is wired to that Lambda in the API."""

from __future__ import annotations

from cora_constructs.compliance.assembly import ResourceView
from cora_constructs.compliance.model import (
    Result,
    Rule,
    compliant,
    non_compliant,
    not_applicable,
    unvalidated,
)
from cora_constructs.compliance.rules.routes_documented import declared_routes
from cora_runtime.routes import WEBSOCKET


def check(view: ResourceView) -> Result:
    declared = declared_routes(view)
    if not declared:
        return not_applicable("the function declares no routes")
    index = view.assembly.routes
    wired = {route.key for route in index.reaching(view.stack.name, view.logical_id)}
    missing = sorted(declared - wired, key=lambda key: (key[1], key[0]))
    if not missing:
        return compliant()
    elsewhere = [
        f"{route.route_key} ({route.stack} {view.assembly.path_of(route.stack, route.logical_id)})"
        for route in index.routes
        if route.key in missing and route.target is not None
    ]
    shown = ", ".join(path if method == WEBSOCKET else f"{method} {path}" for method, path in missing)
    if elsewhere:
        return non_compliant(
            f"declared route(s) {shown} invoke another function: {', '.join(elsewhere)}",
            "Metadata/cora:routes",
        )
    if index.unresolved:
        return unvalidated(
            f"declared route(s) {shown} reach it through no route that could be followed "
            f"({len(index.unresolved)} route(s) of the assembly have a target that cannot be resolved)",
            "Metadata/cora:routes",
        )
    return non_compliant(f"declared route(s) {shown} are not in the API", "Metadata/cora:routes")


RULE = Rule(
    id="CORA-R2",
    reason="Route docstrings are the single source of routes: a route cannot be in a docstring "
    "without being in the API, wired to that Lambda.",
    fix="Wire the Lambda with ApiRoutes (it adds every docstring route), or remove the route from "
    "the docstring.",
    resource_types=frozenset({"AWS::Lambda::Function"}),
    check=check,
)
