"""What a StandardLambda records about its runs: X-Ray traces, and its own log group.

- **Tracing** is ``ACTIVE`` unless the caller turns it off, and turning it off needs a reason:
  ``tracing=lambda_.Tracing.DISABLED, tracing_off_reason="..."``. The reason is written into the
  function's Metadata as ``cora:tracingOff``; tracing off without one is refused (CORA-O1).
- **Logs** go to a ``logs.LogGroup`` of the function's own, kept ``cora:logRetentionDays`` days
  (default :data:`~cora_constructs.defaults.LOG_RETENTION_DAYS`) and retained when the stack is
  deleted. The log group's name is left to CloudFormation, so it never collides with the
  ``/aws/lambda/<name>`` group Lambda created for an already deployed function.
- **The role**, when the caller passes none, is least privilege: ``logs:CreateLogStream`` and
  ``logs:PutLogEvents`` on that log group (its own policy) and, with tracing active, the two
  X-Ray write actions through the stack's one customer-managed ``CoraXRayWrite`` policy
  (:func:`xray_write_policy`: the actions take no resource, so they are the same for every
  function, and the wildcard is acknowledged once per stack), instead of the AWS managed
  ``AWSLambdaBasicExecutionRole`` (logs on every group of the account). Grants
  (``table.grant_read_write_data(fn.function)``) still land in the role's default policy. A
  ``role=`` of the caller's is left alone; so is the role of a function in a VPC (CDK's, which
  carries the ENI permissions) or with ``log_retention=``.

Two steps, so StandardLambda stays small: :func:`observability` takes the options before the
function exists (and returns them with the role, log group and tracing filled in), and
:meth:`Observed.apply` finishes on the function's CfnFunction once it is built
(:meth:`Observed.metadata` is written with the function's other ``cora:*`` metadata).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cora_constructs import defaults
from cora_constructs.errors import CoraValidationError
from cora_constructs.kept import kept
from cora_constructs.project import ProjectContext

TRACING_OFF_METADATA = "cora:tracingOff"
TRACING_OFF_REASON = "tracing_off_reason"
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
_OBSERVED = "_cora_observed"

# CloudWatch Logs accepts these retentions only (logs.RetentionDays, by its member names).
RETENTION_DAYS: Mapping[int, str] = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1096: "THREE_YEARS",
    1827: "FIVE_YEARS",
    2192: "SIX_YEARS",
    2557: "SEVEN_YEARS",
    2922: "EIGHT_YEARS",
    3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}


@dataclass(frozen=True)
class Observed:
    """What :func:`observability` decided for one function, finished by :meth:`apply`.

    :ivar tracing_off_reason: why tracing is not active (None when it is).
    :ivar role: the least-privilege role built for the function, or None (the caller's, or CDK's).
    :ivar xray_policy: the stack's X-Ray write policy the role carries, or None.
    :ivar log_group: the function's log group (its own, or the caller's ``log_group=``), or None.
    :ivar trace_through_cfn: tracing is set on the CfnFunction, so that CDK does not add the
        X-Ray statement to the role's default policy: the role carries :attr:`xray_policy`.
    :ivar dead_letter: the caller gave the function a dead-letter queue or topic.
    """

    tracing_off_reason: str | None
    role: iam.Role | None
    log_group: logs.ILogGroup | None
    trace_through_cfn: bool
    dead_letter: bool
    xray_policy: iam.ManagedPolicy | None = None

    def apply(self, cfn: lambda_.CfnFunction) -> None:
        """Turn tracing on, once the function exists (one jsii call, none when CDK's ``tracing``
        option already did)."""
        if self.trace_through_cfn:
            cfn.tracing_config = _active_tracing()

    def metadata(self) -> dict[str, object]:
        """What the function's Metadata records of this decision: why tracing is off, if it is
        (written with the function's other ``cora:*`` keys, in one override)."""
        return {} if self.tracing_off_reason is None else {TRACING_OFF_METADATA: self.tracing_off_reason}


def observability(
    scope: Construct, options: dict[str, Any], project: ProjectContext, stack: cdk.Stack
) -> tuple[dict[str, Any], Observed]:
    """Tracing, log group and role for the StandardLambda ``scope`` of ``stack``, from its ``options``.

    ``options`` are the caller's ``aws_lambda.Function`` options; ``tracing_off_reason`` is taken
    out of them. Returns the options to build the function with, and what :meth:`Observed.apply`
    finishes. Raises :class:`CoraValidationError` (CORA-O1, CORA-O2) for tracing off without a
    reason, a reason with tracing on, or a retention CloudWatch Logs does not offer.
    """
    options = dict(options)
    reason = options.pop(TRACING_OFF_REASON, None)
    tracing = options.get("tracing", _tracing_active())
    active = tracing == _tracing_active()
    _check_reason(scope, tracing, active, reason)

    log_group: logs.ILogGroup | None = options.get("log_group")
    if log_group is None and "log_retention" not in options:
        log_group = logs.LogGroup(scope, "LogGroup", retention=log_retention(project))
        options["log_group"] = log_group

    role: iam.Role | None = None
    xray_policy: iam.ManagedPolicy | None = None
    if "role" not in options and "vpc" not in options and log_group is not None:
        statement = {"Effect": "Allow", "Action": list(LOG_ACTIONS), "Resource": log_group.log_group_arn}
        # One jsii call for the document (PolicyStatement objects cost one each, and more).
        document = iam.PolicyDocument.from_json({"Version": "2012-10-17", "Statement": [statement]})
        xray_policy = xray_write_policy(stack) if active else None
        role = iam.Role(
            scope,
            "ServiceRole",
            assumed_by=_lambda_principal(),
            description="Least privilege: writes its function's log group (and X-Ray traces)",
            inline_policies={"cora-observability": document},
            managed_policies=[xray_policy] if xray_policy is not None else None,
        )
        options["role"] = role
    trace_through_cfn = active and role is not None
    if trace_through_cfn:
        options.pop("tracing", None)
    else:
        options["tracing"] = tracing
    text = str(reason).strip() if reason is not None else None
    dead_letter = any(
        options.get(k) for k in ("dead_letter_queue", "dead_letter_topic", "dead_letter_queue_enabled")
    )
    observed = Observed(text, role, log_group, trace_through_cfn, dead_letter, xray_policy)
    setattr(scope, _OBSERVED, observed)  # a plain Python attribute: no jsii round trip
    return options, observed


XRAY_POLICY_ID = "CoraXRayWrite"


def xray_write_policy(stack: cdk.Stack) -> iam.ManagedPolicy:
    """The stack's one customer-managed policy allowing the X-Ray write actions, which support
    no resource-level permissions (``Resource: "*"``, as in the AWS managed
    ``AWSXRayDaemonWriteAccess``). Every least-privilege role of the stack with tracing active
    carries it; made on first use, once per stack (three jsii calls instead of four per role
    to acknowledge the wildcard on each)."""

    def made() -> iam.ManagedPolicy:
        document = iam.PolicyDocument.from_json(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": list(XRAY_ACTIONS), "Resource": "*"}],
            }
        )
        return iam.ManagedPolicy(
            stack,
            XRAY_POLICY_ID,
            description="X-Ray write actions (no resource-level permissions) for the stack's StandardLambdas",
            document=document,
        )

    return kept(stack, XRAY_POLICY_ID, made)


