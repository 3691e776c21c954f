"""The logical ids computed in Python are the CDK's own, for the paths the routes use and the
corner cases of the rule (one part, Default, Resource, repeats, long and odd ids)."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from constructs import Construct

from cora_constructs.routes.logical_ids import logical_id, node_unique_id

PATHS: list[tuple[str, ...]] = [
    ("Bucket",),
    ("Fn000", "RouteGETMod000Fn0005ab75d", "Resource"),
    ("Fn000", "RouteGETMod000Fn0005ab75d", "Integration", "Resource"),
    (
        "TrackerApi",
        "RouteGETTasksTaskId3f2a9c",
        "ApiPermission.ApiScoped.cordevtrackerTrackerApiLive1A2B3C4D.cordevtrackerOrgHttpApiRefHttpApi5E6F7A8B",
    ),
    ("Outer", "Default", "Inner"),
    ("Fn", "FnRole", "Role", "Resource"),
    ("my-function", "with_odd.chars", "Resource"),
    ("Default", "Only"),
    ("A" * 150, "B" * 150, "Resource"),
    ("x" * 300,),
]


@pytest.mark.synth
@pytest.mark.parametrize("path", PATHS, ids=lambda p: "/".join(p)[:40])
def test_a_logical_id_is_the_one_the_cdk_allocates(path: tuple[str, ...]) -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "cora-dev-mod000")
    scope: Construct = stack
    for part in path[:-1]:
        scope = Construct(scope, part)
    resource = cdk.CfnResource(scope, path[-1], type="AWS::SNS::Topic")
    assert logical_id(path) == stack.resolve(stack.get_logical_id(resource))
    assert node_unique_id(("cora-dev-mod000", *path)) == cdk.Names.node_unique_id(resource.node)


def test_a_path_of_default_alone_has_no_id() -> None:
    with pytest.raises(ValueError, match="at least one construct id"):
        logical_id(("Default",))
