"""A real AWS API emulator (moto in server mode, a separate process on 127.0.0.1), a project with
a hand-made cloud assembly and manifest, and a compliant deployment of it built with direct API
calls (moto's CloudFormation ignores ``AWS::ApiGatewayV2::*`` and ``Layers``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from cora_constructs.cli.main import main
from tests.manifest_gen.conftest import (
    ORG_LAYER,
    SyntheticLambda,
    function_resource,
    sample_lambdas,
    template_of,
    write_cloud_assembly,
)
from tests.moto_server import running_moto_server

REGION = "us-east-1"
PROJECT, ENVIRONMENT = "cora", "dev"
MODULE_LAYER = "packages/module-documents/backend/layers/pdf"
LIVE = "live"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@dataclass(frozen=True)
class MotoServer:
    endpoint: str

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """`moto_server` in its own process on a free port of 127.0.0.1, stopped after the session."""
    with running_moto_server() as endpoint:
        yield MotoServer(endpoint)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Dummy credentials (moto accepts any) and no profile files of the machine."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(key, raising=False)
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    return dict(AWS_ENV)


def audit_lambdas() -> list[SyntheticLambda]:
    """The audited app: the manifest tests' sample app (a module with an org route, a public route
    and a worker; a module with an IAM route; the infra authorizer), with a module layer on the
    IAM module's Lambda and the org layer on the authorizer."""
    return [
        replace(fn, layers=(ORG_LAYER, MODULE_LAYER))
        if fn.name == "document_api"
        else replace(fn, layers=(ORG_LAYER,))
        if fn.app == "infra"
        else fn
        for fn in sample_lambdas()
    ]


def code_hash(fn: SyntheticLambda) -> str:
    return hashlib.sha256(f"code of {fn.function_name}".encode()).hexdigest()


def write_manifest(path: Path, lambdas: list[SyntheticLambda]) -> Path:
    """The workflow manifest in the schema `cora manifest generate` writes."""
    functions = [
        {
            "function_name": fn.function_name,
            "lambda_dir": fn.source,
            "workflow_file": f".github/workflows/lambda-{fn.function_name}-deploy.yml",
            "app": fn.app,
            "stack": fn.stack,
            "module": fn.module,
            "construct_path": fn.construct_path,
            "handler": "lambda_function.lambda_handler",
            "layers": list(fn.layers),
            "routes": [{"public_reason": None, "category": None, **item} for item in fn.routes],
        }
        for fn in sorted(lambdas, key=lambda item: item.function_name)
    ]
    document = {"expected_runtime": "python3.11", "functions": functions}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


@dataclass
class Project:
    root: Path
    cdk_out: Path
    manifest: Path
    lambdas: list[SyntheticLambda]

    def by_name(self, name: str) -> SyntheticLambda:
        return next(fn for fn in self.lambdas if fn.name == name)


def make_audit_project(root: Path, lambdas: list[SyntheticLambda]) -> Project:
    """cdk.json, a cloud assembly whose functions each have their own asset hash and the layers
    of their ``cora:layers``, and the manifest."""
    root.mkdir(parents=True, exist_ok=True)
    context = {"cora:project": PROJECT, "cora:environment": ENVIRONMENT}
    (root / "cdk.json").write_text(json.dumps({"app": "python3 app.py", "context": context}), "utf-8")
    cdk_out = write_cloud_assembly(root / "cdk.out", lambdas)
    for stack in sorted({fn.stack for fn in lambdas}):
        path, template = template_of(cdk_out, stack)
        for fn in (item for item in lambdas if item.stack == stack):
            properties = function_resource(template, fn.function_name)["Properties"]
            properties["Code"]["S3Key"] = f"{code_hash(fn)}.zip"
            properties["Layers"] = [{"Ref": "OrgLayerArnParameter"}] + [
                {"Ref": f"ModuleLayer{index}"} for index in range(1, len(fn.layers))
            ]
        path.write_text(json.dumps(template, indent=1), encoding="utf-8")
    manifest = write_manifest(root / "infrastructure" / "lambda_workflow_manifest.json", lambdas)
    # Newer than any source, the installed library included (others edit it while tests run):
    # the audit warns about a stale assembly only in the test that makes it stale.
    future = time.time() + 86400
    os.utime(cdk_out / "manifest.json", (future, future))
    return Project(root, cdk_out, manifest, lambdas)


