"""The API routes of a cloud assembly, as API Gateway will get them (plain JSON, no aws_cdk).

HTTP API routes and WebSocket API route keys alike: a WebSocket route has the method
``WEBSOCKET`` and its key as the path; only ``$connect`` carries an authorizer, the other keys
ride the connection (their auth reads ``via $connect``).

Every ``AWS::ApiGatewayV2::Route`` resource is read with its route key, authorization and the
function its integration invokes (Route ``Target`` -> Integration ``IntegrationUri`` -> the
``live`` alias or the function -> its literal ``FunctionName``, followed by the rule pack's
route index, the one implementation of that walk). :func:`route_table` joins them
with the docstring routes (``cora:routes`` metadata) and lists every disagreement: the route
table is what the API really serves, not what the docstrings wish.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cora_constructs.assembly.model import WEBSOCKET, ProductionLambda

AUTHORIZER = "AWS::ApiGatewayV2::Authorizer"
ORG_AUTHORIZER_NAME = "org-authorizer"
ORG_AUTHORIZER_PARAMETER = "/org-authorizer-id"
CONNECT = "$connect"
VIA_CONNECT = "via $connect"
"""The auth of a WebSocket message route: API Gateway authorizes the connection on ``$connect``."""


@dataclass(frozen=True, slots=True)
class ApiRoute:
    """One route resource: ``auth`` is ``org``, ``public``, ``iam``, ``jwt``, ``custom``, or
    ``via $connect`` for a WebSocket route key other than ``$connect``."""

    stack: str
    construct_path: str
    method: str
    path: str
    auth: str
    public_reason: str | None
    function_name: str | None
    """The function its integration invokes, or None when that cannot be read from the template."""


def read_api_routes(cdk_out: Path) -> list[ApiRoute]:
    """Every HTTP API route resource of the assembly in ``cdk_out``, with the function it reaches
    (followed by the rule pack's route index, :mod:`cora_constructs.compliance.routes`)."""
    from cora_constructs.compliance.assembly import load_assembly
    from cora_constructs.compliance.routes import routes_of

    found: list[ApiRoute] = []
    for stack in load_assembly(cdk_out).stacks:
        for route in routes_of(stack):
            resource = stack.resources[route.logical_id]
            properties = resource.get("Properties")
            properties = properties if isinstance(properties, Mapping) else {}
            metadata = resource.get("Metadata")
            reason = metadata.get("cora:publicReason") if isinstance(metadata, Mapping) else None
            method, path = route.key or ("?", str(route.route_key))
            found.append(
                ApiRoute(
                    stack=stack.name,
                    construct_path=stack.path_of(route.logical_id),
                    method=method,
                    path=path,
                    auth=VIA_CONNECT
                    if method == WEBSOCKET and path != CONNECT
                    else _auth(properties, stack.resources, stack.parameters),
                    public_reason=reason if isinstance(reason, str) else None,
                    function_name=_function_name(stack.resources, route.target.function)
                    if route.target
                    else None,
                )
            )
    return sorted(found, key=lambda r: (r.path, r.method, r.stack, r.construct_path))


def _auth(properties: Mapping[str, Any], resources: Mapping[str, Any], parameters: Mapping[str, Any]) -> str:
    kind = str(properties.get("AuthorizationType") or "NONE").upper()
    if kind == "NONE":
        return "public"
    if kind == "AWS_IAM":
        return "iam"
    if kind == "JWT":
        return "jwt"
    ref = _ref(properties.get("AuthorizerId"))
    default = parameters[ref].get("Default", "") if ref is not None and ref in parameters else ""
    if str(default).endswith(ORG_AUTHORIZER_PARAMETER):
        return "org"
    authorizer = resources.get(ref) if ref else None
    if (
        isinstance(authorizer, Mapping)
        and authorizer.get("Type") == AUTHORIZER
        and (authorizer.get("Properties") or {}).get("Name") == ORG_AUTHORIZER_NAME
    ):
        return "org"
    return "custom"


def _ref(value: object) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("Ref"), str):
        return str(value["Ref"])
    return None


