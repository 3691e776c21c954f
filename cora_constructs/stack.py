"""CoraStack: a CDK stack that knows which of the two apps it belongs to."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from functools import cache
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from cora_constructs import defaults
from cora_constructs.errors import CoraValidationError
from cora_constructs.jsii_checks import library_calls
from cora_constructs.kept import kept, kept_of, node_of
from cora_constructs.project import ProjectContext

SYNTHESIZED_APPS_METADATA = "cora:synthesized-apps"
"""Construct metadata (in the cloud assembly's manifest.json, never in a template) naming the
apps one synth built, so ``cora manifest`` can tell a partial ``-c app=stack`` assembly from an
app whose other half is gone."""


def record_synthesized_apps(stacks: Iterable[cdk.Stack], apps: Iterable[str]) -> None:
    """Mark the first stack of this synth with the sorted list of apps it built: every stack is
    in the one cloud assembly a synth writes, and its reader takes the first stack that carries
    the mark (one jsii round trip per synth, not one per stack)."""
    first = next(iter(stacks), None)
    if first is not None:
        with library_calls():
            node_of(first).add_metadata(SYNTHESIZED_APPS_METADATA, sorted(set(apps)))


def arn_environment(stack: cdk.Stack) -> tuple[str, str, str]:
    """``(partition, region, account)`` of ``stack``, as ``stack.format_arn`` fills them in: for
    an environment-agnostic CoraStack, the pseudo parameters' tokens (read once per process,
    no round trip per stack); for any other stack, asked of the stack."""
    if getattr(stack, "environment_agnostic", False) is True:
        return _pseudo_parameters()
    return stack.partition, stack.region, stack.account


@cache
def _pseudo_parameters() -> tuple[str, str, str]:
    return cdk.Aws.PARTITION, cdk.Aws.REGION, cdk.Aws.ACCOUNT_ID


def construct_arguments(scope: object, construct_id: object) -> bool:
    """Whether ``(scope, construct_id)`` have the types jsii's check of a construct's ``scope``
    and ``id`` asks for (when they do, the library may skip that check)."""
    return isinstance(scope, Construct) and isinstance(construct_id, str)


_PROJECT = "project context"


def _app_context(scope: Construct) -> ProjectContext:
    """The project context of ``scope``, read once per ``cdk.App`` (each read is a jsii round trip)."""
    if not isinstance(scope, cdk.App):
        return ProjectContext.of(scope)
    return kept(scope, _PROJECT, lambda: ProjectContext.of(scope))


def remember_app_context(app: cdk.App, context: Mapping[str, Any]) -> None:
    """The app's project, from the context its caller already read (saves reading it again)."""
    kept_of(app)[_PROJECT] = ProjectContext.from_context(context)


def project_of(scope: Construct) -> ProjectContext:
    """The project ``scope`` belongs to: its CoraStack's (a plain Python attribute; for a nested
    stack, the CoraStack it is nested in), the app's (read once per app), or, for any other
    construct, read from context."""
    if isinstance(scope, cdk.App):
        return _app_context(scope)
    stack: cdk.Stack | None = scope if isinstance(scope, cdk.Stack) else cdk.Stack.of(scope)
    # A nested stack's app is the CoraStack's it is nested in (any other stack has no parent).
    while stack is not None:
        project = getattr(stack, "project", None)
        if isinstance(project, ProjectContext):
            return project
        stack = stack.nested_stack_parent
    return ProjectContext.of(scope)


class CoraStack(cdk.Stack):
    """A stack of the ``stack`` app (functional modules) or the ``infra`` app (authorizer, layer).

    Every :class:`~cora_constructs.StandardLambda` inside it records the app in its metadata,
    and refuses sources that belong to the other app (the two-repo rule).

    :param app_kind: ``"stack"`` or ``"infra"``.
    :param kwargs: any :class:`aws_cdk.StackProps`; ``stack_name`` defaults to the construct id.
    """

    def __init__(self, scope: Construct, construct_id: str, *, app_kind: str, **kwargs: Any) -> None:
        if app_kind not in defaults.APP_KINDS:
            raise CoraValidationError.single(
                "CORA-A0",
                construct_id,
                f"app_kind {app_kind!r} is not one of {', '.join(defaults.APP_KINDS)}: "
                "pass app_kind='stack' for functional modules or 'infra' for the authorizer and layer.",
            )
        kwargs.setdefault("stack_name", construct_id)
        # jsii's runtime check of the stack's props (14 typeguard checks) only for a caller's own
        # props: a stack the library makes with its name alone is built with checked strings.
        own = set(kwargs) == {"stack_name"} and isinstance(kwargs["stack_name"], str)
        with library_calls() if own and construct_arguments(scope, construct_id) else nullcontext():
            super().__init__(scope, construct_id, **kwargs)
        self.stage: cdk.Stage | None = scope if isinstance(scope, cdk.Stage) else None
        """The app (or stage) the stack was created in, when its scope is one."""
        self.construct_path: str | None = construct_id if isinstance(scope, cdk.App) else None
        """The stack's construct path, when known without asking Node (made in the app)."""
        self.environment_agnostic = isinstance(scope, cdk.App) and kwargs.get("env") is None
        """Made in the app without ``env``: its partition, region and account are CloudFormation's
        pseudo parameters (what the CDK gives a stack no environment was given to)."""
        self.app_kind = app_kind
        # Context is fixed once an app has children, so the app's is read once and shared.
        self.project = dataclasses.replace(_app_context(scope), app=app_kind)

    @property
    def stack_node(self) -> Any:
        """The stack's construct node, fetched on first use and kept: every read of ``node`` is
        a round trip into the CDK's Node process."""
        return node_of(self)
