"""OrgLayer: the org common layer, composed and bundled for Lambda's Linux without Docker.

The building itself (pip, the cache, the ELF check, stacking) lives in
:mod:`cora_constructs.dependencies`; this module and :mod:`.module_layer` are the constructs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cora_constructs import defaults, packaged
from cora_constructs.dependencies.bundle import (
    ASSET_EXCLUDES,
    ComposedLayer,
    LayerBuildError,
    LayerSource,
    bundle_layer,
    cached_bundle,
    layer_fingerprint,
)
from cora_constructs.dependencies.cache import cache_root_of
from cora_constructs.dependencies.cache import wheelhouse_of as _wheelhouse_of
from cora_constructs.dependencies.layer_ref import (
    ORG_LAYER_LABEL,
    LayerRef,
    LayerWatch,
    OrgLayerRef,
    lower_layers,
    project_paths,
)
from cora_constructs.dependencies.sizes import bundle_size
from cora_constructs.errors import CoraValidationError, Violation
from cora_constructs.functions import prefetch
from cora_constructs.jsii_checks import library_calls, require_str
from cora_constructs.kept import kept_of
from cora_constructs.project import ProjectContext
from cora_constructs.stack import project_of


def layer_cache_root(project: ProjectContext, cache_dir: str | Path | None = None) -> Path:
    """Where layer bundles are cached: ``cache_dir``, context ``cora:layerCache``, or per user."""
    return cache_root_of(project.settings, cache_dir)


def wheelhouse_of(project: ProjectContext, wheelhouse: str | Path | None = None) -> Path | None:
    return _wheelhouse_of(project.settings, wheelhouse)


def layer_bundle(
    scope: Construct,
    layer: ComposedLayer,
    project: ProjectContext,
    *,
    below: Sequence[LayerRef] = (),
    wheelhouse: str | Path | None = None,
    cache_dir: str | Path | None = None,
    build: bool | None = None,
    fingerprint: str | None = None,
    where: str | None = None,
) -> Path | None:
    """The finished bundle of ``layer`` on top of ``below``: from the cache, or built now when
    ``build`` (default: when the stack is being bundled). None when it is not cached and may not
    be built (e.g. `cdk deploy other-stack --exclusively`: such a stack never runs pip), or when
    a layer below is not built. Raises CoraValidationError with the layer's problems."""
    cache_root = layer_cache_root(project, cache_dir)
    fingerprint = fingerprint or layer_fingerprint(layer, [ref.fingerprint for ref in below])
    lower = lower_layers(below)
    hit = cached_bundle(cache_root, fingerprint)
    if hit is None:
        if not (cdk.Stack.of(scope).bundling_required if build is None else build):
            return None
        if lower is None:
            return None
    try:
        return bundle_layer(
            layer,
            cache_root,
            below=lower or [],
            wheelhouse=wheelhouse_of(project, wheelhouse),
            show=project_paths(project.root),
            where=where or layer.label,
            fingerprint=fingerprint,
        )
    except LayerBuildError as exc:
        raise CoraValidationError(exc.violations) from None


def layer_code(bundle: Path | None, layer: ComposedLayer, fingerprint: str) -> lambda_.Code:
    """The layer's asset: the bundle, hashed by the layer's ``fingerprint``; without a bundle,
    the first part's folder under a hash of its own, so it can never pass for the real bundle."""
    folder, asset_hash = (
        (bundle, fingerprint) if bundle else (layer.parts[0].root, f"{fingerprint}-unbundled")
    )
    return lambda_.Code.from_asset(
        str(folder),
        asset_hash=asset_hash,
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        exclude=list(ASSET_EXCLUDES) if bundle else None,
    )


def org_layer_parts(project: ProjectContext, folder: str | Path | None = None) -> list[LayerSource]:
    """The parts of the org layer: the packaged runtime and pinned requirements, then the
    project's own org layer folder when it has one (``layers/org_common`` by default, or
    context ``cora:orgLayerDir``). An explicitly named folder must exist."""
    parts = [
        LayerSource(
            packaged.ORG_LAYER_DIR,
            packages=(packaged.RUNTIME_PACKAGE,),
            label=f"cora-constructs {packaged.version()} (cora_runtime and its pinned requirements)",
        )
    ]
    own = project_org_layer_dir(project, folder)
    if own is not None:
        parts.append(LayerSource(own, label=f"the project's org layer ({project.relative(own, str(own))})"))
    return parts


