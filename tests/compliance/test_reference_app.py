"""The reference app is clean under the CORA pack, and under cdk-nag's AwsSolutions and Serverless
packs: fixed where the library can fix, acknowledged with a reason where the org's standard decides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cora_constructs.compliance import aws_packs
from cora_constructs.compliance.engine import check_assembly
from tests.cdk_helpers import ROOT, construct_metadata
from tests.compliance.conftest import NaggedApp
from tests.conftest import Synthesized

pytestmark = pytest.mark.synth

FUNCTIONS = {
    "cora-dev-infra/Authorizer",
    "cora-dev-documents/DocumentApi",
    "cora-dev-projects/ProjectService",
    "cora-dev-notifications/TaskNotifications",
    "cora-dev-tracker/TrackerApi",
    "cora-dev-tracker/TrackerComments",
    "cora-dev-tracker/TrackerDigest",
}
ACKNOWLEDGED = "aws:cdk:acknowledged-rules"


def acknowledgements(cdk_out: Path) -> dict[str, dict[str, str]]:
    """Construct path -> {acknowledged id: reason}, from every stack's metadata in the assembly."""
    found: dict[str, dict[str, str]] = {}
    for path, items in construct_metadata(cdk_out).items():
        for item in items:
            if item["type"] == ACKNOWLEDGED:
                found.setdefault(path.lstrip("/"), {}).update(item["data"])
    return found


# --- the CORA pack -------------------------------------------------------------------------------


def test_reference_assembly_has_no_cora_finding(reference: Synthesized) -> None:
    report = check_assembly(reference.outdir, project_root=ROOT)
    assert report.failures == []
    assert report.unvalidated == []
    assert report.acknowledged == []
    # Every rule ran on the six functions: L5 compared each asset with its source folder.
    l5 = {f.path for f in report.findings if f.rule_id == "CORA-L5"}
    assert {p.removesuffix("/Function/Resource") for p in l5} == FUNCTIONS
    # Explicit log groups with a retention: no LogRetention provider, so no framework function.
    assert report.framework_functions == []


def test_the_synth_ran_the_cora_pack_and_left_its_report(reference: Synthesized) -> None:
    data = json.loads((reference.outdir / "cora-compliance-report.json").read_text())
    assert data["passed"] is True
    assert data["summary"]["stacks"] == 6 and data["summary"]["findings"] == 0
    assert (reference.outdir / "cora-compliance-report.csv").is_file()


# --- AwsSolutions and Serverless ------------------------------------------------------------------


def test_aws_solutions_and_serverless_leave_no_unacknowledged_error(nagged_reference: NaggedApp) -> None:
    assert nagged_reference.error is None, nagged_reference.error
    left = [
        (report["pluginName"], violation["ruleName"], violation["severity"])
        for report in nagged_reference.validation_report["pluginReports"]
        for violation in report["violations"]
    ]
    assert left == []  # not an error, and not a warning either


def test_the_packs_ran_on_the_same_construct_tree(nagged_reference: NaggedApp) -> None:
    import cdk_nag

    for pack in (cdk_nag.AwsSolutionsChecks(), cdk_nag.ServerlessChecks()):
        assert pack.validate_scope(nagged_reference.app).violations == []


def test_without_the_library_the_packs_find_what_it_fixes_and_acknowledges() -> None:
    """A control: the same kind of function in raw CDK fails both packs on exactly the rules the
    library fixes (IAM4, tracing) or acknowledges (L1, latest runtime, DLQ)."""
    import aws_cdk as cdk
    import cdk_nag
    from aws_cdk import aws_lambda as lambda_

    app = cdk.App()
    stack = cdk.Stack(app, "Raw")
    lambda_.Function(
        stack,
        "Fn",
        runtime=lambda_.Runtime.PYTHON_3_11,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return 1\n"),
    )
    found = {
        violation.rule_name.split("[")[0]
        for pack in (cdk_nag.AwsSolutionsChecks(), cdk_nag.ServerlessChecks())
        for violation in pack.validate_scope(app).violations
    }
    assert {
        "AwsSolutions-IAM4",
        "AwsSolutions-L1",
        "Serverless-LambdaDLQ",
        "Serverless-LambdaLatestVersion",
        "Serverless-LambdaTracing",
    } <= found


def test_every_function_acknowledges_the_runtime_and_dlq_with_its_reason(reference: Synthesized) -> None:
    acks = acknowledgements(reference.outdir)
    for function in FUNCTIONS:
        on_function = acks[f"{function}/Function"]
        assert on_function["Annotation::AwsSolutions-L1"] == aws_packs.RUNTIME_REASON
        assert on_function["Annotation::Serverless-LambdaLatestVersion"] == aws_packs.RUNTIME_REASON
        assert "Annotation::Serverless-LambdaDLQ" in on_function
    dlq = {f: acks[f"{f}/Function"]["Annotation::Serverless-LambdaDLQ"] for f in FUNCTIONS}
    assert dlq["cora-dev-infra/Authorizer"] == aws_packs.AUTHORIZER_REASON
    assert dlq["cora-dev-tracker/TrackerDigest"] == aws_packs.NO_ASYNC_INVOKER_REASON
    assert dlq["cora-dev-projects/ProjectService"].startswith("invoked synchronously by the HTTP API (GET ")


