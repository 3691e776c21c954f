"""The serve plan: routes followed to functions, layers and authorizers across the two apps
(through their SSM parameters), on the synthesized reference app and on small templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cora_constructs.serve.plan import StackTemplate, build_plan, read_plan
from tests.conftest import ROOT, Synthesized


def test_the_reference_app_routes_reach_their_functions_and_the_org_authorizer(
    reference: Synthesized,
) -> None:
    plan = read_plan(reference.outdir, ROOT)
    assert plan.problems == () and plan.warnings == ()
    by_key = {route.route_key: route for route in plan.routes}
    assert len(by_key) == 20
    health = by_key["GET /health"]
    assert health.authorization == "NONE" and health.authorizer is None
    assert (
        health.function is not None and health.function.function_name == "cora-dev-projects-project-service"
    )
    assert health.function.code_dir == ROOT / "packages/module-projects/backend/lambdas/project_service"
    task = by_key["GET /tasks/{task_id}"]
    assert task.authorization == "CUSTOM" and task.authorizer is not None
    assert task.authorizer.name == "org-authorizer" and task.authorizer.simple_responses
    assert task.authorizer.identity_sources == ()
    authorizer = task.authorizer.function
    assert authorizer is not None and authorizer.function_name == "cora-dev-authorizer-authorizer"
    assert authorizer.environment["JWT_AUDIENCE"] == "cora-api"
    assert by_key["POST /projects/{project_id}/reindex"].authorization == "AWS_IAM"
    assert (task.integration_timeout_ms, task.payload_format_version) == (30_000, "2.0")


def test_every_function_gets_the_org_layer_the_infra_app_builds(reference: Synthesized) -> None:
    plan = read_plan(reference.outdir, ROOT)
    infra_layer = None
    for function in plan.functions.values():
        assert function.problems == ()
        (layer,) = function.layer_dirs
        assert layer.parent == reference.outdir and layer.name.startswith("asset.")
        infra_layer = infra_layer or layer
        assert layer == infra_layer  # the stack app's SSM parameter leads to the infra app's layer
        assert (function.memory_mb, function.timeout_s, function.runtime) == (256, 29, "python3.11")
    tracker = plan.functions["cora-dev-tracker-tracker-api"]
    assert tracker.environment == {"MODULE_NAME": "tracker"}
    assert [u.name for u in tracker.unresolved] == ["TABLE_NAME"]
    assert "AWS::DynamoDB::Table" in tracker.unresolved[0].reason


def template(resources: dict[str, Any], parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"Resources": resources, "Parameters": parameters or {}}


SSM = "AWS::SSM::Parameter::Value<String>"


def stack_app(layer_param: str = "/p/org-layer-arn") -> StackTemplate:
    return StackTemplate(
        "stack",
        template(
            {
                "Fn": {
                    "Type": "AWS::Lambda::Function",
                    "Metadata": {"aws:asset:path": "asset.code", "aws:asset:property": "Code"},
                    "Properties": {
                        "FunctionName": "fn",
                        "Handler": "app.handler",
                        "Layers": [{"Ref": "LayerParam"}],
                        "Environment": {
                            "Variables": {"A": "1", "B": {"Ref": "Bucket"}, "C": {"Ref": "Shared"}}
                        },
                    },
                },
                "Bucket": {"Type": "AWS::S3::Bucket"},
                "Integration": {
                    "Type": "AWS::ApiGatewayV2::Integration",
                    "Properties": {
                        "IntegrationType": "AWS_PROXY",
                        "IntegrationUri": {"Fn::GetAtt": ["Fn", "Arn"]},
                        "PayloadFormatVersion": "2.0",
                        "TimeoutInMillis": 5000,
                    },
                },
                "Route": {
                    "Type": "AWS::ApiGatewayV2::Route",
                    "Properties": {
                        "RouteKey": "ANY /{proxy+}",
                        "AuthorizationType": "NONE",
                        "Target": {"Fn::Join": ["", ["integrations/", {"Ref": "Integration"}]]},
                    },
                },
                "WsApi": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}},
                "WsRoute": {
                    "Type": "AWS::ApiGatewayV2::Route",
                    "Properties": {"ApiId": {"Ref": "WsApi"}, "RouteKey": "$connect"},
                },
            },
            {
                "LayerParam": {"Type": SSM, "Default": layer_param},
                "Shared": {"Type": SSM, "Default": "/p/shared"},
            },
        ),
        Path("/out"),
    )


INFRA = StackTemplate(
    "infra",
    template(
        {
            "Layer": {
                "Type": "AWS::Lambda::LayerVersion",
                "Metadata": {"aws:asset:path": "asset.layer", "aws:asset:property": "Content"},
            },
            "LayerArn": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/p/org-layer-arn", "Value": {"Ref": "Layer"}},
            },
            "SharedValue": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/p/shared", "Value": "literal"},
            },
        }
    ),
    Path("/out"),
)


def test_ssm_parameters_published_in_the_assembly_are_followed() -> None:
    plan = build_plan([stack_app(), INFRA])
    (route,) = plan.routes  # the WebSocket API's route is not an HTTP route
    assert route.route_key == "ANY /{proxy+}" and route.integration_timeout_ms == 5000
    fn = route.function
    assert fn is not None and fn.problems == ()
    assert fn.layer_dirs == (Path("/out/asset.layer"),)
    assert fn.code_dir == Path("/out/asset.code")
    assert fn.environment == {"A": "1", "C": "literal"}
    assert [(u.name, u.reason) for u in fn.unresolved] == [("B", "Bucket (AWS::S3::Bucket) of stack stack")]


def test_a_layer_no_stack_of_the_assembly_publishes_is_a_problem_with_the_fix() -> None:
    plan = build_plan([stack_app("/elsewhere")])
    fn = plan.routes[0].function
    assert fn is not None
    (problem,) = fn.problems
    assert "SSM parameter /elsewhere" in problem and "synthesize both apps" in problem


def test_a_cdk_lambda_authorizer_is_followed_through_its_invocation_uri() -> None:
    stack = StackTemplate(
        "s",
        template(
            {
                "AuthFn": {
                    "Type": "AWS::Lambda::Function",
                    "Metadata": {"aws:asset:path": "asset.auth", "aws:asset:property": "Code"},
                    "Properties": {"Handler": "index.handler", "Runtime": "python3.12", "MemorySize": 512},
                },
                "Auth": {
                    "Type": "AWS::ApiGatewayV2::Authorizer",
                    "Properties": {
                        "Name": "team",
                        "AuthorizerType": "REQUEST",
                        "AuthorizerPayloadFormatVersion": "2.0",
                        "EnableSimpleResponses": True,
                        "IdentitySource": ["$request.header.Authorization"],
                        "AuthorizerUri": {
                            "Fn::Join": [
                                "",
                                [
                                    "arn:",
                                    {"Ref": "AWS::Partition"},
                                    ":apigateway:",
                                    {"Ref": "AWS::Region"},
                                    ":lambda:path/2015-03-31/functions/",
                                    {"Fn::GetAtt": ["AuthFn", "Arn"]},
                                    "/invocations",
                                ],
                            ]
                        },
                    },
                },
                "Integration": {
                    "Type": "AWS::ApiGatewayV2::Integration",
                    "Properties": {
                        "IntegrationType": "AWS_PROXY",
                        "IntegrationUri": {"Fn::GetAtt": ["AuthFn", "Arn"]},
                    },
                },
                "Route": {
                    "Type": "AWS::ApiGatewayV2::Route",
                    "Properties": {
                        "RouteKey": "GET /me",
                        "AuthorizationType": "CUSTOM",
                        "AuthorizerId": {"Ref": "Auth"},
                        "Target": {"Fn::Join": ["", ["integrations/", {"Ref": "Integration"}]]},
                    },
                },
            }
        ),
        Path("/out"),
    )
    (route,) = build_plan([stack]).routes
    assert route.authorizer is not None and route.authorizer.problem is None
    assert route.authorizer.identity_sources == ("$request.header.Authorization",)
    function = route.authorizer.function
    assert function is not None and function.code_dir == Path("/out/asset.auth")
    assert (function.memory_mb, function.timeout_s, function.runtime) == (
        512,
        3,
        "python3.12",
    )  # Lambda's defaults


def test_the_reference_apps_websocket_route_keys_reach_their_function_and_stage(
    reference: Synthesized,
) -> None:
    plan = read_plan(reference.outdir, ROOT)
    by_key = {route.route_key: route for route in plan.websocket_routes}
    assert sorted(by_key) == ["$connect", "$disconnect", "notify", "watch"]
    assert {route.stage for route in plan.websocket_routes} == {"dev"} and plan.websocket_stage == "dev"
    connect = by_key["$connect"]
    assert connect.problem is None and connect.authorization == "CUSTOM" and connect.authorizer is not None
    assert connect.authorizer.function is not None
    assert connect.authorizer.function.function_name == "cora-dev-authorizer-authorizer"
    assert connect.authorizer.identity_sources == ()  # see routes/websocket_api.py: none, on purpose
    assert all(by_key[key].authorization == "NONE" for key in ("$disconnect", "notify", "watch"))
    (function,) = plan.websocket_functions
    assert function.function_name == "cora-dev-notifications-task-notifications"
    assert {u.name for u in function.unresolved} == {"TABLE_NAME", "WEBSOCKET_API_URL"}
    # One authorizer function for both APIs.
    assert [fn.function_name for fn in plan.authorizer_functions] == ["cora-dev-authorizer-authorizer"]


def test_a_websocket_route_without_an_integration_is_a_problem_of_that_key() -> None:
    plan = build_plan([stack_app(), INFRA])
    (route,) = plan.websocket_routes
    assert route.route_key == "$connect" and route.function is None and route.stage == "$default"
    assert route.problem is not None and "no integration" in route.problem
