"""The function dependency layer's LayerVersion: one per distinct content per stack."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from cora_constructs import naming
from cora_constructs.dependencies.bundle import ASSET_EXCLUDES
from cora_constructs.dependencies.distributions import installed_distributions
from cora_constructs.dependencies.layer_ref import (
    DEPENDENCY_LAYER_LABEL,
    LayerRef,
    LayerWatch,
    dependency_layer_name,
)
from cora_constructs.functions.packaging import FunctionCode
from cora_constructs.project import ProjectContext

_LAYERS: dict[int, tuple[cdk.Stack, dict[str, LayerRef]]] = {}


def _registry(stack: cdk.Stack) -> dict[str, LayerRef]:
    entry = _LAYERS.get(id(stack))
    if entry is None or entry[0] is not stack:
        entry = (stack, {})
        _LAYERS[id(stack)] = entry
    return entry[1]


def dependency_layer_version(
    stack: cdk.Stack, project: ProjectContext, code: FunctionCode, source: str
) -> LayerRef | None:
    """The dependency layer of a function (None: it needs none).

    Functions of one stack whose remaining distributions are the same share one LayerVersion:
    it is keyed, and its asset hashed, by what the layer holds. A layer not built in this synth
    (a stack that is not being bundled) gets a placeholder asset under a hash of its own, so it
    can never pass for a built one.
    """
    deps = code.dependencies
    if deps is None or not deps.fingerprint:  # none, or it failed (its problems are reported)
        return None
    if deps.bundle is not None and deps.content_hash is not None:
        key, folder, asset_hash = deps.content_hash, deps.bundle, deps.content_hash
        contents = sorted(f"{d.name}=={d.version}" for d in installed_distributions(deps.bundle / "python"))
        held = ", ".join(contents)
        description = f"Dependencies ({held})"
    elif not deps.complete:
        key, folder, asset_hash = deps.fingerprint, code.folder, f"{deps.fingerprint}-unbundled"
        description = f"Dependencies of {source}/requirements.txt (not bundled in this synth)"
    else:
        return None
    layers = _registry(stack)
    ref = layers.get(key)
    if ref is not None:
        return ref
    stack_name = stack.stack_name if not cdk.Token.is_unresolved(stack.stack_name) else "stack"
    if len(description) > 200:
        description = description[:197] + "..."
    layer_version = lambda_.LayerVersion(
        stack,
        f"Dependencies{key[:12]}",
        layer_version_name=dependency_layer_name(naming.slug(stack_name), key),
        code=lambda_.Code.from_asset(
            str(folder),
            asset_hash=asset_hash,
            asset_hash_type=cdk.AssetHashType.CUSTOM,
            exclude=list(ASSET_EXCLUDES),
        ),
        compatible_runtimes=[lambda_.Runtime.PYTHON_3_11],
        compatible_architectures=[lambda_.Architecture.X86_64],
        description=f"{description}, python3.11 manylinux2014_x86_64",
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    ref = LayerRef(
        layer_version,
        LayerWatch(),
        deps.python_dir,
        (code.folder / "requirements.txt",),
        label=DEPENDENCY_LAYER_LABEL,
        fingerprint=deps.fingerprint,
        size=deps.size,
    )
    layers[key] = ref
    return ref
