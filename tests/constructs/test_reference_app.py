"""The synthesized reference app keeps every standard (one synth for the whole module)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cora_runtime.routes import parse_file
from tests.cdk_helpers import ROOT, normalise, parameter_name, resources
from tests.conftest import Synthesized

pytestmark = pytest.mark.synth

CORA_KEYS = (
    "cora:module",
    "cora:app",
    "cora:lambda",
    "cora:source",
    "cora:handler",
    "cora:layers",
    "cora:routes",
)


def functions(templates: dict[str, dict[str, Any]]) -> dict[str, tuple[str, dict[str, Any]]]:
    out = {}
    for stack, template in templates.items():
        for logical_id, resource in resources(template, "AWS::Lambda::Function").items():
            out[f"{stack}/{logical_id}"] = (stack, resource)
    return out


def test_both_apps_are_synthesized(reference: Synthesized) -> None:
    assert sorted(reference.templates) == [
        "cora-dev-api",
        "cora-dev-documents",
        "cora-dev-infra",
        "cora-dev-notifications",
        "cora-dev-projects",
        "cora-dev-tracker",
    ]


def test_every_function_runs_python311_with_hashed_code_and_metadata(reference: Synthesized) -> None:
    found = functions(reference.templates)
    assert len(found) == 7  # 6 module Lambdas + the authorizer
    for where, (_stack, fn) in found.items():
        props = fn["Properties"]
        assert props["Runtime"] == "python3.11", where
        assert props["Handler"] == "lambda_function.lambda_handler", where
        assert props["Architectures"] == ["x86_64"], where
        s3_key = props["Code"]["S3Key"]
        assert isinstance(s3_key, str) and s3_key.endswith(".zip") and len(s3_key) == 68, where
        assert fn["Metadata"]["aws:asset:property"] == "Code", where
        for key in CORA_KEYS:
            assert key in fn["Metadata"], (where, key)
        assert fn["Metadata"]["cora:handler"] == "lambda_function.lambda_handler"
        # This repository is cora-constructs itself: the packaged runtime and requirements are
        # folders of the project, so deploys watch them (a team project watches its pins).
        assert fn["Metadata"]["cora:layers"] == ["cora_constructs/org_layer", "cora_runtime"]
        assert "cora:dependencyFiles" not in fn["Metadata"]
        assert (ROOT / fn["Metadata"]["cora:source"] / "lambda_function.py").is_file()


def test_org_layer_is_first_in_every_function(reference: Synthesized) -> None:
    for where, (stack, fn) in functions(reference.templates).items():
        first = fn["Properties"]["Layers"][0]
        if stack == "cora-dev-infra":
            layer = reference.templates[stack]["Resources"][first["Ref"]]
            assert layer["Type"] == "AWS::Lambda::LayerVersion", where
            assert layer["Properties"]["CompatibleRuntimes"] == ["python3.11"]
        else:
            parameter = reference.templates[stack]["Parameters"][first["Ref"]]
            assert parameter == {
                "Type": "AWS::SSM::Parameter::Value<String>",
                "Default": "/cora/dev/org-layer-arn",
            }


def test_function_names_follow_the_convention(reference: Synthesized) -> None:
    names = sorted(fn["Properties"]["FunctionName"] for _s, fn in functions(reference.templates).values())
    assert names == [
        "cora-dev-authorizer-authorizer",
        "cora-dev-documents-document-api",
        "cora-dev-notifications-task-notifications",
        "cora-dev-projects-project-service",
        "cora-dev-tracker-tracker-api",
        "cora-dev-tracker-tracker-comments",
        "cora-dev-tracker-tracker-digest",
    ]


def test_every_function_has_a_live_alias_on_a_retained_version(reference: Synthesized) -> None:
    for stack, template in reference.templates.items():
        fns = resources(template, "AWS::Lambda::Function")
        aliases = resources(template, "AWS::Lambda::Alias")
        versions = resources(template, "AWS::Lambda::Version")
        assert len(aliases) == len(fns) == len(versions), stack
        for alias in aliases.values():
            assert alias["Properties"]["Name"] == "live"
            version_id = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
            assert template["Resources"][version_id]["DeletionPolicy"] == "Retain"
            assert template["Resources"][version_id]["UpdateReplacePolicy"] == "Retain"


def test_a_new_org_layer_version_publishes_a_new_function_version(reference: Synthesized) -> None:
    """The version's description carries the layer ARN: a new ARN (resolved from SSM at deploy
    time in the stack app) changes an immutable property, so CloudFormation publishes a new
    version and the live alias follows it."""
    for stack, template in reference.templates.items():
        for fn_id, fn in resources(template, "AWS::Lambda::Function").items():
            layer = fn["Properties"]["Layers"][0]
            (version,) = [
                v
                for v in resources(template, "AWS::Lambda::Version").values()
                if v["Properties"]["FunctionName"] == {"Ref": fn_id}
            ]
            assert version["Properties"]["Description"] == {"Fn::Join": ["", ["org layer ", layer]]}, stack


def test_infra_app_holds_no_module_code_and_stack_app_no_authorizer(reference: Synthesized) -> None:
    for where, (stack, fn) in functions(reference.templates).items():
        source = fn["Metadata"]["cora:source"]
        if stack == "cora-dev-infra":
            assert fn["Metadata"]["cora:app"] == "infra"
            assert not source.startswith("packages/"), where
        else:
            assert fn["Metadata"]["cora:app"] == "stack"
            assert not source.startswith("lambdas/authorizer"), where


def test_no_cloudformation_exports_between_stacks(reference: Synthesized) -> None:
    for stack, template in reference.templates.items():
        text = str(template)
        assert "Fn::ImportValue" not in text, stack
        for output in template.get("Outputs", {}).values():
            assert "Export" not in output, stack


def test_infra_publishes_layer_and_authorizer_arns_in_ssm(reference: Synthesized) -> None:
    params = resources(reference.templates["cora-dev-infra"], "AWS::SSM::Parameter")
    names = sorted(p["Properties"]["Name"] for p in params.values())
    assert names == ["/cora/dev/authorizer-function-arn", "/cora/dev/org-layer-arn"]


def docstring_routes() -> set[tuple[str, str, str]]:
    out = set()
    for handler in ROOT.glob("packages/module-*/backend/lambdas/*/lambda_function.py"):
        for route in parse_file(str(handler)):
            out.add((route.key, route.auth, Path(handler).parent.name))
    return out


def api_routes(reference: Synthesized) -> dict[str, dict[str, Any]]:
    routes = {}
    for template in reference.templates.values():
        for resource in resources(template, "AWS::ApiGatewayV2::Route").values():
            key = resource["Properties"]["RouteKey"]
            assert key not in routes, f"route {key} wired twice"
            routes[key] = resource
    return routes


def test_api_route_keys_equal_docstring_routes(reference: Synthesized) -> None:
    documented = {key for key, _auth, _lambda in docstring_routes()}
    assert set(api_routes(reference)) == documented
    assert len(documented) >= 12


WEBSOCKET_MESSAGE_KEYS = {"$disconnect", "watch", "notify"}


def test_every_route_is_authorized_or_public_with_a_reason(reference: Synthesized) -> None:
    auth_of = {key: auth for key, auth, _ in docstring_routes()}
    for stack, template in reference.templates.items():
        for resource in resources(template, "AWS::ApiGatewayV2::Route").values():
            props = resource["Properties"]
            key = props["RouteKey"]
            if props["RouteKey"] in WEBSOCKET_MESSAGE_KEYS:  # authorized on $connect: see test_websocket_api
                assert props["AuthorizationType"] == "NONE" and "AuthorizerId" not in props, key
                continue
            if auth_of[key] == "org":
                assert props["AuthorizationType"] == "CUSTOM", key
                parameter = parameter_name(template, props["AuthorizerId"])
                websocket = key == "$connect"
                assert parameter == f"/cora/dev/{'websocket/' if websocket else ''}org-authorizer-id"
                continue
            assert "AuthorizerId" not in props, (stack, key)
            if auth_of[key] == "public":
                assert props["AuthorizationType"] == "NONE", key
                assert resource["Metadata"]["cora:publicReason"], key
            else:
                assert auth_of[key] == "iam"
                assert props["AuthorizationType"] == "AWS_IAM", key


def test_routes_invoke_the_live_alias_with_payload_2(reference: Synthesized) -> None:
    for stack, template in reference.templates.items():
        for integration in resources(template, "AWS::ApiGatewayV2::Integration").values():
            props = integration["Properties"]
            if stack == "cora-dev-notifications":
                continue  # the WebSocket API's integration: see test_websocket_api
            assert props["PayloadFormatVersion"] == "2.0"
            alias_ref = props["IntegrationUri"]["Ref"]
            assert template["Resources"][alias_ref]["Type"] == "AWS::Lambda::Alias", stack


def test_org_authorizer_reaches_cookie_only_requests(reference: Synthesized) -> None:
    api = reference.templates["cora-dev-api"]
    (authorizer,) = [
        a
        for a in resources(api, "AWS::ApiGatewayV2::Authorizer").values()
        if "EnableSimpleResponses" in a["Properties"]
    ]
    props = authorizer["Properties"]
    assert props["AuthorizerType"] == "REQUEST"
    assert props["AuthorizerPayloadFormatVersion"] == "2.0"
    assert props["EnableSimpleResponses"] is True
    # An identity source would make API Gateway answer 401 before the authorizer runs whenever it
    # is absent (a cookie-only request has no Authorization header): none, and no caching.
    assert "IdentitySource" not in props
    assert props["AuthorizerResultTtlInSeconds"] == 0
    uri_parts = props["AuthorizerUri"]["Fn::Join"][1]
    assert parameter_name(api, uri_parts[-2]) == "/cora/dev/authorizer-function-arn"
    assert uri_parts[-1] == "/invocations"


def test_worker_lambda_without_routes_is_a_normal_standard_lambda(reference: Synthesized) -> None:
    tracker = reference.templates["cora-dev-tracker"]
    digest = [
        fn
        for fn in resources(tracker, "AWS::Lambda::Function").values()
        if fn["Metadata"]["cora:lambda"] == "tracker_digest"
    ]
    assert len(digest) == 1 and digest[0]["Metadata"]["cora:routes"] == []


@pytest.mark.parametrize(
    "stack",
    [
        "cora-dev-api",
        "cora-dev-documents",
        "cora-dev-infra",
        "cora-dev-notifications",
        "cora-dev-projects",
        "cora-dev-tracker",
    ],
)
def test_stack_snapshot(reference: Synthesized, stack: str, snapshot: Any) -> None:
    assert normalise(reference.templates[stack]) == snapshot
