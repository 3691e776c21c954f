"""Whether a stack is bundled, answered from the app's context when it cannot differ from the
CDK's own answer, and asked of the CDK otherwise: the same answer either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from cora_constructs import CoraStack
from cora_constructs.functions.standard_lambda import _bundling_required
from tests.cdk_helpers import project_context

pytestmark = pytest.mark.synth


@pytest.mark.parametrize(
    "patterns",
    [None, ["**"], [], ["cora-dev-billing"], ["cora-dev-*"], ["other"], ["**", "other"]],
    ids=str,
)
@pytest.mark.parametrize("in_stage", [False, True], ids=["in the app", "in a stage"])
def test_the_answer_is_the_cdks(tmp_path: Path, patterns: Any, in_stage: bool) -> None:
    context = project_context()
    context.pop("aws:cdk:bundling-stacks", None)
    if patterns is not None:
        context["aws:cdk:bundling-stacks"] = patterns
    app = cdk.App(outdir=str(tmp_path), context=context)
    scope = cdk.Stage(app, "Prod") if in_stage else app
    stack = CoraStack(scope, "cora-dev-billing", app_kind="stack")
    assert _bundling_required(stack) == stack.bundling_required