def observed_of(function: Construct) -> Observed | None:
    """What :func:`observability` decided for the StandardLambda ``function``."""
    observed = getattr(function, _OBSERVED, None)
    return observed if isinstance(observed, Observed) else None


def log_retention(project: ProjectContext) -> logs.RetentionDays:
    """The retention of function and API access logs: context ``cora:logRetentionDays``."""
    raw = project.settings.get(defaults.CONTEXT_LOG_RETENTION_DAYS, defaults.LOG_RETENTION_DAYS)
    days = _positive_int(raw)
    if days is None or days not in RETENTION_DAYS:
        raise CoraValidationError.single(
            "CORA-O2",
            f"cdk context {defaults.CONTEXT_LOG_RETENTION_DAYS}",
            f"{raw!r} is not a retention CloudWatch Logs offers: use one of "
            f"{', '.join(str(d) for d in RETENTION_DAYS)} (days).",
        )
    return logs.RetentionDays[RETENTION_DAYS[days]]


def context_number(project: ProjectContext, key: str, default: int) -> int:
    """A non-negative whole number from context ``key`` (e.g. ``cora:throttleBurst``); else CORA-O2."""
    raw = project.settings.get(key, default)
    value = _positive_int(raw, allow_zero=True)
    if value is None:
        raise CoraValidationError.single(
            "CORA-O2",
            f"cdk context {key}",
            f"{raw!r} is not a whole number of requests: set it to a number such as {default}.",
        )
    return value


def _positive_int(raw: object, *, allow_zero: bool = False) -> int | None:
    if isinstance(raw, bool):
        return None
    try:
        value = int(str(raw).strip()) if isinstance(raw, str) else raw
    except ValueError:
        return None
    if not isinstance(value, int) or value < (0 if allow_zero else 1):
        return None
    return value


def _check_reason(scope: Construct, tracing: object, active: bool, reason: object) -> None:
    given = isinstance(reason, str) and bool(reason.strip())
    if active and reason is not None:
        problem = (
            f"tracing_off_reason={reason!r} was given but tracing is ACTIVE: drop the reason, or "
            "turn tracing off with tracing=lambda_.Tracing.DISABLED."
        )
    elif not active and not given:
        problem = (
            f"tracing={_describe(tracing)} turns X-Ray tracing off without a reason: keep the "
            "default (ACTIVE), or say why with tracing_off_reason='...' (it is recorded in the "
            f"function's Metadata as {TRACING_OFF_METADATA})."
        )
    else:
        return
    raise CoraValidationError.single("CORA-O1", scope.node.path, problem)


def _describe(value: object) -> str:
    name = getattr(value, "name", None)
    return f"Tracing.{name}" if isinstance(name, str) else repr(value)


# Each jsii static lookup or object is a round trip to Node: the shared ones are made once.
@cache
def _tracing_active() -> lambda_.Tracing:
    return lambda_.Tracing.ACTIVE


@cache
def _active_tracing() -> lambda_.CfnFunction.TracingConfigProperty:
    return lambda_.CfnFunction.TracingConfigProperty(mode="Active")


@cache
def _lambda_principal() -> iam.ServicePrincipal:
    return iam.ServicePrincipal("lambda.amazonaws.com")
