"""The org's answers to cdk-nag's AwsSolutions and Serverless packs, in one place.

What the packs ask for and the library can give, it gives by construction (HTTP API access logs
and default throttling, X-Ray tracing, one log group per function with a retention, a role that
writes only its own log group). What is left is a decision of the org's standards, acknowledged
here with the reason, through CDK's own mechanism (``Validations.of(scope).acknowledge``), which
cdk-nag 3 honours on the construct and everything below it (recorded as
``Validations.acknowledge`` records it, see :func:`acknowledgement_record`):

========================================  ======================================================
Rule                                      Why it does not apply
========================================  ======================================================
AwsSolutions-L1,                          python3.11 is the org's runtime (CORA-L2): the org
Serverless-LambdaLatestVersion            layer and every dependency are built for it.
Serverless-LambdaDLQ                      API routes and the authorizer are invoked
                                          synchronously: the caller gets the error, and a
                                          dead-letter queue only receives failed asynchronous
                                          invocations. A route-less function has no
                                          asynchronous invoker declared by the library.
AwsSolutions-IAM5[Resource::*],           on each stack's CoraXRayWrite policy only (shared by
Serverless-LambdaStarPermissions          its least-privilege roles): the X-Ray write actions
                                          have no resource-level permissions.
AwsSolutions-APIG4                        on public routes only: the HTTP API authorizes per
                                          route, and a route without an authorizer must say why
                                          in its docstring (CORA-R4 enforces it). On a WebSocket
                                          API, on every route key but ``$connect``: API Gateway
                                          runs a WebSocket authorizer on ``$connect`` only, and
                                          every message rides the connection authorized there.
AwsSolutions-IAM5[Resource::.../          on a WebSocket Lambda's ManageConnections policy:
@connections/*]                           connection ids exist only at run time (the resource is
                                          the stage's connections, nothing wider).
========================================  ======================================================

The library's apps call :func:`acknowledge_org_exceptions` with every StandardLambda they build;
an app written by hand calls it with its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from constructs import IConstruct, Node

from cora_constructs.functions.observability import observed_of
from cora_constructs.functions.standard_lambda import StandardLambda
from cora_constructs.jsii_checks import library_calls
from cora_constructs.routes.http_api import route_construct

RUNTIME_REASON = (
    "python3.11 is the org's runtime, not the latest: the org layer and every function's "
    "dependencies are built for python3.11 manylinux2014_x86_64 (CORA-L2); moving to a newer "
    "runtime is one org decision, made in cora-constructs for every team at once"
)
SYNCHRONOUS_REASON = (
    "invoked synchronously by the HTTP API ({routes}): API Gateway returns the error to the "
    "caller; a dead-letter queue only receives failed asynchronous invocations"
)
AUTHORIZER_REASON = (
    "invoked synchronously by API Gateway as the route authorizer: a failure denies the request; "
    "a dead-letter queue only receives failed asynchronous invocations"
)
NO_ASYNC_INVOKER_REASON = (
    "declares no route, and the library declares no asynchronous invoker for it (no event "
    "source, rule or destination); a module that adds one gives it dead_letter_queue= through "
    "ModuleStack.function_options, which satisfies the rule"
)
XRAY_REASON = (
    "xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, "
    "so Resource is '*' (as in the AWS managed AWSXRayDaemonWriteAccess); the role's other "
    "statement is limited to the function's own log group"
)
WEBSOCKET_MESSAGE_REASON = (
    "a WebSocket route key other than $connect: API Gateway runs WebSocket authorizers on $connect "
    "only, and this route is reached only over a connection $connect authorized (CORA-R4 checks "
    "$connect)"
)
PUBLIC_ROUTE_REASON = (
    "public by its docstring: {reason}. The HTTP API authorizes per route; CORA-R4 requires every "
    "route without an authorizer to give this reason"
)


@dataclass(frozen=True)
class OrgException:
    """One acknowledged rule: the id cdk-nag reports, and why the org standard prevails."""

    rule_id: str
    reason: str


def function_exceptions(function: StandardLambda, *, authorizer: bool = False) -> list[OrgException]:
    """The acknowledgements of a StandardLambda's function resource."""
    found = [
        OrgException("AwsSolutions-L1", RUNTIME_REASON),
        OrgException("Serverless-LambdaLatestVersion", RUNTIME_REASON),
    ]
    observed = observed_of(function)
    if observed is None or not observed.dead_letter:
        if authorizer:
            reason = AUTHORIZER_REASON
        elif function.routes:
            reason = SYNCHRONOUS_REASON.format(routes=", ".join(r.key for r in function.routes))
        else:
            reason = NO_ASYNC_INVOKER_REASON
        found.append(OrgException("Serverless-LambdaDLQ", reason))
    return found


