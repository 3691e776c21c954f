"""The apps as library code: a team project with no copy of the runtime, the layer or the authorizer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs

from cora_constructs import CoraApp, CoraStack, CoraValidationError, ModuleStack, OrgLayer, StandardLambda
from cora_constructs.apps import ModuleLambda
from tests.cdk_helpers import new_app, read_templates, resources

pytestmark = pytest.mark.synth

HANDLER = '''"""
Orders API - the orders of a team project.

Routes - Orders:
- GET /orders - List orders
- GET /orders/health - Probe [public: uptime check]
"""


def lambda_handler(event, context):
    return {"statusCode": 200}
'''


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def team_project(root: Path, *lambdas: str, module: str = "module-orders") -> Path:
    """A project as a team has it: cdk.json, requirements.txt, module Lambdas; no layers/, no lambdas/."""
    write(root / "cdk.json", '{"app": "python3 app.py"}')
    write(root / "requirements.txt", "cora-constructs\n")
    for name in lambdas or ("order-api",):
        write(root / "packages" / module / "backend" / "lambdas" / name / "lambda_function.py", HANDLER)
    return root


def synth(root: Path, outdir: Path, **options: Any) -> dict[str, dict[str, Any]]:
    context = options.pop("context", {})
    app = new_app(
        outdir, root, **{"cora:project": "shop", "cora:layerCache": str(root / ".cache"), **context}
    )
    CoraApp(app, **options)
    app.synth()
    return read_templates(outdir)


def the_function(template: dict[str, Any]) -> dict[str, Any]:
    """The stack's one StandardLambda (CDK's own custom resource functions, such as the one the
    feature flag ``@aws-cdk/aws-ec2:restrictDefaultSecurityGroup`` adds to a VPC, carry no
    ``cora:*`` metadata)."""
    (fn,) = [
        fn
        for fn in resources(template, "AWS::Lambda::Function").values()
        if "cora:source" in fn.get("Metadata", {})
    ]
    return fn


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    root = team_project(tmp_path_factory.mktemp("team"))
    return synth(root, root / "cdk.out")


class TestTeamProject:
    def test_both_apps_come_from_the_package(self, templates: dict[str, dict[str, Any]]) -> None:
        assert sorted(templates) == ["shop-dev-api", "shop-dev-infra", "shop-dev-orders"]

    def test_the_infra_app_deploys_the_packaged_authorizer(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        metadata = the_function(templates["shop-dev-infra"])["Metadata"]
        assert metadata["cora:source"] == "cora_constructs/authorizer"
        assert metadata["cora:package"].startswith("cora-constructs==")
        # Nothing of the runtime is a folder of the team's project: its pins are what deploys watch.
        assert metadata["cora:layers"] == []
        assert metadata["cora:dependencyFiles"] == ["requirements.txt"]

    def test_module_lambdas_watch_the_pins_of_the_packaged_org_layer(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        fn = the_function(templates["shop-dev-orders"])
        assert fn["Metadata"]["cora:source"] == "packages/module-orders/backend/lambdas/order-api"
        assert fn["Metadata"]["cora:dependencyFiles"] == ["requirements.txt"]
        assert "cora:package" not in fn["Metadata"]
        assert fn["Properties"]["FunctionName"] == "shop-dev-orders-order-api"

    def test_routes_are_behind_the_org_authorizer_unless_public(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        routes = {
            r["Properties"]["RouteKey"]: r["Properties"]["AuthorizationType"]
            for r in resources(templates["shop-dev-orders"], "AWS::ApiGatewayV2::Route").values()
        }
        assert routes == {"GET /orders": "CUSTOM", "GET /orders/health": "NONE"}

    def test_every_function_carries_its_code_hash_tag(self, templates: dict[str, dict[str, Any]]) -> None:
        for template in templates.values():
            for fn in resources(template, "AWS::Lambda::Function").values():
                tags = {t["Key"]: t["Value"] for t in fn["Properties"]["Tags"]}
                assert fn["Properties"]["Code"]["S3Key"] == f"{tags['cora:code-hash']}.zip"


def test_a_project_authorizer_replaces_the_packaged_one(tmp_path: Path) -> None:
    root = team_project(tmp_path / "p")
    write(
        root / "lambdas/authorizer/lambda_function.py",
        '"""Ours."""\n\n\ndef lambda_handler(e, c):\n    return {}\n',
    )
    templates = synth(root, tmp_path / "out", context={"app": "infra"})
    metadata = the_function(templates["shop-dev-infra"])["Metadata"]
    assert metadata["cora:source"] == "lambdas/authorizer"
    assert "cora:package" not in metadata


class Orders(ModuleStack):
    """A team's extension: a queue, an environment variable, and a VPC for one Lambda."""

    def add_resources(self) -> None:
        self.queue = sqs.Queue(self, "Outbox")
        self.vpc = ec2.Vpc(self, "Vpc", max_azs=1, nat_gateways=0)

    def function_environment(self, item: ModuleLambda) -> dict[str, str]:
        return {"OUTBOX_URL": self.queue.queue_url}

    def function_options(self, item: ModuleLambda) -> dict[str, Any]:
        return {"vpc": self.vpc, "tracing": lambda_.Tracing.ACTIVE, "dead_letter_queue": self.queue}

    def configure_function(self, function: StandardLambda) -> None:
        self.queue.grant_send_messages(function.function)


