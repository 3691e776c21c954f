"""What the library fixes rather than acknowledges: tracing on by default (off only with a reason),
a log group per function with a retention and a role that writes only to it, access logs and
throttling on the HTTP API; and the CORA pack attached by CoraApp, so an escape hatch fails synth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from cora_constructs import CoraApp, CoraStack, CoraValidationError, ModuleStack, OrgLayer, StandardLambda
from cora_constructs.compliance.plugin import CoraComplianceError
from cora_constructs.functions.observability import RETENTION_DAYS, TRACING_OFF_METADATA
from cora_constructs.routes.http_api import OrgHttpApi
from tests.cdk_helpers import new_app, read_templates, resources

pytestmark = pytest.mark.synth

HANDLER = '"""Worker - runs on its own."""\n\n\ndef lambda_handler(event, context):\n    return {}\n'
API_HANDLER = '''"""
Orders API - the orders of a team project.

Routes - Orders:
- GET /orders - List orders
"""


def lambda_handler(event, context):
    return {"statusCode": 200}
'''
WORKER = "packages/module-orders/backend/lambdas/worker"


def project_with(root: Path, handler: str = HANDLER, name: str = "worker") -> Path:
    (root / "packages/module-orders/backend/lambdas" / name).mkdir(parents=True)
    (root / "packages/module-orders/backend/lambdas" / name / "lambda_function.py").write_text(handler)
    (root / "cdk.json").write_text('{"app": "python3 app.py"}')
    return root


def stack_of(root: Path, **context: Any) -> CoraStack:
    app = new_app(root / "cdk.out", root, **{"cora:layerCache": str(root / ".cache"), **context})
    return CoraStack(app, "obs-stack", app_kind="stack")


def worker(stack: CoraStack, **options: Any) -> StandardLambda:
    org = OrgLayer.from_ssm(stack, "OrgLayer", parameter_name="/cora/dev/org-layer-arn")
    return StandardLambda(stack, "Worker", source=WORKER, org_layer=org, **options)


def template_of(stack: cdk.Stack) -> dict[str, Any]:
    app = stack.node.root
    assert isinstance(app, cdk.App)
    app.synth()
    return read_templates(Path(app.outdir))[stack.stack_name]


def the(template: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = resources(template, kind).values()
    return found


# --- tracing --------------------------------------------------------------------------------------


def test_tracing_is_active_and_the_role_writes_only_its_log_group(tmp_path: Path) -> None:
    stack = stack_of(project_with(tmp_path))
    worker(stack)
    template = template_of(stack)
    fn = the(template, "AWS::Lambda::Function")["Properties"]
    assert fn["TracingConfig"] == {"Mode": "Active"}
    (log_group_id,) = resources(template, "AWS::Logs::LogGroup")
    assert fn["LoggingConfig"] == {"LogGroup": {"Ref": log_group_id}}
    log_group = template["Resources"][log_group_id]
    assert log_group["Properties"] == {"RetentionInDays": 30}
    assert log_group["DeletionPolicy"] == "Retain"
    role = the(template, "AWS::IAM::Role")["Properties"]
    (policy,) = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        },
    ]
    # X-Ray through the stack's one customer-managed policy, not AWSLambdaBasicExecutionRole.
    (xray_id,) = resources(template, "AWS::IAM::ManagedPolicy")
    assert xray_id.startswith("CoraXRayWrite")
    assert role["ManagedPolicyArns"] == [{"Ref": xray_id}]
    xray = template["Resources"][xray_id]["Properties"]["PolicyDocument"]["Statement"]
    assert xray == [
        {"Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "Effect": "Allow", "Resource": "*"}
    ]
    # CDK did not add a second X-Ray statement to a default policy: there is none at all.
    assert resources(template, "AWS::IAM::Policy") == {}
    assert TRACING_OFF_METADATA not in the(template, "AWS::Lambda::Function")["Metadata"]


def test_tracing_off_without_a_reason_is_refused(tmp_path: Path) -> None:
    stack = stack_of(project_with(tmp_path))
    with pytest.raises(CoraValidationError) as caught:
        worker(stack, tracing=lambda_.Tracing.DISABLED)
    assert caught.value.codes == ("CORA-O1",)
    assert "Tracing.DISABLED" in str(caught.value) and "tracing_off_reason" in str(caught.value)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_blank_reason_is_no_reason(tmp_path: Path, reason: str) -> None:
    stack = stack_of(project_with(tmp_path))
    with pytest.raises(CoraValidationError) as caught:
        worker(stack, tracing=lambda_.Tracing.PASS_THROUGH, tracing_off_reason=reason)
    assert caught.value.codes == ("CORA-O1",)


def test_a_reason_with_tracing_on_is_refused(tmp_path: Path) -> None:
    stack = stack_of(project_with(tmp_path))
    with pytest.raises(CoraValidationError) as caught:
        worker(stack, tracing_off_reason="we do not need it")
    assert caught.value.codes == ("CORA-O1",)
    assert "tracing is ACTIVE" in str(caught.value)


def test_tracing_off_with_a_reason_is_recorded(tmp_path: Path) -> None:
    stack = stack_of(project_with(tmp_path))
    worker(
        stack,
        tracing=lambda_.Tracing.DISABLED,
        tracing_off_reason="  high-volume worker: sampled by the caller ",
    )
    template = template_of(stack)
    fn = the(template, "AWS::Lambda::Function")
    assert fn["Metadata"][TRACING_OFF_METADATA] == "high-volume worker: sampled by the caller"
    assert fn["Metadata"]["cora:source"] == WORKER  # merged with the cora:* intent, not replacing it
    assert "TracingConfig" not in fn["Properties"]
    (policy,) = the(template, "AWS::IAM::Role")["Properties"]["Policies"]
    actions = [s["Action"] for s in policy["PolicyDocument"]["Statement"]]
    assert actions == [["logs:CreateLogStream", "logs:PutLogEvents"]]  # no X-Ray permission
    assert "ManagedPolicyArns" not in the(template, "AWS::IAM::Role")["Properties"]
    assert resources(template, "AWS::IAM::ManagedPolicy") == {}


# --- roles and log groups -------------------------------------------------------------------------


def test_a_role_of_the_callers_is_left_alone(tmp_path: Path) -> None:
    stack = stack_of(project_with(tmp_path))
    role = iam.Role(stack, "TeamRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    function = worker(stack, role=role)
    assert function.function.role is role
    template = template_of(stack)
    (role_id,) = resources(template, "AWS::IAM::Role")
    assert role_id.startswith("TeamRole")
    assert "Policies" not in template["Resources"][role_id]["Properties"]
    fn = the(template, "AWS::Lambda::Function")["Properties"]
    assert fn["TracingConfig"] == {"Mode": "Active"}  # CDK's own tracing: X-Ray in its default policy
    assert fn["LoggingConfig"]["LogGroup"]["Ref"] in resources(template, "AWS::Logs::LogGroup")


def test_log_retention_comes_from_context(tmp_path: Path) -> None:
    stack = stack_of(project_with(tmp_path), **{"cora:logRetentionDays": "14"})
    worker(stack)
    template = template_of(stack)
    assert the(template, "AWS::Logs::LogGroup")["Properties"]["RetentionInDays"] == 14


@pytest.mark.parametrize("days", ["31", "0", "forever", True])
def test_a_retention_cloudwatch_does_not_offer_is_refused(tmp_path: Path, days: object) -> None:
    stack = stack_of(project_with(tmp_path), **{"cora:logRetentionDays": days})
    with pytest.raises(CoraValidationError) as caught:
        worker(stack)
    assert caught.value.codes == ("CORA-O2",)
    assert "cora:logRetentionDays" in str(caught.value) and "3653" in str(caught.value)


def test_every_retention_name_is_one_of_cdks() -> None:
    from aws_cdk import aws_logs as logs

    names = {member.name for member in logs.RetentionDays} - {"INFINITE"}
    assert set(RETENTION_DAYS.values()) == names


# --- the HTTP API's default stage -----------------------------------------------------------------


def api_template(root: Path, **context: Any) -> dict[str, Any]:
    stack = stack_of(root, **context)
    OrgHttpApi(
        stack,
        "Api",
        api_name="obs-api",
        authorizer_arn_parameter="/obs/authorizer-arn",
        api_id_parameter="/obs/api-id",
        authorizer_id_parameter="/obs/authorizer-id",
    )
    return template_of(stack)


def test_the_default_stage_logs_every_request_as_json_and_is_throttled(tmp_path: Path) -> None:
    template = api_template(project_with(tmp_path))
    stage = the(template, "AWS::ApiGatewayV2::Stage")["Properties"]
    assert stage["StageName"] == "$default"
    (log_group_id,) = resources(template, "AWS::Logs::LogGroup")
    assert template["Resources"][log_group_id]["Properties"] == {"RetentionInDays": 30}
    settings = stage["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
    line = json.loads(settings["Format"])
    assert line["requestId"] == "$context.requestId" and line["status"] == "$context.status"
    assert line["authorizerError"] == "$context.authorizer.error"
    assert stage["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50}


def test_throttling_comes_from_context(tmp_path: Path) -> None:
    template = api_template(project_with(tmp_path), **{"cora:throttleBurst": "20", "cora:throttleRate": 10})
    stage = the(template, "AWS::ApiGatewayV2::Stage")["Properties"]
    assert stage["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 20, "ThrottlingRateLimit": 10}


def test_throttling_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CoraValidationError) as caught:
        api_template(project_with(tmp_path), **{"cora:throttleRate": "lots"})
    assert caught.value.codes == ("CORA-O2",)
    assert "cora:throttleRate" in str(caught.value)


# --- CoraApp runs the CORA pack in synth ------------------------------------------------------------


class OverridingModule(ModuleStack):
    """A team's module stack that overrides the runtime after construction (an escape hatch)."""

    def configure_function(self, function: StandardLambda) -> None:
        cfn = function.function.node.default_child
        assert isinstance(cfn, lambda_.CfnFunction)
        cfn.add_property_override("Runtime", "python3.12")