def project_org_layer_dir(project: ProjectContext, folder: str | Path | None = None) -> Path | None:
    """The project's own org layer folder, or None when the project has none."""
    explicit = folder if folder is not None else project.settings.get(defaults.CONTEXT_ORG_LAYER_DIR)
    path = Path(str(explicit)) if explicit else Path(defaults.ORG_LAYER_DIR)
    path = path if path.is_absolute() else project.root / path
    if path.is_dir():
        return path
    if explicit:
        raise CoraValidationError.single(
            "CORA-F1",
            str(explicit),
            f"the org layer folder {path} does not exist: create it (requirements.txt and/or "
            "python/<package>/) or drop the setting to use the packaged runtime alone.",
        )
    return None


def watch_of(parts: Sequence[LayerSource], root: Path) -> LayerWatch:
    paths: list[Path] = []
    for part in parts:
        paths += [part.root, *part.packages]
    return LayerWatch.of(paths, root)


def _description(parts: Sequence[LayerSource], project: ProjectContext) -> str:
    own = [project.relative(part.root, str(part.root)) for part in parts[1:]]
    made_of = f"cora-constructs {packaged.version()}" + "".join(f" + {folder}" for folder in own)
    return f"Org common layer ({made_of}), python3.11 manylinux2014_x86_64"