def test_the_xray_wildcard_is_one_policy_per_stack_acknowledged_there_only(reference: Synthesized) -> None:
    acks = acknowledgements(reference.outdir)
    stacks = {function.split("/")[0] for function in FUNCTIONS}
    for stack in stacks:
        template = reference.templates[stack]
        policies = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::ManagedPolicy"}
        (policy_id,) = policies
        actions = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
        xray = {"Action": actions, "Effect": "Allow", "Resource": "*"}
        assert policies[policy_id]["Properties"]["PolicyDocument"]["Statement"] == [xray]
        roles = [v for v in template["Resources"].values() if v["Type"] == "AWS::IAM::Role"]
        assert roles and all(r["Properties"]["ManagedPolicyArns"] == [{"Ref": policy_id}] for r in roles)
        assert acks[f"{stack}/CoraXRayWrite"] == {
            "Annotation::AwsSolutions-IAM5[Resource::*]": aws_packs.XRAY_REASON,
            "Annotation::Serverless-LambdaStarPermissions": aws_packs.XRAY_REASON,
        }
    for function in FUNCTIONS:
        # Not on the role: grants in its default policy stay checked.
        assert f"{function}/ServiceRole" not in acks
        assert f"{function}/ServiceRole/Resource" not in acks


def test_only_the_public_route_acknowledges_apig4_with_its_docstring_reason(reference: Synthesized) -> None:
    acks = acknowledgements(reference.outdir)
    apig4 = {path: data for path, data in acks.items() if "Annotation::AwsSolutions-APIG4" in data}
    messages = sorted(path for path in apig4 if "/TaskNotifications/Route" in path)
    # WebSocket message routes: the connection was authorized on $connect, which is not acknowledged
    assert [path.rsplit("/Route", 1)[1][:-6] for path in messages] == [
        "WEBSOCKETDisconnect",
        "WEBSOCKETNotify",
        "WEBSOCKETWatch",
    ]
    assert all("$connect only" in apig4[path]["Annotation::AwsSolutions-APIG4"] for path in messages)
    apig4 = {path: data for path, data in apig4.items() if path not in messages}
    assert list(apig4) == ["cora-dev-projects/ProjectService/RouteGETHealth74fac6"]
    reason = apig4["cora-dev-projects/ProjectService/RouteGETHealth74fac6"]["Annotation::AwsSolutions-APIG4"]
    assert reason.startswith("public by its docstring: ") and "CORA-R4" in reason
    route = reference.templates["cora-dev-projects"]["Resources"]
    public = [
        r
        for r in route.values()
        if r["Type"] == "AWS::ApiGatewayV2::Route" and "cora:publicReason" in r.get("Metadata", {})
    ]
    assert len(public) == 1 and public[0]["Metadata"]["cora:publicReason"].rstrip(".") in reason


def test_the_library_records_acknowledgements_exactly_as_cdk_does() -> None:
    import aws_cdk as cdk
    from constructs import Construct

    assert aws_packs.ACKNOWLEDGED_RULES == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    exceptions = [
        aws_packs.OrgException("AwsSolutions-IAM5[Resource::*]", "no resource-level permissions"),
        aws_packs.OrgException("Serverless-LambdaDLQ", "invoked synchronously"),
    ]
    stack = cdk.Stack(cdk.App(), "S")
    by_cdk, by_library = Construct(stack, "ByCdk"), Construct(stack, "ByLibrary")
    cdk.Validations.of(by_cdk).acknowledge(
        *(cdk.Acknowledgment(id=e.rule_id, reason=e.reason) for e in exceptions)
    )
    aws_packs.acknowledge(by_library, exceptions)

    def recorded(construct: Construct) -> dict[str, str]:
        found: dict[str, str] = {}
        for entry in construct.node.metadata:
            if entry.type == ACKNOWLEDGED:
                found.update(entry.data)
        return found

    assert recorded(by_library) == recorded(by_cdk) != {}


def test_cdk_nag_honours_the_library_s_acknowledgement_and_nothing_more() -> None:
    import aws_cdk as cdk
    import cdk_nag
    from aws_cdk import aws_lambda as lambda_

    app = cdk.App()
    stack = cdk.Stack(app, "Raw")
    fn = lambda_.Function(
        stack,
        "Fn",
        runtime=lambda_.Runtime.PYTHON_3_11,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return 1\n"),
    )
    aws_packs.acknowledge(fn, [aws_packs.OrgException("AwsSolutions-L1", aws_packs.RUNTIME_REASON)])
    found = {v.rule_name.split("[")[0] for v in cdk_nag.AwsSolutionsChecks().validate_scope(app).violations}
    assert "AwsSolutions-L1" not in found
    assert "AwsSolutions-IAM4" in found
