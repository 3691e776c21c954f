"""Apps written with raw CDK, synthesized once per session: the bad app `cora check` reads, and
the apps the validation plugin runs in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ELF_X86_64 = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"\x03\x00\x3e\x00" + b"\0" * 44
HANDLER = "def lambda_handler(event, context):\n    return {'statusCode': 200}\n"
MODULE_SOURCE = "packages/module-orders/backend/lambdas/orders"
AUTHORIZER_SOURCE = "lambdas/authorizer"
# What the CDK CLI sets for every synth: construct paths and asset paths in Metadata.
CLI_CONTEXT = {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}


@dataclass(frozen=True)
class BadApp:
    project: Path
    cdk_out: Path


def write_project(root: Path) -> Path:
    """Source folders of a small project: plain code, code with a .so, a module, the authorizer."""
    for folder, files in {
        "src/clean": {"index.py": b"def handler(event, context):\n    return 1\n"},
        "src/native": {"index.py": b"import speedups\n", "speedups.so": ELF_X86_64},
        MODULE_SOURCE: {"lambda_function.py": HANDLER.encode()},
        AUTHORIZER_SOURCE: {"lambda_function.py": HANDLER.encode()},
    }.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (root / folder / name).write_bytes(data)
    (root / "cdk.json").write_text('{"app": "python3 app.py"}\n')
    return root


def cora_intent(fn: Any, *, app: str, source: str, routes: list[dict[str, str]]) -> None:
    """Write the cora:* metadata StandardLambda writes, on a raw function (its intent)."""
    fn.node.default_child.add_override(
        "Metadata",
        {
            "cora:module": source.rsplit("/", 1)[-1],
            "cora:app": app,
            "cora:lambda": source.rsplit("/", 1)[-1],
            "cora:source": source,
            "cora:handler": "lambda_function.lambda_handler",
            "cora:layers": ["layers/org_common"],
            "cora:routes": routes,
        },
    )


@pytest.fixture(scope="session")
def bad_app(tmp_path_factory: pytest.TempPathFactory) -> BadApp:
    """One violation of each rule, written with raw aws_cdk as a team would."""
    import aws_cdk as cdk
    from aws_cdk import aws_apigatewayv2 as apigw
    from aws_cdk import aws_apigatewayv2_authorizers as authorizers
    from aws_cdk import aws_apigatewayv2_integrations as integrations
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_logs as logs
    from aws_cdk import aws_ssm as ssm

    project = write_project(tmp_path_factory.mktemp("bad-project"))
    cdk_out = project / "cdk.out"
    app = cdk.App(outdir=str(cdk_out), context=CLI_CONTEXT)
    stack = cdk.Stack(app, "Bad")
    org_arn = ssm.StringParameter.value_for_string_parameter(stack, "/bad/dev/org-layer-arn")
    org = lambda_.LayerVersion.from_layer_version_arn(stack, "OrgLayer", org_arn)
    py311 = lambda_.Runtime.PYTHON_3_11

    def fn(name: str, folder: str, *, layers: bool = True, **extra: Any) -> lambda_.Function:
        options: dict[str, Any] = {"runtime": py311, "handler": "index.handler"}
        options.update(extra)
        options.setdefault("code", lambda_.Code.from_asset(str(project / folder)))
        return lambda_.Function(stack, name, layers=[org] if layers else None, **options)

    py312 = fn(
        "Py312", "src/clean", runtime=lambda_.Runtime.PYTHON_3_12, log_retention=logs.RetentionDays.ONE_WEEK
    )
    cdk.Validations.of(py312).acknowledge(cdk.Acknowledgment(id="CORA-L2", reason=""))
    fn("Inline", "src/clean", code=lambda_.Code.from_inline("def handler(event, context):\n    return 1\n"))
    fn("NoLayer", "src/clean", layers=False)
    fn("Native", "src/native")
    vendor = fn("Vendor", "src/clean", layers=False)
    cdk.Validations.of(vendor).acknowledge(
        cdk.Acknowledgment(id="CORA-L3", reason="vendor agent: ships its own dependencies")
    )

    handler = "lambda_function.lambda_handler"
    orders = fn("Orders", MODULE_SOURCE, handler=handler)
    cora_intent(
        orders,
        app="infra",
        source=MODULE_SOURCE,
        routes=[{"method": "GET", "path": "/orders", "auth": "org"},
                {"method": "DELETE", "path": "/orders/{order_id}", "auth": "org"}],
    )  # fmt: skip
    api = apigw.HttpApi(stack, "Api", create_default_stage=False)
    to_orders = integrations.HttpLambdaIntegration("OrdersIntegration", orders)
    apigw.HttpRoute(stack, "OrdersGet", http_api=api, integration=to_orders,
                    route_key=apigw.HttpRouteKey.with_("/orders", apigw.HttpMethod.GET))  # fmt: skip
    apigw.HttpRoute(stack, "OrdersPost", http_api=api, integration=to_orders,
                    route_key=apigw.HttpRouteKey.with_("/orders", apigw.HttpMethod.POST),
                    authorizer=authorizers.HttpIamAuthorizer())  # fmt: skip

    retained = lambda_.VersionOptions(removal_policy=cdk.RemovalPolicy.RETAIN)
    authz = fn("Authz", AUTHORIZER_SOURCE, handler=handler, current_version_options=retained)
    lambda_.Alias(stack, "AuthzLive", alias_name="live", version=authz.current_version)
    cora_intent(authz, app="stack", source=AUTHORIZER_SOURCE, routes=[])
    authz.node.default_child.add_property_override("Runtime", "python3.12")
    app.synth()
    return BadApp(project, cdk_out)


@dataclass(frozen=True)
class PluginRun:
    """One synth of an app with the CoraChecks plugin: the error it raised (if any) and its outdir."""

    cdk_out: Path
    error: str | None


def _plugin_app(root: Path, *, override_runtime: bool, beta: bool) -> PluginRun:
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_ssm as ssm

    from cora_constructs.compliance.plugin import CoraChecks

    project = write_project(root)
    cdk_out = project / "cdk.out"
    context = {**CLI_CONTEXT, "cora:projectRoot": str(project)}
    if beta:  # the App property (deprecated in CDK, still honoured)
        app = cdk.App(outdir=str(cdk_out), context=context, policy_validation_beta1=[CoraChecks()])
    else:
        app = cdk.App(outdir=str(cdk_out), context=context)
        cdk.Validations.of(app).add_plugins(CoraChecks())
    stack = cdk.Stack(app, "Plug")
    org_arn = ssm.StringParameter.value_for_string_parameter(stack, "/plug/dev/org-layer-arn")
    org = lambda_.LayerVersion.from_layer_version_arn(stack, "OrgLayer", org_arn)
    fn = lambda_.Function(
        stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_11, handler="lambda_function.lambda_handler",
        code=lambda_.Code.from_asset(str(project / MODULE_SOURCE)), layers=[org],
        current_version_options=lambda_.VersionOptions(removal_policy=cdk.RemovalPolicy.RETAIN),
    )  # fmt: skip
    lambda_.Alias(stack, "Live", alias_name="live", version=fn.current_version)
    cora_intent(fn, app="stack", source=MODULE_SOURCE, routes=[])
    if override_runtime:
        fn.node.default_child.add_property_override("Runtime", "python3.12")
    vendor = lambda_.Function(
        stack, "Vendor", runtime=lambda_.Runtime.PYTHON_3_11, handler="index.handler",
        code=lambda_.Code.from_asset(str(project / "src/clean")),
    )  # fmt: skip
    cdk.Validations.of(vendor).acknowledge(cdk.Acknowledgment(id="CORA-L3", reason="vendor agent"))
    try:
        app.synth()
    except RuntimeError as error:
        return PluginRun(cdk_out, str(error))
    return PluginRun(cdk_out, None)


@pytest.fixture(scope="session")
def plugin_overridden(tmp_path_factory: pytest.TempPathFactory) -> PluginRun:
    """A function with cora intent whose Runtime is overridden to python3.12 after construction."""
    return _plugin_app(tmp_path_factory.mktemp("plugin-bad"), override_runtime=True, beta=True)


@pytest.fixture(scope="session")
def plugin_clean(tmp_path_factory: pytest.TempPathFactory) -> PluginRun:
    """The same app without the override: only an acknowledged finding is left."""
    return _plugin_app(tmp_path_factory.mktemp("plugin-clean"), override_runtime=False, beta=False)


@dataclass(frozen=True)
class NaggedApp:
    """The reference app synthesized with cdk-nag's AwsSolutions and Serverless packs attached."""

    app: Any
    cdk_out: Path
    validation_report: dict[str, Any]
    error: str | None


@pytest.fixture(scope="session")
def nagged_reference(tmp_path_factory: pytest.TempPathFactory) -> NaggedApp:
    """The reference app exactly as `cdk synth` builds it (CoraApp), plus AwsSolutions and
    Serverless as policy validation plugins (cdk-nag 3), synthesized once."""
    import json

    import aws_cdk as cdk
    import cdk_nag

    from cora_constructs.apps import CoraApp
    from stacks import MODULE_STACKS
    from tests.cdk_helpers import new_app

    cdk_out = tmp_path_factory.mktemp("nagged.out")
    app = new_app(cdk_out)
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(), cdk_nag.ServerlessChecks())
    CoraApp(app, module_stacks=MODULE_STACKS)
    error = None
    try:
        app.synth()
    except RuntimeError as failed:  # an error-level finding: the tests show it from the report
        error = str(failed)
    report = json.loads((cdk_out / "validation-report.json").read_text())
    return NaggedApp(app, cdk_out, report, error)