def acknowledge_org_exceptions(
    functions: Iterable[StandardLambda], *, authorizers: Iterable[StandardLambda] = ()
) -> None:
    """Acknowledge, with their reasons, the AwsSolutions and Serverless findings the org's
    standards decide on ``functions`` (and the ``authorizers``), their roles and public routes.

    A few jsii calls per function: the acknowledgements of one construct are made in one call,
    on the construct nodes the StandardLambda already holds.
    """
    with library_calls():  # the library's own values: jsii's type check skipped (jsii_checks)
        _acknowledge_each([*((f, False) for f in functions), *((a, True) for a in authorizers)])


def _acknowledge_each(functions: list[tuple[StandardLambda, bool]]) -> None:
    xray_policies: set[int] = set()
    for function, is_authorizer in functions:
        acknowledge_node(function.function_node, function_exceptions(function, authorizer=is_authorizer))
        observed = observed_of(function)
        policy = observed.xray_policy if observed is not None else None
        if policy is not None and id(policy) not in xray_policies:
            xray_policies.add(id(policy))
            # Once per stack: the policy holds the X-Ray actions only, so the acknowledgement
            # covers nothing else (grants land in each role's default policy, still checked).
            acknowledge(
                policy,
                [
                    OrgException("AwsSolutions-IAM5[Resource::*]", XRAY_REASON),
                    OrgException("Serverless-LambdaStarPermissions", XRAY_REASON),
                ],
            )
        for route in function.routes:
            if route.public_reason:
                reason = PUBLIC_ROUTE_REASON.format(reason=route.public_reason.rstrip("."))
            elif route.is_websocket and route.key != "$connect":
                reason = WEBSOCKET_MESSAGE_REASON
            else:
                continue
            construct = route_construct(function, route)
            if construct is not None:
                acknowledge(construct, [OrgException("AwsSolutions-APIG4", reason)])


ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
"""``cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY``: where CDK records an acknowledgement."""
ANNOTATION_NAMESPACE = "Annotation"
"""The namespace CDK files an id without one under (``Annotation::AwsSolutions-L1``)."""


def acknowledgement_record(exceptions: Iterable[OrgException]) -> dict[str, str]:
    """The metadata ``Validations.of(scope).acknowledge(...)`` records for ``exceptions``."""
    return {f"{ANNOTATION_NAMESPACE}::{e.rule_id}": e.reason for e in exceptions}


def acknowledge(scope: IConstruct, exceptions: Iterable[OrgException]) -> None:
    """Record the acknowledgements as ``Validations.acknowledge`` does, in one metadata entry and
    without a stack trace: ``Validations.acknowledge`` captures two stack traces per rule (the
    acknowledgement, and the acknowledgement of an annotation warning these rules never raise),
    about 7 ms per function at 200 functions, more than the rest of the function's synth."""
    acknowledge_node(scope.node, exceptions)


def acknowledge_node(node: Node, exceptions: Iterable[OrgException]) -> None:
    """:func:`acknowledge` on a construct's ``node`` (one jsii call when the node is at hand)."""
    record = acknowledgement_record(exceptions)
    if record:
        node.add_metadata(ACKNOWLEDGED_RULES, record, stack_trace=False)
