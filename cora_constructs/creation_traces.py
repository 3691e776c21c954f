"""Construct creation stack traces in a Python CDK app: recorded only when they hold the app's
own frames (no CDK import).

aws-cdk-lib records a creation stack trace for every CloudFormation element it makes (metadata
``aws:cdk:creationStack`` in ``cdk.out``, which the CDK CLI prints beside a resource that fails
to deploy). In a Python app the trace is taken inside the CDK's Node process, which sees none of
the app's frames unless jsii sends them along (``JSII_HOST_STACK_TRACES=1``, which ``cdk
--debug`` sets): otherwise every trace reads ``...aws-cdk-lib, jsii runtime...`` and ``(no user
code in 10 frames ...)``. Taking them is not free: about a tenth of a synth of 18 functions on
this project's machine (benchmarks/README.md, "Issue 18, ninth pass").

So :class:`~cora_constructs.apps.CoraApp` turns them off (context
``aws:cdk:disable-creation-stack-traces``) when they would hold nothing, and only then:

- a team that sets the context key itself (in ``cdk.json``'s context or ``cdk.App(context=...)``;
  the CDK CLI refuses ``aws:`` keys given with ``-c``), to either value, keeps its choice;
- with host stack traces on (``JSII_HOST_STACK_TRACES``, ``cdk --debug``) the traces show where
  the app made each construct, and are kept;
- with ``CDK_DEBUG`` set the CDK records them whatever the context says.
"""

from __future__ import annotations

from collections.abc import Mapping

CREATION_TRACES_OFF = "aws:cdk:disable-creation-stack-traces"
"""The CDK's context key (``cxapi.DISABLE_CREATION_STACK_TRACES``)."""

HOST_TRACES_ENV = "JSII_HOST_STACK_TRACES"
"""jsii sends the Python frames of each call to Node when this is ``1``, ``true`` or ``yes``."""


def host_traces_on(environ: Mapping[str, str]) -> bool:
    """Whether jsii sends Python's frames with each call: ``1``, ``true`` or ``yes`` in any case,
    as jsii's runtime reads the variable, and also with spaces around it, which jsii does not
    accept (such a value keeps the traces, which then hold nothing)."""
    return environ.get(HOST_TRACES_ENV, "").strip().lower() in ("1", "true", "yes")


def turn_creation_traces_off(context: Mapping[str, object], environ: Mapping[str, str]) -> bool:
    """Whether the app should set :data:`CREATION_TRACES_OFF`: the team left it unset and the
    traces would hold none of the app's frames."""
    return CREATION_TRACES_OFF not in context and not host_traces_on(environ)