def test_a_runtime_overridden_after_construction_fails_the_synth_with_cora_l2(tmp_path: Path) -> None:
    root = project_with(tmp_path, API_HANDLER, name="orders_api")
    app = new_app(root / "cdk.out", root, app="stack", **{"cora:layerCache": str(root / ".cache")})
    CoraApp(app, module_stacks={"orders": OverridingModule})
    with pytest.raises(CoraComplianceError) as caught:  # a RuntimeError, as CDK's own failure
        app.synth()
    message = str(caught.value)
    assert "CORA-L2: Runtime is python3.12" in message
    assert message.splitlines()[-1] == "2 findings (CORA-L2: 1, CORA-L5: 1)"
    assert "cora-dev-orders/OrdersApi/Function/Resource" in message
    report = json.loads((root / "cdk.out" / "cora-compliance-report.json").read_text())
    failing = {(f["rule_id"], f["path"]) for f in report["findings"] if f["compliance"] == "Non-Compliant"}
    assert ("CORA-L2", "cora-dev-orders/OrdersApi/Function/Resource") in failing
    # L5 compared the final Runtime with the cora:* intent, from the project root CoraApp passed.
    assert ("CORA-L5", "cora-dev-orders/OrdersApi/Function/Resource") in failing


OVERRIDING_APP = """
from aws_cdk import aws_lambda as lambda_
from cora_constructs.apps import ModuleStack, main


class Overriding(ModuleStack):
    def configure_function(self, function):
        function.function.node.default_child.add_property_override("Runtime", "python3.12")


main(module_stacks={"orders": Overriding})
"""


