"""CORA-R4: every route has an authorizer, or is public with a reason.

A WebSocket API runs its authorizer on ``$connect`` only, so there the rule reads ``$connect``;
the other route keys of a WebSocket API built by the library (metadata ``cora:protocol``
``websocket``) ride the connection ``$connect`` authorized and are not applicable.
"""

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
from cora_constructs.compliance.values import Unresolved, literal_str

AUTHORIZED = ("CUSTOM", "JWT", "AWS_IAM")
NEEDS_AUTHORIZER_ID = ("CUSTOM", "JWT")
PUBLIC_REASON = "cora:publicReason"
PROTOCOL = "cora:protocol"
CONNECT = "$connect"


def check(view: ResourceView) -> Result:
    if view.metadata.get(PROTOCOL) == "websocket" and view.properties.get("RouteKey") != CONNECT:
        return not_applicable("a WebSocket message route: API Gateway authorizes the connection on $connect")
    auth = literal_str(view.properties.get("AuthorizationType"))
    if isinstance(auth, Unresolved):
        return unvalidated(
            f"AuthorizationType is {auth.shape}, known only at deploy time", "Properties/AuthorizationType"
        )
    key = view.properties.get("RouteKey")
    route = key if isinstance(key, str) else view.path
    if auth in AUTHORIZED:
        if auth in NEEDS_AUTHORIZER_ID and view.properties.get("AuthorizerId") is None:
            return non_compliant(
                f"route {route} has AuthorizationType {auth} but no AuthorizerId", "Properties/AuthorizerId"
            )
        return compliant()
    reason = view.metadata.get(PUBLIC_REASON)
    if isinstance(reason, str) and reason.strip():
        return compliant()
    return non_compliant(
        f"route {route} has no authorizer (AuthorizationType {auth or 'NONE'}) and no public reason",
        "Properties/AuthorizationType",
    )


RULE = Rule(
    id="CORA-R4",
    reason="An authorizer on every route (on a WebSocket API, on $connect): a route is public only "
    "when its docstring says why.",
    fix="Let ApiRoutes attach the org authorizer (the default), name another with [auth: iam], or mark "
    "the route public in the docstring with a reason: `- GET /health - Probe [public: uptime check]`.",
    resource_types=frozenset({"AWS::ApiGatewayV2::Route"}),
    check=check,
)
