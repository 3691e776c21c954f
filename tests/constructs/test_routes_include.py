"""The routes of a stack written as one CloudFormation include are the resources route
constructs made, under the same logical ids: a stack deployed before keeps every route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from constructs import Construct

from cora_constructs import ApiRoutes, CoraStack, StandardLambda
from cora_constructs.compliance import aws_packs
from cora_constructs.routes import http_api
from cora_constructs.routes.http_api import INCLUDE_ID, INCLUDE_SCOPE_ID, route_construct
from tests.cdk_helpers import new_app, read_templates, resources
from tests.constructs.test_standard_lambda import DEMO, make_project, org_layer, write

pytestmark = pytest.mark.synth

PUBLIC_HANDLER = '''"""
Status API - health and reports.

Routes - Status:
- GET /status/health - Liveness probe [public: load balancer health checks carry no token]
- GET /status/report - The latest report
- POST /status/report/{report_id} - Re-run a report
"""


def lambda_handler(event, context):
    return {"statusCode": 200}
'''
STATUS = "packages/module-status/backend/lambdas/status_api"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project")
    write(root / STATUS / "lambda_function.py", PUBLIC_HANDLER)
    return root


def build(
    project: Path,
    outdir: Path,
    *,
    include: bool,
    nested: bool = False,
    nested_stack: bool = False,
    stage: bool = False,
    team_default: bool = False,
) -> dict[str, Any]:
    """The template of one stack (or of its nested stack) with the demo and status functions,
    their routes included or made one construct at a time (as before the include)."""
    app = new_app(outdir, project)
    stack = CoraStack(cdk.Stage(app, "Prod") if stage else app, "test-stack", app_kind="stack")
    routes = ApiRoutes(api_id_parameter="/t/api", authorizer_id_parameter="/t/auth")
    if team_default:  # a team's own construct named Default in the stack
        cdk.CfnResource(Construct(stack, "Default"), "Queue", type="AWS::SQS::Queue")
    scope: Construct = Construct(stack, "Group") if nested else stack
    if nested_stack:
        scope = cdk.NestedStack(stack, "Functions")
    layer = org_layer(cdk.Stack.of(scope))
    functions = [
        StandardLambda(scope, "Demo", source=DEMO, org_layer=layer),
        StandardLambda(scope, "Status", source=STATUS, org_layer=layer),
    ]
    original = http_api.ApiRoutes._includable
    if not include:
        http_api.ApiRoutes._includable = lambda self, function: False  # type: ignore[method-assign]
    try:
        for function in functions:
            routes.add(function)
    finally:
        http_api.ApiRoutes._includable = original  # type: ignore[method-assign]
    aws_packs.acknowledge_org_exceptions(functions)
    app.synth()
    if nested_stack:
        (template,) = [
            json.loads(path.read_text()) for path in outdir.glob("*Functions*.nested.template.json")
        ]
        return template  # type: ignore[no-any-return]
    if stage:
        (template,) = read_templates(outdir / "assembly-Prod").values()
        return template
    return read_templates(outdir)["test-stack"]


def without_paths(template: dict[str, Any]) -> dict[str, Any]:
    for resource in template["Resources"].values():
        metadata = resource.get("Metadata", {})
        metadata.pop("aws:cdk:path", None)
        if not metadata:
            resource.pop("Metadata", None)
    return template


@pytest.mark.parametrize(
    "where",
    [{}, {"nested": True}, {"nested_stack": True}, {"stage": True}, {"team_default": True}],
    ids=[
        "in the stack",
        "in a construct of the stack",
        "in a nested stack",
        "in a stack of a stage",
        "beside a team construct named Default",
    ],
)
def test_included_routes_are_the_resources_route_constructs_made(
    project: Path, tmp_path: Path, where: dict[str, bool]
) -> None:
    constructs = build(project, tmp_path / "constructs", include=False, **where)
    included = build(project, tmp_path / "included", include=True, **where)
    routes = resources(included, "AWS::ApiGatewayV2::Route").values()
    assert all(f"/{INCLUDE_SCOPE_ID}/" in route["Metadata"]["aws:cdk:path"] for route in routes)
    assert without_paths(included) == without_paths(constructs)
    assert len(resources(included, "AWS::ApiGatewayV2::Route")) == 5
    assert len(resources(included, "AWS::ApiGatewayV2::Integration")) == 2
    assert len(resources(included, "AWS::Lambda::Permission")) == 2


@pytest.mark.parametrize("team_default", [False, True], ids=["alone", "below a team construct named Default"])
def test_included_resources_record_their_construct_path(
    project: Path, tmp_path: Path, team_default: bool
) -> None:
    template = build(project, tmp_path / "out", include=True, team_default=team_default)
    include = "/".join(["test-stack", *[INCLUDE_SCOPE_ID] * (2 if team_default else 1)])
    for kind in ("AWS::ApiGatewayV2::Route", "AWS::ApiGatewayV2::Integration", "AWS::Lambda::Permission"):
        for logical_id, resource in resources(template, kind).items():
            assert resource["Metadata"]["aws:cdk:path"] == f"{include}/{logical_id}"


def test_the_public_route_is_acknowledged_on_its_included_resource(project: Path, tmp_path: Path) -> None:
    template = build(project, tmp_path / "out", include=True)
    (public_id,) = [
        logical_id
        for logical_id, route in resources(template, "AWS::ApiGatewayV2::Route").items()
        if route["Properties"]["AuthorizationType"] == "NONE"
    ]
    metadata = json.loads((tmp_path / "out" / "test-stack.metadata.json").read_text())
    acknowledged = {
        path: entry["data"]
        for path, entries in metadata.items()
        for entry in entries
        if entry["type"] == aws_packs.ACKNOWLEDGED_RULES and "Annotation::AwsSolutions-APIG4" in entry["data"]
    }
    assert list(acknowledged) == [f"/test-stack/{INCLUDE_SCOPE_ID}/{public_id}"]
    reason = acknowledged[f"/test-stack/{INCLUDE_SCOPE_ID}/{public_id}"]["Annotation::AwsSolutions-APIG4"]
    assert "load balancer health checks carry no token" in reason


def test_routes_added_after_a_flush_go_into_a_second_include(project: Path, tmp_path: Path) -> None:
    app = new_app(tmp_path / "out", project)
    stack = CoraStack(app, "test-stack", app_kind="stack")
    routes = ApiRoutes(api_id_parameter="/t/api", authorizer_id_parameter="/t/auth", auto_flush=False)
    layer = org_layer(stack)
    demo = StandardLambda(stack, "Demo", source=DEMO, org_layer=layer)
    assert routes.add(demo) == []
    routes.flush()
    status = StandardLambda(stack, "Status", source=STATUS, org_layer=layer)
    routes.add(status)
    public = next(route for route in status.routes if route.public_reason)
    found = route_construct(status, public)  # the acknowledgements ask: created now
    # The second include is made in the first, also as Default: its resources keep their ids.
    assert found is not None
    assert found.node.path == f"test-stack/{INCLUDE_SCOPE_ID}/{INCLUDE_SCOPE_ID}/{found.node.id}"
    app.synth()
    template = read_templates(tmp_path / "out")["test-stack"]
    routes_of = resources(template, "AWS::ApiGatewayV2::Route")
    assert len(routes_of) == 5
    assert routes_of[found.node.id]["Metadata"]["aws:cdk:path"] == found.node.path
    logical_ids = json.loads((tmp_path / "out" / "test-stack.metadata.json").read_text())
    entries = logical_ids[f"/test-stack/{INCLUDE_SCOPE_ID}/{INCLUDE_SCOPE_ID}"]
    assert [e["data"] for e in entries if e["type"] == "aws:cdk:logicalId"] == [f"{INCLUDE_ID}2"]


def test_without_a_flush_the_routes_are_created_when_the_app_synthesizes(
    project: Path, tmp_path: Path
) -> None:
    app = new_app(tmp_path / "out", project)
    stack = CoraStack(app, "test-stack", app_kind="stack")
    routes = ApiRoutes(api_id_parameter="/t/api", authorizer_id_parameter="/t/auth")
    routes.add(StandardLambda(stack, "Demo", source=DEMO, org_layer=org_layer(stack)))
    assert stack.node.try_find_child(INCLUDE_SCOPE_ID) is None
    app.synth()
    template = read_templates(tmp_path / "out")["test-stack"]
    assert {
        r["Properties"]["RouteKey"] for r in resources(template, "AWS::ApiGatewayV2::Route").values()
    } == {
        "GET /demo",
        "GET /demo/{demo_id}",
    }


def test_a_stack_that_allocates_its_own_logical_ids_keeps_route_constructs(
    project: Path, tmp_path: Path
) -> None:
    class Prefixed(CoraStack):
        def _allocate_logical_id(self, cfn_element: cdk.CfnElement) -> str:
            return "Team" + super()._allocate_logical_id(cfn_element)

    app = new_app(tmp_path / "out", project)
    stack = Prefixed(app, "test-stack", app_kind="stack")
    routes = ApiRoutes(api_id_parameter="/t/api", authorizer_id_parameter="/t/auth")
    demo = StandardLambda(stack, "Demo", source=DEMO, org_layer=org_layer(stack))
    assert len(routes.add(demo)) == 2  # HttpRoute constructs, under the stack's own ids
    app.synth()
    template = read_templates(tmp_path / "out")["test-stack"]
    assert all(k.startswith("Team") for k in resources(template, "AWS::ApiGatewayV2::Route"))


def test_the_template_file_is_removed_once_included(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(http_api.tempfile, "tempdir", str(scratch))
    build(project, tmp_path / "out", include=True)
    assert list(scratch.iterdir()) == []


def test_routes_never_flushed_fail_the_synth(project: Path, tmp_path: Path) -> None:
    app = new_app(tmp_path / "out", project)
    stack = CoraStack(app, "test-stack", app_kind="stack")
    routes = ApiRoutes(api_id_parameter="/t/api", authorizer_id_parameter="/t/auth", auto_flush=False)
    routes.add(StandardLambda(stack, "Demo", source=DEMO, org_layer=org_layer(stack)))
    with pytest.raises(RuntimeError, match=r"CORA-R5 .*call its flush\(\)"):
        app.synth()


def test_an_included_route_can_be_renamed(project: Path, tmp_path: Path) -> None:
    # An included resource's logical id is the one the CDK allocates (it is not overridden), so a
    # rename applies as it does to a route construct's resource.
    from cora_constructs.routes.logical_ids import logical_id
    from cora_constructs.routes.route_template import route_construct_id

    app = new_app(tmp_path / "out", project)
    stack = CoraStack(app, "test-stack", app_kind="stack")
    routes = ApiRoutes(api_id_parameter="/t/api", authorizer_id_parameter="/t/auth")
    demo = StandardLambda(stack, "Demo", source=DEMO, org_layer=org_layer(stack))
    routes.add(demo)
    original = logical_id(("Demo", route_construct_id(demo.routes[0]), "Resource"))
    stack.rename_logical_id(original, "Renamed")
    app.synth()
    routes_of = resources(read_templates(tmp_path / "out")["test-stack"], "AWS::ApiGatewayV2::Route")
    assert "Renamed" in routes_of and original not in routes_of
    assert routes_of["Renamed"]["Properties"]["RouteKey"] == demo.routes[0].key
