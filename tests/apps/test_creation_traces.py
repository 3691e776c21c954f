"""Construct creation stack traces: off in a CoraApp unless they would hold the app's frames."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import aws_cdk as cdk
import pytest

from cora_constructs.apps.app import _creation_traces_off_unless_useful
from cora_constructs.creation_traces import CREATION_TRACES_OFF, host_traces_on, turn_creation_traces_off
from tests.cdk_helpers import construct_metadata
from tests.conftest import Synthesized

CREATION_STACK = "aws:cdk:creationStack"


@pytest.mark.parametrize(
    ("context", "environ", "off"),
    [
        ({}, {}, True),
        ({"app": "stack"}, {"JSII_HOST_STACK_TRACES": "0"}, True),
        ({CREATION_TRACES_OFF: False}, {}, False),  # the team wants them
        ({CREATION_TRACES_OFF: True}, {}, False),  # the team set it already
        ({}, {"JSII_HOST_STACK_TRACES": "1"}, False),  # cdk --debug: the traces hold the app's frames
        ({}, {"JSII_HOST_STACK_TRACES": " TRUE "}, False),
        ({}, {"JSII_HOST_STACK_TRACES": "yes"}, False),
    ],
)
def test_traces_are_turned_off_only_when_empty_and_unset(
    context: dict[str, object], environ: dict[str, str], off: bool
) -> None:
    assert turn_creation_traces_off(context, environ) is off


def test_host_traces_read_as_jsii_reads_them() -> None:
    assert not host_traces_on({})
    assert not host_traces_on({"JSII_HOST_STACK_TRACES": "on"})
    assert host_traces_on({"JSII_HOST_STACK_TRACES": "True"})


def metadata_types(outdir: Path) -> Counter[str]:
    """Entry types of every stack's construct metadata in a cloud assembly."""
    return Counter(entry["type"] for entries in construct_metadata(outdir).values() for entry in entries)


@pytest.mark.synth
def test_the_reference_app_records_no_empty_creation_traces(reference: Synthesized) -> None:
    found = metadata_types(reference.outdir)
    assert found["aws:cdk:logicalId"] > 100  # the metadata is written, without the traces
    assert CREATION_STACK not in found


def synth_one_resource(app: cdk.App) -> Counter[str]:
    stack = cdk.Stack(app, "Traced")
    cdk.CfnResource(stack, "Queue", type="AWS::SQS::Queue")
    return metadata_types(Path(app.synth().directory))


@pytest.mark.synth
def test_a_team_that_asks_for_traces_keeps_them(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path), context={CREATION_TRACES_OFF: False})
    _creation_traces_off_unless_useful(app, {CREATION_TRACES_OFF: False})
    assert synth_one_resource(app)[CREATION_STACK] >= 1


@pytest.mark.synth
def test_the_app_without_traces_records_none(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    _creation_traces_off_unless_useful(app, {})
    assert synth_one_resource(app)[CREATION_STACK] == 0


@pytest.mark.synth
def test_an_app_with_constructs_already_keeps_the_default(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    cdk.Stack(app, "MadeFirst")
    _creation_traces_off_unless_useful(app, {})  # context can no longer be set: no error
    assert synth_one_resource(app)[CREATION_STACK] >= 1