def zip_of(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", text)
    return buffer.getvalue()


@dataclass
class Deployment:
    """The compliant deployment of a project in the emulator, and the clients to mutate it."""

    endpoint: str
    project: Project
    lambda_: Any
    apigw: Any
    ssm: Any
    api_id: str = ""
    authorizer_id: str = ""
    org_layer_versions: list[str] = field(default_factory=list)
    module_layer_arn: str = ""
    route_ids: dict[str, str] = field(default_factory=dict)
    integration_ids: dict[str, str] = field(default_factory=dict)

    def function_arn(self, fn: SyntheticLambda, qualifier: str | None = LIVE) -> str:
        base = f"arn:aws:lambda:{REGION}:123456789012:function:{fn.function_name}"
        return f"{base}:{qualifier}" if qualifier else base


def clients(endpoint: str) -> dict[str, Any]:
    options = {
        "endpoint_url": endpoint,
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    return {name: boto3.client(name, **options) for name in ("iam", "lambda", "apigatewayv2", "ssm")}


def deploy(
    endpoint: str, project: Project, *, functions: list[SyntheticLambda] | None = None, api: bool = True
) -> Deployment:
    """Deploy ``functions`` (default: all) the way the app does: python3.11, the org layer at the
    version SSM names then the module layers, the code-hash tag, a published version behind
    ``live``; then the HTTP API, the org authorizer and one route per docstring route."""
    aws = clients(endpoint)
    deployment = Deployment(endpoint, project, aws["lambda"], aws["apigatewayv2"], aws["ssm"])
    role = aws["iam"].create_role(
        RoleName="cora-audit-test", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
    )["Role"]["Arn"]
    layer_zip = zip_of("# layer")
    for _ in range(2):  # v1 is the previous org layer, v2 the one SSM names
        published = deployment.lambda_.publish_layer_version(
            LayerName=f"{PROJECT}-{ENVIRONMENT}-org-common", Content={"ZipFile": layer_zip}
        )
        deployment.org_layer_versions.append(published["LayerVersionArn"])
    deployment.module_layer_arn = deployment.lambda_.publish_layer_version(
        LayerName=f"{PROJECT}-{ENVIRONMENT}-documents-pdf", Content={"ZipFile": layer_zip}
    )["LayerVersionArn"]
    deployment.ssm.put_parameter(
        Name=f"/{PROJECT}/{ENVIRONMENT}/org-layer-arn", Value=deployment.org_layer_versions[-1], Type="String"
    )
    for fn in project.lambdas if functions is None else functions:
        layers = [deployment.org_layer_versions[-1]] + [deployment.module_layer_arn] * (len(fn.layers) - 1)
        deployment.lambda_.create_function(
            FunctionName=fn.function_name,
            Runtime="python3.11",
            Role=role,
            Handler="lambda_function.lambda_handler",
            Code={"ZipFile": zip_of(f"# {fn.function_name}\n")},
            Layers=layers,
            Tags={"cora:code-hash": code_hash(fn), "cora:app": fn.app},
        )
        version = deployment.lambda_.publish_version(FunctionName=fn.function_name)["Version"]
        deployment.lambda_.create_alias(FunctionName=fn.function_name, Name=LIVE, FunctionVersion=version)
    if api:
        deploy_api(deployment, functions if functions is not None else project.lambdas)
    return deployment


def deploy_api(deployment: Deployment, functions: list[SyntheticLambda]) -> None:
    gw = deployment.apigw
    deployment.api_id = gw.create_api(Name=f"{PROJECT}-{ENVIRONMENT}-api", ProtocolType="HTTP")["ApiId"]
    deployment.authorizer_id = gw.create_authorizer(
        ApiId=deployment.api_id,
        Name="org-authorizer",
        AuthorizerType="REQUEST",
        AuthorizerUri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:{REGION}:123456789012:function:cora-dev-authorizer-authorizer:live/invocations",
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
        IdentitySource=[],
    )["AuthorizerId"]
    deployment.ssm.put_parameter(
        Name=f"/{PROJECT}/{ENVIRONMENT}/http-api-id", Value=deployment.api_id, Type="String"
    )
    deployment.ssm.put_parameter(
        Name=f"/{PROJECT}/{ENVIRONMENT}/org-authorizer-id", Value=deployment.authorizer_id, Type="String"
    )
    for fn in functions:
        if not fn.routes:
            continue
        integration = gw.create_integration(
            ApiId=deployment.api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=deployment.function_arn(fn),
            PayloadFormatVersion="2.0",
        )["IntegrationId"]
        deployment.integration_ids[fn.function_name] = integration
        for item in fn.routes:
            key = f"{item['method']} {item['path']}"
            auth: dict[str, str] = {"AuthorizationType": "NONE"}
            if item["auth"] == "org":
                auth = {"AuthorizationType": "CUSTOM", "AuthorizerId": deployment.authorizer_id}
            elif item["auth"] == "iam":
                auth = {"AuthorizationType": "AWS_IAM"}
            deployment.route_ids[key] = gw.create_route(
                ApiId=deployment.api_id, RouteKey=key, Target=f"integrations/{integration}", **auth
            )["RouteId"]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_audit_project(tmp_path / "project", audit_lambdas())


@pytest.fixture
def deployed(moto_server: MotoServer, project: Project, aws_env: dict[str, str]) -> Deployment:
    """A fresh emulator holding the compliant deployment of ``project``."""
    moto_server.reset()
    return deploy(moto_server.endpoint, project)


def run_audit(
    deployment_or_endpoint: Deployment | str, project: Project, *extra: str
) -> tuple[int, dict[str, Any]]:
    """`cora audit --json` in this process; the exit code and the parsed report."""
    endpoint = (
        deployment_or_endpoint if isinstance(deployment_or_endpoint, str) else deployment_or_endpoint.endpoint
    )
    import contextlib

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            [
                "audit",
                "--json",
                "--endpoint-url",
                endpoint,
                "--region",
                REGION,
                "--project-root",
                str(project.root),
                *extra,
            ]
        )
    text = out.getvalue()
    return code, (json.loads(text) if text.strip() else {})


def problems(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    """The findings as (check, status, subject)."""
    return {(item["check"], item["status"], item["subject"]) for item in report["findings"]}
