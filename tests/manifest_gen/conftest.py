"""Synthetic cloud assemblies that follow the CDK side's contract, and projects to generate into.

``write_cloud_assembly`` writes ``manifest.json`` and one template per stack exactly as `cdk synth`
lays them out: StandardLambda functions carry ``cora:*`` Metadata and a literal FunctionName,
next to resources that are not production Lambdas (the org layer, a CDK provider function
without ``cora:*`` metadata, versions, aliases, roles). The benchmark reuses it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from manifest_gen.cli import main

PROJECT = "cora"
ENVIRONMENT = "dev"
ORG_LAYER = "layers/org_common"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


@dataclass(frozen=True)
class SyntheticLambda:
    """One StandardLambda as the CDK side synthesizes it."""

    module: str
    name: str
    routes: tuple[dict[str, Any], ...] = ()
    app: str = "stack"
    layers: tuple[str, ...] = (ORG_LAYER,)
    extra_metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def function_name(self) -> str:
        return f"{PROJECT}-{ENVIRONMENT}-{self.module}-{self.name.replace('_', '-')}"

    @property
    def stack(self) -> str:
        return f"{PROJECT}-{ENVIRONMENT}-{'infra' if self.app == 'infra' else self.module}"

    @property
    def source(self) -> str:
        if self.app == "infra":
            return f"lambdas/{self.name}"
        return f"packages/module-{self.module}/backend/lambdas/{self.name}"

    @property
    def construct_id(self) -> str:
        return _camel(self.name)

    @property
    def construct_path(self) -> str:
        return f"{self.stack}/{self.construct_id}/Function/Resource"


def route(
    method: str,
    path: str,
    description: str,
    *,
    auth: str = "org",
    public_reason: str | None = None,
    category: str | None = None,
) -> dict[str, Any]:
    """A ``cora:routes`` item; like jsii, None values are left out of the metadata."""
    item: dict[str, Any] = {"method": method, "path": path, "auth": auth, "description": description}
    if public_reason is not None:
        item["public_reason"] = public_reason
    if category is not None:
        item["category"] = category
    return item


def sample_lambdas() -> list[SyntheticLambda]:
    """A small app: two modules (one Lambda without routes) and the infra authorizer."""
    return [
        SyntheticLambda(
            "tracker",
            "tracker_api",
            (
                route("GET", "/tasks", "List tasks", category="Tasks"),
                route("POST", "/tasks", "Create a task", category="Tasks"),
                route("GET", "/tasks/{task_id}", "Get one task", category="Tasks"),
                route("GET", "/health", "Probe", auth="public", public_reason="uptime check"),
            ),
        ),
        SyntheticLambda("tracker", "tracker_digest"),
        SyntheticLambda(
            "documents",
            "document_api",
            (
                route("GET", "/documents", "List documents"),
                route("POST", "/admin/reindex", "Rebuild the index", auth="iam"),
            ),
        ),
        SyntheticLambda("authorizer", "authorizer", app="infra", layers=()),
    ]


def many_lambdas(count: int, modules: int) -> list[SyntheticLambda]:
    """``count`` Lambdas spread over ``modules`` module stacks, each with three routes."""
    lambdas = []
    for index in range(count):
        module = f"mod{index % modules:02d}"
        name = f"fn_{index:03d}"
        lambdas.append(
            SyntheticLambda(
                module,
                name,
                tuple(
                    route(method, f"/{module}/{name}/{{item_id}}", f"{method} an item", category="Items")
                    for method in ("GET", "PUT", "DELETE")
                ),
            )
        )
    return lambdas


def _function_resources(fn: SyntheticLambda) -> dict[str, Any]:
    cid = fn.construct_id
    metadata: dict[str, Any] = {
        "aws:cdk:path": fn.construct_path,
        "aws:asset:path": "asset.0123456789abcdef",
        "aws:asset:is-bundled": False,
        "aws:asset:property": "Code",
        "cora:module": fn.module,
        "cora:app": fn.app,
        "cora:lambda": fn.name,
        "cora:source": fn.source,
        "cora:handler": "lambda_function.lambda_handler",
        "cora:layers": list(fn.layers),
        "cora:routes": [dict(item) for item in fn.routes],
    }
    metadata.update(fn.extra_metadata)
    metadata = {key: value for key, value in metadata.items() if value is not None}
    resources: dict[str, Any] = {}
    for index, item in enumerate(fn.routes):
        key = f"{cid}Route{index}"
        resources[f"{key}Integration"] = {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {
                "ApiId": {"Ref": "ApiIdParameter"},
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": {"Ref": f"{cid}Live3A4B5C6D"},
                "PayloadFormatVersion": "2.0",
            },
            "Metadata": {"aws:cdk:path": f"{fn.stack}/{cid}/{key}/Integration/Resource"},
        }
        resources[f"{key}Permission"] = {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": f"{cid}Live3A4B5C6D"},
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": {"Fn::Join": ["", ["arn:aws:execute-api:", {"Ref": "AWS::Region"}, ":*"]]},
            },
            "Metadata": {"aws:cdk:path": f"{fn.stack}/{cid}/{key}/Permission"},
        }
        resources[key] = {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {
                "ApiId": {"Ref": "ApiIdParameter"},
                "RouteKey": f"{item['method']} {item['path']}",
                "AuthorizationType": "NONE" if item["auth"] == "public" else "CUSTOM",
                "Target": {"Fn::Join": ["", ["integrations/", {"Ref": f"{key}Integration"}]]},
            },
            "Metadata": {"aws:cdk:path": f"{fn.stack}/{cid}/{key}/Resource"},
        }
    return resources | {
        f"{cid}FunctionServiceRole1A2B3C4D": {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
            "Metadata": {"aws:cdk:path": f"{fn.stack}/{cid}/Function/ServiceRole/Resource"},
        },
        f"{cid}Function5E6F7A8B": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Code": {"S3Bucket": {"Fn::Sub": "cdk-assets-${AWS::AccountId}"}, "S3Key": "0123.zip"},
                "FunctionName": fn.function_name,
                "Handler": "lambda_function.lambda_handler",
                "Layers": [{"Ref": "OrgLayerArnParameter"}] if fn.layers else [],
                "Role": {"Fn::GetAtt": [f"{cid}FunctionServiceRole1A2B3C4D", "Arn"]},
                "Runtime": "python3.11",
            },
            "DependsOn": [f"{cid}FunctionServiceRole1A2B3C4D"],
            "Metadata": metadata,
        },
        f"{cid}FunctionCurrentVersion9C0D1E2F": {
            "Type": "AWS::Lambda::Version",
            "Properties": {"FunctionName": {"Ref": f"{cid}Function5E6F7A8B"}},
            "Metadata": {"aws:cdk:path": f"{fn.stack}/{cid}/Function/CurrentVersion/Resource"},
        },
        f"{cid}Live3A4B5C6D": {
            "Type": "AWS::Lambda::Alias",
            "Properties": {"Name": "live", "FunctionName": {"Ref": f"{cid}Function5E6F7A8B"}},
            "Metadata": {"aws:cdk:path": f"{fn.stack}/{cid}/Live/Resource"},
        },
    }


def _stack_template(stack: str, lambdas: Sequence[SyntheticLambda]) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    if stack.endswith("-infra"):
        resources["OrgLayer1234ABCD"] = {
            "Type": "AWS::Lambda::LayerVersion",
            "Properties": {"CompatibleRuntimes": ["python3.11"], "LayerName": f"{stack}-org-common"},
            "Metadata": {"aws:cdk:path": f"{stack}/OrgLayer/Resource"},
        }
    for fn in lambdas:
        resources.update(_function_resources(fn))
    # A CDK provider function: a Lambda, but not a production one (no cora:* metadata).
    resources["CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F"] = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Handler": "index.handler", "Runtime": "nodejs20.x"},
        "Metadata": {"aws:cdk:path": f"{stack}/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler"},
    }
    return {
        "Resources": resources,
        "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>"}},
    }


def _stack_artifact(stack: str, template_file: str, display_name: str) -> dict[str, Any]:
    return {
        "type": "aws:cloudformation:stack",
        "environment": "aws://unknown-account/unknown-region",
        "properties": {
            "templateFile": template_file,
            "terminationProtection": False,
            "validateOnSynth": False,
            "requiresBootstrapStackVersion": 6,
            "additionalDependencies": [f"{stack}.assets"],
        },
        "dependencies": [f"{stack}.assets"],
        "displayName": display_name,
    }


def write_cloud_assembly(
    out: Path, lambdas: Iterable[SyntheticLambda], *, nested_stage: str | None = None
) -> Path:
    """Write a cloud assembly for ``lambdas`` into ``out`` (created) and return ``out``.

    Stacks: ``cora-dev-infra`` (org layer + infra Lambdas), ``cora-dev-api`` (no Lambdas) and one
    ``cora-dev-<module>`` per module. With ``nested_stage`` the module stacks live in a nested
    assembly (a CDK Stage), reached through a ``cdk:cloud-assembly`` artifact.
    """
    out.mkdir(parents=True, exist_ok=True)
    by_stack: dict[str, list[SyntheticLambda]] = {
        f"{PROJECT}-{ENVIRONMENT}-infra": [],
        f"{PROJECT}-{ENVIRONMENT}-api": [],
    }
    for fn in lambdas:
        by_stack.setdefault(fn.stack, []).append(fn)
    artifacts: dict[str, Any] = {}
    nested_artifacts: dict[str, Any] = {}
    nested_dir = out / f"assembly-{nested_stage}" if nested_stage else None
    if nested_dir is not None:
        nested_dir.mkdir(exist_ok=True)
    for stack, stack_lambdas in by_stack.items():
        template_file = f"{stack}.template.json"
        template = _stack_template(stack, stack_lambdas)
        in_stage = nested_dir is not None and stack_lambdas and not stack.endswith("-infra")
        directory = nested_dir if in_stage and nested_dir is not None else out
        (directory / template_file).write_text(json.dumps(template, indent=1), encoding="utf-8")
        assets = {"type": "cdk:asset-manifest", "properties": {"file": f"{stack}.assets.json"}}
        if in_stage:
            artifact_id = f"{nested_stage}{stack}"
            nested_artifacts[f"{artifact_id}.assets"] = assets
            artifact = _stack_artifact(stack, template_file, f"{nested_stage}/{stack}")
            artifact["properties"]["stackName"] = stack
            nested_artifacts[artifact_id] = artifact
        else:
            artifacts[f"{stack}.assets"] = assets
            artifacts[stack] = _stack_artifact(stack, template_file, stack)
    if nested_dir is not None:
        (nested_dir / "manifest.json").write_text(
            json.dumps({"version": "55.0.0", "artifacts": nested_artifacts}, indent=2), encoding="utf-8"
        )
        artifacts[f"assembly-{nested_stage}"] = {
            "type": "cdk:cloud-assembly",
            "properties": {"directoryName": f"assembly-{nested_stage}", "displayName": nested_stage},
        }
    artifacts["Tree"] = {"type": "cdk:tree", "properties": {"file": "tree.json"}}
    manifest = {"version": "55.0.0", "artifacts": artifacts}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    (out / "cdk.out").write_text('{"version":"55.0.0"}', encoding="utf-8")
    return out


def template_of(cdk_out: Path, stack: str) -> tuple[Path, dict[str, Any]]:
    """The template file of ``stack`` and its parsed content, for tests that corrupt it."""
    path = cdk_out / f"{stack}.template.json"
    return path, json.loads(path.read_text(encoding="utf-8"))


def function_resource(template: dict[str, Any], function_name: str) -> dict[str, Any]:
    for resource in template["Resources"].values():
        is_function = resource["Type"] == "AWS::Lambda::Function"
        if is_function and resource["Properties"].get("FunctionName") == function_name:
            return resource  # type: ignore[no-any-return]
    raise KeyError(function_name)


def make_project(root: Path) -> Path:
    """An empty project folder (cdk.json marks its root)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "cdk.json").write_text('{"app": "python3 app.py"}\n', encoding="utf-8")
    return root