def test_a_module_stack_subclass_adds_resources_environment_and_options(tmp_path: Path) -> None:
    root = team_project(tmp_path / "p", module="module-orders")
    templates = synth(root, tmp_path / "out", module_stacks={"orders": Orders}, context={"app": "stack"})
    orders = templates["shop-dev-orders"]
    assert len(resources(orders, "AWS::SQS::Queue")) == 1
    props = the_function(orders)["Properties"]
    assert set(props["Environment"]["Variables"]) == {"MODULE_NAME", "OUTBOX_URL"}
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert "VpcConfig" in props and "DeadLetterConfig" in props
    assert props["Runtime"] == "python3.11"


def test_the_modules_pattern_is_one_context_key(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write(root / "cdk.json", "{}")
    write(root / "services/billing/functions/invoice-api/lambda_function.py", HANDLER)
    templates = synth(
        root, tmp_path / "out", context={"app": "stack", "cora:modules": "services/*/functions/*"}
    )
    fn = the_function(templates["shop-dev-billing"])
    assert fn["Properties"]["FunctionName"] == "shop-dev-billing-invoice-api"


def test_the_ssm_prefix_is_one_context_key(tmp_path: Path) -> None:
    root = team_project(tmp_path / "p")
    templates = synth(root, tmp_path / "out", context={"app": "stack", "cora:ssmPrefix": "/platform/shop"})
    defaults = {p.get("Default") for p in templates["shop-dev-orders"]["Parameters"].values()}
    assert {"/platform/shop/org-layer-arn", "/platform/shop/http-api-id"} <= defaults


def test_every_problem_of_the_app_is_reported_at_once(tmp_path: Path) -> None:
    root = team_project(tmp_path / "p", "tracker-api", "tracker_api", module="module-tracker")
    write(
        root / "packages/module-docs/backend/lambdas/doc-api/lambda_function.py",
        HANDLER.replace("GET /orders -", "GTE /docs -"),
    )
    write(
        root / "packages/module-billing/backend/lambdas/bill-api/lambda_function.py",
        HANDLER.replace("/orders", "/bills"),
    )
    (root / "packages/module-billing/backend/lambdas/bill-api/_native.so").write_bytes(
        b"\x7fELF" + b"\0" * 60
    )
    app = new_app(tmp_path / "out", root, **{"cora:project": "shop", "app": "stack"})
    with pytest.raises(CoraValidationError) as caught:
        CoraApp(app, module_stacks={"nope": ModuleStack})
    codes = sorted(caught.value.codes)
    assert codes == ["CORA-A3", "CORA-L6", "CORA-L7", "CORA-R1"], str(caught.value)
    report = caught.value.report()
    assert "tracker-api, packages/module-tracker/backend/lambdas/tracker_api" in report
    assert report.splitlines()[-1] == "4 problems (CORA-A3: 1, CORA-L6: 1, CORA-L7: 1, CORA-R1: 1)"


def test_docstring_routes_that_no_api_serves_fail_the_synth(tmp_path: Path) -> None:
    root = team_project(tmp_path / "p")
    app = new_app(tmp_path / "out", root, **{"cora:layerCache": str(tmp_path / "cache")})
    stack = CoraStack(app, "lonely", app_kind="stack")
    StandardLambda(
        stack,
        "Orders",
        source="packages/module-orders/backend/lambdas/order-api",
        org_layer=OrgLayer.from_ssm(stack, "Org", parameter_name="/x/org"),
    )
    with pytest.raises(RuntimeError) as caught:
        app.synth()
    message = str(caught.value)
    assert "CORA-R5 packages/module-orders/backend/lambdas/order-api/lambda_function.py" in message
    assert "cora-dev-orders-order-api declares 2 route(s)" in message
    assert "ApiRoutes(...).add(function)" in message


def test_function_options_pass_through_and_the_standards_stay(tmp_path: Path) -> None:
    root = team_project(tmp_path / "p")
    app = new_app(tmp_path / "out", root)
    stack = CoraStack(app, "opts", app_kind="stack")
    org = OrgLayer.from_ssm(stack, "Org", parameter_name="/x/org")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0)
    source = "packages/module-orders/backend/lambdas/order-api"
    with pytest.raises(CoraValidationError) as caught:
        StandardLambda(
            stack, "Bad", source=source, org_layer=org, runtime=lambda_.Runtime.PYTHON_3_12, vpc=vpc
        )
    assert caught.value.codes == ("CORA-L2",)
    fn = StandardLambda(
        stack,
        "Good",
        source=source,
        org_layer=org,
        vpc=vpc,
        security_groups=[ec2.SecurityGroup(stack, "Sg", vpc=vpc)],
        tracing=lambda_.Tracing.ACTIVE,
        dead_letter_queue=sqs.Queue(stack, "Dlq"),
        ephemeral_storage_size=cdk.Size.mebibytes(1024),
    )
    fn.wired = True  # no API in this test
    app.synth()
    props = the_function(read_templates(tmp_path / "out")["opts"])["Properties"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["EphemeralStorage"] == {"Size": 1024}
    assert len(props["VpcConfig"]["SecurityGroupIds"]) == 1
    assert "DeadLetterConfig" in props
    assert props["Runtime"] == "python3.11" and props["Layers"][0]["Ref"].startswith("SsmParameterValue")


def test_bad_settings_fail_before_anything_is_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = team_project(tmp_path / "shop")
    context = {
        "cora:project": "My Project!",
        "cora:ssmPrefix": "shop/dev",
        "cora:environment": "",
        "cora:jwksUrl": "http://login.shop.example/jwks",
        "cora:throttleBrust": 10,
    }
    app = new_app(tmp_path / "cdk.out", root, **context)
    with pytest.raises(CoraValidationError) as caught:
        CoraApp(app)
    assert caught.value.codes == ("CORA-S1",) * 4
    assert sorted(v.path for v in caught.value.violations) == [
        "cdk context cora:environment",
        "cdk context cora:jwksUrl",
        "cdk context cora:project",
        "cdk context cora:ssmPrefix",
    ]
    assert app.node.children == []  # nothing was built, so nothing reached jsii with the bad name
    assert "did you mean 'cora:throttleBurst'?" in capsys.readouterr().err


def test_a_bad_app_context_is_reported_with_the_settings(tmp_path: Path) -> None:
    root = team_project(tmp_path / "shop")
    app = new_app(tmp_path / "cdk.out", root, app="stak", **{"cora:logRetentionDays": 31})
    with pytest.raises(CoraValidationError) as caught:
        CoraApp(app)
    assert sorted(caught.value.codes) == ["CORA-A4", "CORA-S1"]


def test_the_stack_app_reads_its_org_layer_ahead_in_the_prefetch_thread(tmp_path: Path) -> None:
    # Once the org layer's bundle is cached, the prefetch thread reads its contents (parts,
    # fingerprint, bundle) while the API stack is built; OrgLayer.from_ssm takes them, and they
    # are what the module stack would have read itself.
    from dataclasses import replace

    from cora_constructs.functions import prefetch
    from cora_constructs.kept import kept_of
    from cora_constructs.layers.org_layer import ORG_LAYER_CONTENTS
    from cora_constructs.stack import project_of
    from tests.constructs.test_standard_lambda import make_project

    root = make_project(tmp_path / "project")  # its own org layer, nothing to pip install
    context = {"cora:project": "shop", "cora:layerCache": str(root / ".cache")}
    first = new_app(tmp_path / "one", root, bundle=True, app="stack", **context)
    CoraApp(first)  # builds the org layer's bundle into the cache (nothing read ahead: a miss)
    assert prefetch.of(project_of(first).settings).ahead_result(ORG_LAYER_CONTENTS, lambda: "?") is None
    second = new_app(tmp_path / "two", root, app="stack", **context)
    built = CoraApp(second)
    settings = project_of(second).settings
    read_ahead = prefetch.of(settings).ahead_result(ORG_LAYER_CONTENTS, lambda: None)
    assert read_ahead is not None and read_ahead is kept_of(settings)[("org layer contents", None)]
    # The same as a stack reads without a prefetch thread.
    third = new_app(tmp_path / "three", root, app="stack", **context)
    alone = OrgLayer.from_ssm(CoraStack(third, "alone", app_kind="stack"), "Org", parameter_name="/p")
    module_ref = built.stack.modules["demo"].org_layer if built.stack else None
    assert module_ref is not None
    assert replace(module_ref, layer_version=None, known_arn=None) == replace(
        alone, layer_version=None, known_arn=None
    )