class OrgLayer(Construct):
    """The org common layer, bundled locally for ``manylinux2014_x86_64`` / CPython 3.11.

    It is composed of what cora-constructs ships (the ``cora_runtime`` package and the pinned
    requirements of ``cora_constructs/org_layer/requirements.txt``) and, when the project has
    one, its own org layer folder: ``layers/org_common/`` (context ``cora:orgLayerDir`` moves it)
    holding ``requirements.txt`` and ``python/<package>/`` (e.g. the team's ``org_common``). A
    package or a requirement present in both with different pins fails the synth (CORA-F1).

    Its asset hash covers every input (requirements, every packaged and project file, the
    target platform), so upgrading cora-constructs publishes a new layer version. Bundles are
    cached per user (``~/.cache/cora-constructs/layers``, ``$XDG_CACHE_HOME``, env
    ``CORA_LAYER_CACHE`` or context ``cora:layerCache``): a second clone or another project
    with the same inputs runs no pip.

    :param source_dir: the project's own org layer folder (default: ``cora:orgLayerDir`` or
        ``layers/org_common`` when it exists; none otherwise).
    :param wheelhouse: a folder of wheels to install from instead of the package index
        (default: context ``cora:wheelhouse`` or the ``CORA_WHEELHOUSE`` environment variable).
    :param cache_dir: where bundles are cached (default: context ``cora:layerCache``, else the
        per-user cache).
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
        layer = ComposedLayer.of(org_layer_parts(project, source_dir))
        if layer.problems:
            raise CoraValidationError(Violation("CORA-F1", self.node.path, p) for p in layer.problems)
        self.fingerprint = layer_fingerprint(layer)
        self.bundle = layer_bundle(
            self,
            layer,
            project,
            wheelhouse=wheelhouse,
            cache_dir=cache_dir,
            fingerprint=self.fingerprint,
            where=ORG_LAYER_LABEL,
        )
        self.watch = watch_of(layer.parts, project.root)
        self.layer_version = lambda_.LayerVersion(
            self,
            "Layer",
            code=layer_code(self.bundle, layer, self.fingerprint),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_11],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description=_description(layer.parts, project),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.ref = _org_ref(self.layer_version, layer, self.bundle, project, self.fingerprint)

    @staticmethod
    def from_ssm(
        scope: Construct,
        construct_id: str,
        *,
        parameter_name: str,
        source_dir: str | Path | None = None,
    ) -> OrgLayerRef:
        """The org layer published by the infra app, resolved from SSM at deploy time.

        The ARN is a CloudFormation parameter of type ``AWS::SSM::Parameter::Value<String>``: no
        cross-stack export ties the stack app to the infra app. ``source_dir`` is the project's
        own org layer folder, as for :class:`OrgLayer` (only used for what deploys watch).
        """
        project = project_of(scope)
        require_str("OrgLayer.from_ssm", construct_id=construct_id, parameter_name=parameter_name)
        with library_calls():  # checked here: jsii's runtime check skipped (jsii_checks)
            arn = ssm.StringParameter.value_for_string_parameter(scope, parameter_name)
            layer = lambda_.LayerVersion.from_layer_version_arn(scope, construct_id, arn)
        return replace(_contents_from_cache(scope, project, source_dir), layer_version=layer, known_arn=arn)


def _contents_from_cache(
    scope: Construct, project: ProjectContext, source_dir: str | Path | None
) -> OrgLayerRef:
    """What the stack app knows of the org layer it does not deploy, once per app: its import
    check needs the layer's contents, the same composed bundle from the per-user cache (built
    once when it is missing). Every module stack asks; only the first walks the layer's files.
    Not kept while the bundle is missing and this stack may not build it (another may)."""
    key = ("org layer contents", None if source_dir is None else str(source_dir))
    found = kept_of(project.settings).get(key)
    if isinstance(found, OrgLayerRef):
        return found
    if source_dir is None:  # the project's own org layer: read ahead by the app's prefetch thread
        ahead = prefetch.ahead_result(project.settings, ORG_LAYER_CONTENTS, lambda: None)
        if isinstance(ahead, OrgLayerRef):
            kept_of(project.settings)[key] = ahead
            return ahead
    composed = ComposedLayer.of(org_layer_parts(project, source_dir))
    fingerprint = layer_fingerprint(composed)
    bundle = (
        None
        if composed.problems
        else layer_bundle(scope, composed, project, fingerprint=fingerprint, where=ORG_LAYER_LABEL)
    )
    contents = _org_ref(None, composed, bundle, project, fingerprint)
    if bundle is not None or composed.problems:
        kept_of(project.settings)[key] = contents
    return contents


ORG_LAYER_CONTENTS = "org layer contents"
"""The prefetch task reading the project's org layer ahead (:func:`org_contents_if_cached`)."""


def org_contents_if_cached(project: ProjectContext) -> OrgLayerRef | None:
    """What the stack app knows of the project's org layer, as :func:`OrgLayer.from_ssm` finds
    it, when that needs no construct: its parts, fingerprint and the bundle already in the
    cache (or its composition problems). None when the bundle is not cached (then only a
    stack may decide to build it). Reads files only: the app's prefetch thread runs it."""
    composed = ComposedLayer.of(org_layer_parts(project, None))
    fingerprint = layer_fingerprint(composed)
    if composed.problems:
        return _org_ref(None, composed, None, project, fingerprint)
    hit = cached_bundle(layer_cache_root(project), fingerprint)
    return None if hit is None else _org_ref(None, composed, hit, project, fingerprint)


def _org_ref(
    layer_version: lambda_.ILayerVersion | None,
    layer: ComposedLayer,
    bundle: Path | None,
    project: ProjectContext,
    fingerprint: str,
) -> OrgLayerRef:
    return OrgLayerRef(
        layer_version,
        watch_of(layer.parts, project.root),
        bundle / "python" if bundle else None,
        tuple(part.requirements for part in layer.parts),
        label=ORG_LAYER_LABEL,
        fingerprint=fingerprint,
        size=bundle_size(bundle) if bundle else None,
        requirements=layer.requirement_sites(project_paths(project.root)),
    )


__all__ = [
    "LayerWatch",
    "OrgLayer",
    "OrgLayerRef",
    "layer_bundle",
    "layer_cache_root",
    "layer_code",
    "org_layer_parts",
    "project_org_layer_dir",
    "watch_of",
    "wheelhouse_of",
]