def run_cli(*argv: str) -> int:
    return main(list(argv))


@dataclass(frozen=True)
class GeneratedProject:
    """A project generated from a synthetic assembly: ``root``, ``cdk_out`` and the Lambdas."""

    root: Path
    cdk_out: Path
    lambdas: list[SyntheticLambda]

    def args(self, command: str, *extra: str) -> list[str]:
        return [command, "--cdk-out", str(self.cdk_out), "--project-root", str(self.root), *extra]

    def files(self) -> dict[str, bytes]:
        """Every file under the project except cdk.json, by POSIX relative path."""
        return {
            path.relative_to(self.root).as_posix(): path.read_bytes()
            for path in sorted(self.root.rglob("*"))
            if path.is_file() and path.name != "cdk.json"
        }


@pytest.fixture
def cloud_assembly(tmp_path: Path) -> Path:
    return write_cloud_assembly(tmp_path / "cdk.out", sample_lambdas())


@pytest.fixture
def generated(tmp_path: Path, cloud_assembly: Path) -> GeneratedProject:
    project = GeneratedProject(make_project(tmp_path / "project"), cloud_assembly, sample_lambdas())
    assert main(project.args("generate")) == 0
    return project


def node_package(name: str) -> Path | None:
    """The installed npm package ``name``: in the project's node_modules, or in the extra
    node_modules folder named by $MANIFEST_GEN_EXTRA_NODE_MODULES."""
    folders = [REPO_ROOT / "node_modules"]
    extra = os.environ.get("MANIFEST_GEN_EXTRA_NODE_MODULES")
    if extra:
        folders.append(Path(extra))
    for folder in folders:
        if (folder / name / "package.json").is_file():
            return folder / name
    return None


def run_python(
    code: str, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with the test interpreter in a fresh process."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def which(tool: str) -> str | None:
    return shutil.which(tool)