def test_main_prints_a_finding_after_synth_and_exits_1_without_a_traceback(tmp_path: Path) -> None:
    """What `cdk synth` runs (``app.py`` calling ``main()``), in a process of its own."""
    import os
    import subprocess
    import sys

    from tests.cdk_helpers import project_context

    root = project_with(tmp_path, API_HANDLER, name="orders_api")
    (root / "app.py").write_text(OVERRIDING_APP)
    context = project_context(root, app="stack", **{"cora:layerCache": str(root / ".cache")})
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(root / "cdk.out")}
    command = [sys.executable, "app.py"]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("cora: the synthesized templates break the standards (CORA rule pack")
    assert "ERROR CORA-L2: Runtime is python3.12; the org layer is built for python3.11" in lines
    assert lines[-1] == "2 findings (CORA-L2: 1, CORA-L5: 1)"
    assert (root / "cdk.out" / "cora-compliance-report.json").is_file()


def test_an_acknowledgement_on_the_app_itself_is_honoured_after_synth(tmp_path: Path) -> None:
    root = project_with(tmp_path, API_HANDLER, name="orders_api")
    app = new_app(root / "cdk.out", root, app="stack", **{"cora:layerCache": str(root / ".cache")})
    CoraApp(app, module_stacks={"orders": OverridingModule})
    for rule in ("CORA-L2", "CORA-L5"):
        cdk.Validations.of(app).acknowledge(cdk.Acknowledgment(id=rule, reason="runtime trial"))
    app.synth()
    report = json.loads((root / "cdk.out" / "cora-compliance-report.json").read_text())
    acknowledged = {f["rule_id"] for f in report["findings"] if f["compliance"] == "Acknowledged"}
    assert acknowledged == {"CORA-L2", "CORA-L5"}


def test_the_same_app_without_the_override_synthesizes(tmp_path: Path) -> None:
    root = project_with(tmp_path, API_HANDLER, name="orders_api")
    app = new_app(root / "cdk.out", root, app="stack", **{"cora:layerCache": str(root / ".cache")})
    CoraApp(app)
    app.synth()
    report = json.loads((root / "cdk.out" / "cora-compliance-report.json").read_text())
    assert report["passed"] is True
    verdicts = {(f["rule_id"], f["path"]): f["compliance"] for f in report["findings"]}
    assert verdicts[("CORA-L5", "cora-dev-orders/OrdersApi/Function/Resource")] == "Compliant"
