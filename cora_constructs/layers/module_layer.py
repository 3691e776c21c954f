"""ModuleLayer: a functional module's own layer, built exactly like the org layer."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cora_constructs import naming
from cora_constructs.errors import CoraValidationError, Violation
from cora_constructs.functions.source_check import escaping_link_problems
from cora_constructs.layers.bundling import ComposedLayer, LayerSource, layer_fingerprint
from cora_constructs.layers.org_layer import layer_bundle, layer_code, watch_of
from cora_constructs.stack import project_of


class ModuleLayer(Construct):
    """``packages/module-<name>/backend/layers/<layer>/``: the module's shared code
    (``python/<package>/``) and third-party packages (``requirements.txt``), bundled locally
    for ``manylinux2014_x86_64`` / CPython 3.11 with the org layer's pip command, ELF check,
    content hash, per-user cache and wheelhouse option; attached after the org layer.

    :param source: the layer folder (absolute, or relative to the project root).
    :param module: the module it belongs to (names the layer version).
    """

    def __init__(self, scope: Construct, construct_id: str, *, source: str | Path, module: str) -> None:
        super().__init__(scope, construct_id)
        project = project_of(self)
        folder = Path(source) if Path(source).is_absolute() else project.root / source
        self.source = project.relative(folder, self.node.path)
        self.name = folder.name
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
        if problems:
            raise CoraValidationError(problems)
        layer = ComposedLayer.of([LayerSource(folder, label=f"module layer {self.source}")])
        self.requirements = layer.parts[0].requirements
        self.fingerprint = layer_fingerprint(layer)
        self.bundle = layer_bundle(self, layer, project, fingerprint=self.fingerprint)
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


def module_layer_folders(layers_dir: Path) -> list[Path]:
    """The layer folders of a module (``backend/layers/*/``), sorted: their attach order."""
    if not layers_dir.is_dir():
        return []
    return sorted(p for p in layers_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))
