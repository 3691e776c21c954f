"""OrgLayer: the org common layer, bundled for Lambda's Linux without Docker."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cora_constructs import defaults
from cora_constructs.errors import CoraValidationError
from cora_constructs.layers.bundling import (
    LayerBuildError,
    LayerSource,
    bundle_layer,
    cached_bundle,
    layer_fingerprint,
)
from cora_constructs.project import ProjectContext
from cora_constructs.stack import project_of


@dataclass(frozen=True)
class OrgLayerRef:
    """The org layer as a function sees it: the layer version and its source folder.

    ``source_dir`` is relative to the project root (e.g. ``layers/org_common``); it is written
    into each function's ``cora:layers`` metadata so deploy workflows trigger on layer changes.
    """

    layer_version: lambda_.ILayerVersion
    source_dir: str


class OrgLayer(Construct):
    """The org common layer (``layers/org_common``), bundled locally for ``manylinux2014_x86_64``.

    Its asset hash is the hash of the requirements, the layer's ``python/`` sources and the
    target platform, so an unchanged layer keeps its hash. Bundles are cached outside
    ``cdk.out`` (``.cora/layer-cache`` under the project root, or context ``cora:layerCache``),
    so a fresh ``cdk.out`` with unchanged inputs runs no pip at all.

    :param source_dir: the layer folder, default ``layers/org_common`` under the project root.
    :param wheelhouse: a folder of wheels to install from instead of the package index
        (default: context ``cora:wheelhouse`` or the ``CORA_WHEELHOUSE`` environment variable).
    :param cache_dir: where bundles are cached (default: context ``cora:layerCache``, else
        ``<project root>/.cora/layer-cache``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source_dir: str | Path | None = None,
        wheelhouse: str | Path | None = None,
        cache_dir: str | Path | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        project = project_of(self)
        root = Path(source_dir) if source_dir else project.root / defaults.ORG_LAYER_DIR
        if not root.is_absolute():
            root = project.root / root
        source = LayerSource(root)
        if not (source.python_dir / "org_common").is_dir():
            raise CoraValidationError.single(
                "CORA-F1",
                self.node.path,
                f"{root} has no python/org_common package: the org layer folder holds "
                "requirements.txt and python/org_common/.",
            )
        self.fingerprint = layer_fingerprint(source)
        asset_dir, asset_hash = self._asset(source, project, wheelhouse, cache_dir)
        self.source_dir = project.relative(root, self.node.path)
        self.layer_version = lambda_.LayerVersion(
            self,
            "Layer",
            code=lambda_.Code.from_asset(
                str(asset_dir),
                asset_hash=asset_hash,
                asset_hash_type=cdk.AssetHashType.CUSTOM,
            ),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_11],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description=f"Org common layer ({self.source_dir}), python3.11 manylinux2014_x86_64",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.ref = OrgLayerRef(self.layer_version, self.source_dir)

    def _asset(
        self,
        source: LayerSource,
        project: ProjectContext,
        wheelhouse: str | Path | None,
        cache_dir: str | Path | None,
    ) -> tuple[Path, str]:
        cache_root = Path(
            cache_dir
            or self.node.try_get_context(defaults.CONTEXT_LAYER_CACHE)
            or project.root / ".cora" / "layer-cache"
        )
        if not cdk.Stack.of(self).bundling_required:
            # This stack is not being bundled (e.g. `cdk deploy other-stack --exclusively`):
            # reuse a finished bundle if there is one, and never run pip for it.
            # The source stand-in gets its own hash so it can never pass for the real bundle.
            hit = cached_bundle(cache_root, self.fingerprint)
            return (hit, self.fingerprint) if hit else (source.root, f"{self.fingerprint}-unbundled")
        house = wheelhouse or self.node.try_get_context(defaults.CONTEXT_WHEELHOUSE)
        house = house or os.environ.get("CORA_WHEELHOUSE")
        try:
            bundle = bundle_layer(source, cache_root, wheelhouse=Path(house) if house else None)
        except LayerBuildError as exc:
            raise CoraValidationError.single("CORA-F5", self.node.path, str(exc)) from None
        return bundle, self.fingerprint

    @staticmethod
    def from_ssm(
        scope: Construct, construct_id: str, *, parameter_name: str, source_dir: str = defaults.ORG_LAYER_DIR
    ) -> OrgLayerRef:
        """The org layer published by the infra app, resolved from SSM at deploy time.

        The ARN is a CloudFormation parameter of type ``AWS::SSM::Parameter::Value<String>``: no
        cross-stack export ties the stack app to the infra app.
        """
        arn = ssm.StringParameter.value_for_string_parameter(scope, parameter_name)
        layer = lambda_.LayerVersion.from_layer_version_arn(scope, construct_id, arn)
        return OrgLayerRef(layer, source_dir)
