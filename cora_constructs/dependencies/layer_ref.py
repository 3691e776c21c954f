"""A built layer as the layers above it and the functions using it see it (no CDK import).

The constructs (:class:`~cora_constructs.OrgLayer`, :class:`~cora_constructs.ModuleLayer`, a
function's dependency layer) each expose one :class:`LayerRef`; functions and the layers
above read what they need from it, so neither package imports the other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cora_constructs import packaged
from cora_constructs.dependencies.sizes import BundleSize
from cora_constructs.dependencies.stacking import LowerLayer, RequirementSite

ORG_LAYER_LABEL = "org layer"
DEPENDENCY_LAYER_LABEL = "dependency layer"
DEPENDENCY_LAYER_NAME = "{stack}-deps-{hash}"
"""How a dependency layer version is named (``{hash}``: the first 8 characters of its content
hash), so `cora audit` can tell it is attached last."""
DEPENDENCY_LAYER_MARK = "-deps-"


def dependency_layer_name(stack: str, content_hash: str) -> str:
    return DEPENDENCY_LAYER_NAME.format(stack=stack, hash=content_hash[:8])[:140]


@dataclass(frozen=True)
class LayerWatch:
    """What a deploy workflow must watch for a layer: the project folders it is built from,
    and whether part of it comes from the installed cora-constructs package (then the project's
    dependency files, where the package version is pinned, are watched too)."""

    folders: tuple[str, ...] = ()
    packaged: bool = False

    @classmethod
    def of(cls, paths: Sequence[Path], root: Path) -> LayerWatch:
        folders: list[str] = []
        from_package = False
        for path in paths:
            resolved = path.resolve()
            if packaged.is_installed_path(resolved) or not resolved.is_relative_to(root):
                from_package = True
            else:
                folders.append(resolved.relative_to(root).as_posix())
        return cls(tuple(dict.fromkeys(folders)), from_package)

    def __add__(self, other: LayerWatch) -> LayerWatch:
        return LayerWatch(tuple(dict.fromkeys(self.folders + other.folders)), self.packaged or other.packaged)


@dataclass(frozen=True)
class LayerRef:
    """One layer of a function's stack.

    ``layer_version`` is the CDK ``ILayerVersion``; ``python_dir`` the bundle's ``python/``
    folder (None when it is not built in this synth: its contents are then unknown);
    ``requirements`` its requirement lines with file and line; ``fingerprint`` the hash of its
    inputs (the layers above include it in theirs); ``size`` its unzipped size when built.
    """

    layer_version: Any
    watch: LayerWatch
    python_dir: Path | None = None
    requirements_files: tuple[Path, ...] = ()
    label: str = "layer"
    fingerprint: str = ""
    size: BundleSize | None = None
    requirements: tuple[RequirementSite, ...] = ()
    known_arn: str | None = None
    """The layer version's ARN when Python already holds it (e.g. the SSM parameter's token)."""

    @property
    def arn(self) -> str:
        """The layer version's ARN (a token), read from the CDK only when not already known."""
        return self.known_arn if self.known_arn is not None else str(self.layer_version.layer_version_arn)

    def lower(self) -> LowerLayer | None:
        """This layer as a layer below another one (None when it is not built)."""
        if self.python_dir is None:
            return None
        return LowerLayer(self.label, self.python_dir, self.requirements, self.fingerprint)


@dataclass(frozen=True)
class OrgLayerRef(LayerRef):
    """The org layer as a function sees it: the bottom of every function's layer stack."""

    label: str = ORG_LAYER_LABEL


@cache
def project_paths(root: Path) -> Callable[[Path], str]:
    """How messages name a path: relative to the project root, or inside cora-constructs (one
    function per root, remembering what it has shown: every function of an app asks)."""

    @cache
    def show(path: Path) -> str:
        resolved = path.resolve()
        if resolved.is_relative_to(root) and not packaged.is_installed_path(resolved):
            return resolved.relative_to(root).as_posix()
        if resolved.is_relative_to(packaged.PACKAGE_DIR.parent):
            inside = resolved.relative_to(packaged.PACKAGE_DIR.parent).as_posix()
            return f"{inside} (cora-constructs {packaged.version()})"
        return str(path)

    return show


def lower_layers(refs: Sequence[LayerRef]) -> list[LowerLayer] | None:
    """The refs as layers below (None when one of them is not built)."""
    out = []
    for ref in refs:
        lower = ref.lower()
        if lower is None:
            return None
        out.append(lower)
    return out