def _function_name(resources: Mapping[str, Any], logical_id: str) -> str | None:
    properties = (resources.get(logical_id) or {}).get("Properties") or {}
    name = properties.get("FunctionName")
    return name if isinstance(name, str) else None


@dataclass(frozen=True, slots=True)
class RouteRow:
    """One route the API serves, with what its Lambda's docstring says of it."""

    path: str
    method: str
    module: str
    lambda_name: str
    function_name: str
    app: str
    stack: str
    auth: str
    public_reason: str | None
    description: str

    @property
    def protocol(self) -> str:
        return "websocket" if self.method == WEBSOCKET else "http"

    @property
    def route_key(self) -> str:
        return self.path if self.method == WEBSOCKET else f"{self.method} {self.path}"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "protocol": self.protocol,
            "route_key": self.route_key,
            "path": self.path,
            "method": self.method,
            "module": self.module,
            "lambda": self.lambda_name,
            "function_name": self.function_name,
            "app": self.app,
            "stack": self.stack,
            "auth": self.auth,
            "public_reason": self.public_reason,
            "description": self.description,
        }

    @property
    def auth_label(self) -> str:
        return f"public ({self.public_reason})" if self.auth == "public" else self.auth


def route_table(
    api_routes: Iterable[ApiRoute], lambdas: Iterable[ProductionLambda]
) -> tuple[list[RouteRow], list[str]]:
    """The rows of every API route resource joined with its function's docstring routes, and
    every disagreement between the two (a route the docstring does not declare, a docstring
    route no API serves, another authorization than the docstring's)."""
    by_name = {fn.function_name: fn for fn in lambdas}
    declared = {(fn.function_name, r.method, r.path): (fn, r) for fn in by_name.values() for r in fn.routes}
    rows: list[RouteRow] = []
    problems: list[str] = []
    served: set[tuple[str, str, str]] = set()
    for route in api_routes:
        fn = by_name.get(route.function_name or "")
        doc = declared.get((route.function_name or "", route.method, route.path))
        key = route.path if route.method == WEBSOCKET else f"{route.method} {route.path}"
        where = f"{key} ({route.stack}, {route.construct_path})"
        if fn is None:
            target = route.function_name or "a target that is not a StandardLambda of this app"
            problems.append(
                f"{where} invokes {target}: no docstring declares it; serve API routes only from "
                "StandardLambda docstrings (ApiRoutes), or remove the route."
            )
        elif doc is None:
            problems.append(
                f"{where} invokes {fn.function_name}, whose docstring ({fn.lambda_dir}) does not declare "
                "it: add the route to the docstring, or remove it from the API."
            )
        else:
            served.add((fn.function_name, route.method, route.path))
            expected = doc[1].auth
            if route.auth != VIA_CONNECT and not _same_auth(expected, route.auth):
                problems.append(
                    f"{where}: the docstring asks for auth {expected!r} but the API route has "
                    f"{route.auth!r}: wire it with ApiRoutes so the route gets the declared authorizer."
                )
        rows.append(
            RouteRow(
                path=route.path,
                method=route.method,
                module=fn.module if fn else "?",
                lambda_name=fn.lambda_name if fn else "?",
                function_name=route.function_name or "?",
                app=fn.app if fn else "?",
                stack=route.stack,
                auth=route.auth,
                public_reason=route.public_reason or (doc[1].public_reason if doc else None),
                description=doc[1].description if doc else "",
            )
        )
    for (name, method, path), (fn, _route) in sorted(declared.items()):
        if (name, method, path) not in served:
            problems.append(
                f"{_route.key} is declared by {fn.lambda_dir} ({name}) but no API route serves it: "
                "wire the function with ApiRoutes(...).add(function) (the library's StackApp does)."
            )
    rows.sort(key=lambda r: (r.method == WEBSOCKET, r.path, r.method, r.function_name))
    return rows, problems


def _same_auth(declared: str, served: str) -> bool:
    if declared in ("org", "public", "iam"):
        return declared == served
    return served in ("custom", "jwt")  # a named authorizer of ApiRoutes(authorizers=...)
