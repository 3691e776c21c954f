"""Build a stack or an assembly from hand-written resource dicts, and run one rule on one resource."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cora_constructs.compliance.assembly import AssemblyView, ResourceView, StackView
from cora_constructs.compliance.model import Result, Rule

ASSET_HASH = "a" * 64
ASSET_BUCKET = {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"}
ORG_PARAMETER = "SsmParameterValuecoradevorglayerarnParameter"
SSM_STRING = "AWS::SSM::Parameter::Value<String>"


def stack(
    resources: Mapping[str, Any],
    *,
    name: str = "S",
    parameters: Mapping[str, Any] | None = None,
    directory: Path = Path("/nonexistent-cdk-out"),
    construct_metadata: Mapping[str, Any] | None = None,
    assets: Mapping[str, Path] | None = None,
) -> StackView:
    template = {"Resources": dict(resources), "Parameters": dict(parameters or {})}
    return StackView(
        name, name, directory / f"{name}.template.json", directory, template,
        dict(construct_metadata or {}), dict(assets or {}),
    )  # fmt: skip


def assembly(
    *stacks: StackView, project_root: Path | None = None, hashed: frozenset[tuple[str, str]] = frozenset()
) -> AssemblyView:
    return AssemblyView(
        stacks[0].directory if stacks else Path(), list(stacks), project_root, hashed_sources=hashed
    )


def run(
    rule: Rule,
    stack_view: StackView,
    logical_id: str,
    *,
    project_root: Path | None = None,
    hashed: frozenset[tuple[str, str]] = frozenset(),
) -> Result:
    view = ResourceView(
        assembly(stack_view, project_root=project_root, hashed=hashed),
        stack_view,
        logical_id,
        stack_view.resources[logical_id],
    )
    return rule.check(view)


def function(**properties: Any) -> dict[str, Any]:
    """A Lambda function resource; ``metadata=`` sets its Metadata."""
    metadata = properties.pop("metadata", None)
    resource: dict[str, Any] = {"Type": "AWS::Lambda::Function", "Properties": properties}
    if metadata is not None:
        resource["Metadata"] = metadata
    return resource


def asset_code(asset_hash: str = ASSET_HASH) -> dict[str, Any]:
    return {"S3Bucket": ASSET_BUCKET, "S3Key": f"{asset_hash}.zip"}


def org_parameters(name: str = "/cora/dev/org-layer-arn") -> dict[str, Any]:
    return {ORG_PARAMETER: {"Type": SSM_STRING, "Default": name}}


def cora_metadata(**overrides: Any) -> dict[str, Any]:
    """The ``cora:*`` intent a StandardLambda writes."""
    metadata: dict[str, Any] = {
        "aws:cdk:path": "S/Fn/Function/Resource",
        "aws:asset:path": f"asset.{ASSET_HASH}",
        "aws:asset:property": "Code",
        "cora:module": "orders",
        "cora:app": "stack",
        "cora:lambda": "orders",
        "cora:source": "packages/module-orders/backend/lambdas/orders",
        "cora:handler": "lambda_function.lambda_handler",
        "cora:layers": ["layers/org_common"],
        "cora:routes": [],
    }
    metadata.update(overrides)
    return metadata
