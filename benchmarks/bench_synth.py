"""Synth cost of the standards: StandardLambda apps vs the same resources in raw CDK, side by side.

Run: ``.venv/bin/python benchmarks/bench_synth.py [--rounds 3] [--sizes 18 200]``.

Both variants build the stack app of a synthetic project (10 Lambdas per module, three routes
each, a DynamoDB table per module, one HTTP API): the same CloudFormation resource types and
counts. The raw variant writes the routes out by hand instead of reading docstrings and skips
every check, but has the same per-function log group, least-privilege role and tracing.
Rounds alternate the variants in one process; the best round of each is
compared (rounds alternate which variant goes first). Goal: ratio (standard / raw) at most 1.10.
A third variant is the same StandardLambda app with the import check switched off: the check's
goal is standard / unchecked at most 1.05.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_VALIDATION", "false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm

from benchmarks.synthetic_project import modules_of, write_project
from cora_constructs.apps.discovery import discover_module_lambdas, group_by_module
from tests.cdk_helpers import new_app


def standard(project: Path, outdir: Path) -> None:
    from cora_constructs.apps import CoraApp
    from stacks.module import TableModuleStack

    app = new_app(outdir, project, app="stack")
    CoraApp(app, module_stacks={m: TableModuleStack for m in modules_of(project)})
    app.synth()


def standard_without_import_check(project: Path, outdir: Path) -> None:
    """The same StandardLambda app with the import check (CORA-L9/L10) switched off."""
    from cora_constructs.functions import standard_lambda

    checked = standard_lambda.import_problems
    standard_lambda.import_problems = lambda *args, **kwargs: []  # type: ignore[assignment]
    try:
        standard(project, outdir)
    finally:
        standard_lambda.import_problems = checked


def raw(project: Path, outdir: Path) -> None:
    app = new_app(outdir, project, app="stack")
    api_stack = cdk.Stack(app, "raw-api")
    api = apigw.HttpApi(api_stack, "HttpApi", create_default_stage=True)
    authorizer_arn = ssm.StringParameter.value_for_string_parameter(
        api_stack, "/cora/dev/authorizer-function-arn"
    )
    authorizer = apigw.CfnAuthorizer(
        api_stack,
        "OrgAuthorizer",
        api_id=api.api_id,
        name="org",
        authorizer_type="REQUEST",
        authorizer_uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{authorizer_arn}/invocations",
        authorizer_payload_format_version="2.0",
        enable_simple_responses=True,
        authorizer_result_ttl_in_seconds=0,
    )
    lambda_.CfnPermission(
        api_stack, "Invoke", action="lambda:InvokeFunction", function_name=authorizer_arn,
        principal="apigateway.amazonaws.com",
    )  # fmt: skip
    ssm.StringParameter(api_stack, "ApiId", parameter_name="/cora/dev/http-api-id", string_value=api.api_id)
    ssm.StringParameter(
        api_stack, "AuthId", parameter_name="/cora/dev/org-authorizer-id", string_value=authorizer.ref
    )
    for module, lambdas in group_by_module(discover_module_lambdas(project)).items():
        stack = cdk.Stack(app, f"raw-{module}")
        layer_arn = ssm.StringParameter.value_for_string_parameter(stack, "/cora/dev/org-layer-arn")
        layer = lambda_.LayerVersion.from_layer_version_arn(stack, "OrgLayer", layer_arn)
        api_id = ssm.StringParameter.value_for_string_parameter(stack, "/cora/dev/http-api-id")
        auth_id = ssm.StringParameter.value_for_string_parameter(stack, "/cora/dev/org-authorizer-id")
        imported = apigw.HttpApi.from_http_api_attributes(stack, "Api", http_api_id=api_id)
        org = apigw.HttpAuthorizer.from_http_authorizer_attributes(
            stack, "Auth", authorizer_id=auth_id, authorizer_type="CUSTOM"
        )
        table = dynamodb.Table(
            stack, "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )  # fmt: skip
        timeout = cdk.Duration.seconds(29)
        for item in lambdas:
            # What StandardLambda gives each function besides its code: its own log group with a
            # retention, a role that writes only that group and X-Ray, tracing on.
            log_group = logs.LogGroup(
                stack, f"{item.lambda_name}Logs", retention=logs.RetentionDays.ONE_MONTH
            )
            role = iam.Role(
                stack, f"{item.lambda_name}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                inline_policies={"logs": iam.PolicyDocument(statements=[
                    iam.PolicyStatement(
                        actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                        resources=[log_group.log_group_arn],
                    ),
                    iam.PolicyStatement(
                        actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]
                    ),
                ])},
            )  # fmt: skip
            fn = lambda_.Function(
                stack, item.lambda_name,
                function_name=f"raw-{module}-{item.lambda_name}",
                runtime=lambda_.Runtime.PYTHON_3_11,
                architecture=lambda_.Architecture.X86_64,
                handler="lambda_function.lambda_handler",
                code=lambda_.Code.from_asset(str(item.source), exclude=["__pycache__", "*.pyc"]),
                layers=[layer],
                environment={"TABLE_NAME": table.table_name, "MODULE_NAME": module},
                memory_size=256,
                timeout=timeout,
                description=f"{module} {item.lambda_name}",
                current_version_options=lambda_.VersionOptions(removal_policy=cdk.RemovalPolicy.RETAIN),
                log_group=log_group,
                role=role,
                tracing=lambda_.Tracing.ACTIVE,
            )  # fmt: skip
            alias = lambda_.Alias(
                stack, f"{item.lambda_name}Live", alias_name="live", version=fn.current_version
            )
            table.grant_read_write_data(fn)
            integration = integrations.HttpLambdaIntegration(f"{item.lambda_name}Int", alias)
            base = f"/{module}/{item.lambda_name}"
            for method, path in (("GET", base), ("POST", base), ("GET", base + "/{item_id}")):
                apigw.HttpRoute(
                    stack, f"{item.lambda_name}{method}{path}",
                    http_api=imported,
                    route_key=apigw.HttpRouteKey.with_(path, apigw.HttpMethod(method)),
                    integration=integration,
                    authorizer=org,
                )  # fmt: skip
    app.synth()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[18, 200])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cora-bench-synth-"))
    print(
        f"{'functions':>9}  {'standard s':>10}  {'no-import-check s':>17}  {'raw s':>8}  "
        f"{'ratio':>6}  goal <= 1.10  {'import check':>12}  goal <= 1.05"
    )
    for size in args.sizes:
        project = write_project(work / f"p{size}", size)
        best = {"standard": float("inf"), "unchecked": float("inf"), "raw": float("inf")}
        variants = [("standard", standard), ("unchecked", standard_without_import_check), ("raw", raw)]
        for round_ in range(args.rounds):
            # Alternate which variant goes first: the Node process grows as apps accumulate.
            for name, build in variants if round_ % 2 == 0 else variants[::-1]:
                start = time.perf_counter()
                build(project, work / f"out-{size}-{name}-{round_}")
                best[name] = min(best[name], time.perf_counter() - start)
        ratio = best["standard"] / best["raw"]
        check = best["standard"] / best["unchecked"]
        verdict = "ok" if ratio <= 1.10 else "OVER"
        check_verdict = "ok" if check <= 1.05 else "OVER"
        print(
            f"{size:>9}  {best['standard']:>10.2f}  {best['unchecked']:>17.2f}  {best['raw']:>8.2f}  "
            f"{ratio:>6.2f}  {verdict:<12}  {check:>12.3f}  {check_verdict}"
        )


if __name__ == "__main__":
    main()
