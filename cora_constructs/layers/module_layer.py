"""ModuleLayer: a functional module's own layer, built like the org layer, on top of it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cora_constructs import naming
from cora_constructs.dependencies.binaries import escaping_link_problems
from cora_constructs.dependencies.bundle import ComposedLayer, LayerSource, layer_fingerprint
from cora_constructs.dependencies.layer_ref import LayerRef, project_paths
from cora_constructs.dependencies.sizes import (
    MAX_UNZIPPED_BYTES,
    TOO_LARGE,
    bundle_size,
    folder_bytes,
    megabytes,
    package_bytes,
)
from cora_constructs.errors import CoraValidationError, Violation
from cora_constructs.layers.org_layer import layer_bundle, layer_code, watch_of
from cora_constructs.stack import project_of


class ModuleLayer(Construct):
    """``packages/module-<name>/backend/layers/<layer>/``: the module's shared code
    (``python/<package>/``) and third-party packages (``requirements.txt``), bundled locally
    for ``manylinux2014_x86_64`` / CPython 3.11 with the org layer's pip command, ELF check,
    content hash, per-user cache and wheelhouse option; attached after the org layer.

    It is resolved on top of the layers ``below`` it (the org layer, then the module's earlier
    layers): their distributions are pip constraints, what they provide is not installed again,
    a requirement they cannot satisfy fails the synth naming both lines (CORA-L13), and a
    package one of them ships too is CORA-L10. Their fingerprints are part of this layer's, so
    a new org pin rebuilds it.

    :param source: the layer folder (absolute, or relative to the project root).
    :param module: the module it belongs to (names the layer version).
    :param below: the layers under it, lowest first (``OrgLayer.ref`` / ``OrgLayer.from_ssm``,
        then earlier ``ModuleLayer.ref``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: str | Path,
        module: str,
        below: Sequence[LayerRef] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        project = project_of(self)
        folder = Path(source) if Path(source).is_absolute() else project.root / source
        self.source = project.relative(folder, self.node.path)
        self.name = folder.name
        label = f"module layer {self.source}"
        problems = escaping_link_problems(folder, self.node.path, what="layer")
        if not (folder / "python").is_dir() and not (folder / "requirements.txt").is_file():
            problems.append(
                Violation(
                    "CORA-F1",
                    self.node.path,
                    f"the module layer {self.source} holds neither python/<package>/ nor "
                    "requirements.txt: add one, or remove the folder.",
                )
            )
        own = folder_bytes(folder / "python") if (folder / "python").is_dir() else 0
        if own > MAX_UNZIPPED_BYTES:
            largest = ", ".join(
                f"{name} {megabytes(size)}" for name, size in package_bytes(folder / "python")[:5]
            )
            problems.append(
                Violation(
                    TOO_LARGE,
                    self.source,
                    f"{label} alone unzips to {own:,} bytes ({megabytes(own)}; largest: {largest}), over "
                    f"Lambda's limit of {MAX_UNZIPPED_BYTES:,} bytes (250 MiB) for a function and all its "
                    "layers, so no function could use it. Fix: keep data files out of the layer "
                    "(S3, or the functions that read them), or split it.",
                )
            )
        if problems:
            raise CoraValidationError(problems)
        layer = ComposedLayer.of([LayerSource(folder, label=label)])
        self.requirements = layer.parts[0].requirements
        self.fingerprint = layer_fingerprint(layer, [ref.fingerprint for ref in below])
        self.bundle = layer_bundle(
            self, layer, project, below=below, fingerprint=self.fingerprint, where=self.source
        )
        self.python_dir = self.bundle / "python" if self.bundle else None
        self.watch = watch_of(layer.parts, project.root)
        stack_name = naming.stack_name(project.project, project.environment, module)
        self.layer_version = lambda_.LayerVersion(
            self,
            "Layer",
            layer_version_name=f"{stack_name}-{naming.slug(self.name)}",
            code=layer_code(self.bundle, layer, self.fingerprint),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_11],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description=f"Module layer {self.source}, python3.11 manylinux2014_x86_64",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.ref = LayerRef(
            self.layer_version,
            self.watch,
            self.python_dir,
            (self.requirements,),
            label=label,
            fingerprint=self.fingerprint,
            size=bundle_size(self.bundle) if self.bundle else None,
            requirements=layer.requirement_sites(project_paths(project.root)),
        )


def module_layer_folders(layers_dir: Path) -> list[Path]:
    """The layer folders of a module (``backend/layers/*/``), sorted: their attach order."""
    if not layers_dir.is_dir():
        return []
    return sorted(p for p in layers_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))
