"""The cloud assembly as the rules see it: each stack's template, construct paths, construct
metadata and file assets, read as plain JSON through the shared reader (no aws_cdk, no jsii).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Self, TypeVar, cast

from cora_constructs.assembly.errors import CloudAssemblyError
from cora_constructs.assembly.reader import (
    STACK_ARTIFACT,
    _load_json,
    stack_artifacts,
)

if TYPE_CHECKING:
    from cora_constructs.compliance.routes import RouteIndex

ASSET_MANIFEST_ARTIFACT = "cdk:asset-manifest"
LOGICAL_ID_METADATA = "aws:cdk:logicalId"
Resource = Mapping[str, object]
# ``isinstance(value, (dict, Mapping))`` below: a parsed JSON object is a dict, which answers at
# once; the Mapping check alone goes through the ABC machinery for every resource and entry.
MetadataEntries = Mapping[str, Sequence[Mapping[str, object]]]
T = TypeVar("T")


class _Derives:
    """A view that keeps what the rules derive from it: the template never changes under a check.

    ``memo(derive)`` is ``derive(self)``, computed once per view: on a stack, an index a rule
    builds from the template instead of scanning every resource for each resource it checks; on
    a resource, e.g. where the function's code comes from, which three rules read."""

    def memo(self, derive: Callable[[Self], T]) -> T:
        memo = self._memo
        if derive not in memo:
            memo[derive] = derive(self)
        return cast(T, memo[derive])

    @cached_property
    def _memo(self) -> dict[Callable[[Self], object], object]:
        return {}


@dataclass(frozen=True)
class StackView(_Derives):
    """One stack: its template and what the assembly says about its constructs.

    ``construct_metadata`` maps construct paths (``Stack/Fn``, no leading slash) to the metadata
    entries CDK wrote for them (acknowledgements, logical ids, custom resource markers).
    """

    name: str
    stack_id: str
    template_file: Path
    directory: Path
    template: Mapping[str, object]
    construct_metadata: MetadataEntries
    assets: Mapping[str, Path]

    @cached_property
    def resources(self) -> Mapping[str, Resource]:
        resources = self.template.get("Resources")
        if not isinstance(resources, Mapping):
            return {}
        return {key: value for key, value in resources.items() if isinstance(value, (dict, Mapping))}

    @cached_property
    def parameters(self) -> Mapping[str, Resource]:
        parameters = self.template.get("Parameters")
        if not isinstance(parameters, Mapping):
            return {}
        return {key: value for key, value in parameters.items() if isinstance(value, Mapping)}

    @cached_property
    def _paths_from_manifest(self) -> Mapping[str, str]:
        paths: dict[str, str] = {}
        for path, entries in self.construct_metadata.items():
            for entry in entries:
                logical_id = entry.get("data")
                if entry.get("type") == LOGICAL_ID_METADATA and isinstance(logical_id, str):
                    paths.setdefault(logical_id, path)
        return paths

    def path_of(self, logical_id: str) -> str:
        """The construct path of a resource: its ``aws:cdk:path``, else the assembly's record of
        its logical id, else ``stack/logical id``."""
        resource = self.resources.get(logical_id, {})
        metadata = resource.get("Metadata")
        if isinstance(metadata, (dict, Mapping)):
            path = metadata.get("aws:cdk:path")
            if isinstance(path, str) and path:
                return path
        return self._paths_from_manifest.get(logical_id, f"{self.stack_id}/{logical_id}")

    def type_of(self, logical_id: str | None) -> str | None:
        if logical_id is None:
            return None
        kind = self.resources.get(logical_id, {}).get("Type")
        return kind if isinstance(kind, str) else None

    @cached_property
    def _by_type(self) -> Mapping[object, list[tuple[str, Resource]]]:
        by_type: dict[object, list[tuple[str, Resource]]] = {}
        for key, value in sorted(self.resources.items()):
            by_type.setdefault(value.get("Type"), []).append((key, value))
        return by_type

    def of_type(self, kind: str) -> list[tuple[str, Resource]]:
        """The resources of one type, by logical id (the stack's resources are grouped by type
        once)."""
        return list(self._by_type.get(kind, ()))

    def metadata_types(self, path: str) -> set[str]:
        """The metadata entry types CDK recorded on one construct path."""
        return {str(entry.get("type")) for entry in self.construct_metadata.get(path, ())}


@dataclass
class AssemblyView:
    """Every stack of one cloud assembly; ``project_root`` is where ``cora:source`` folders live
    (None when unknown: the rules that need the sources then say "could not be validated")."""

    directory: Path
    stacks: list[StackView]
    project_root: Path | None = None
    extra_metadata: MetadataEntries = field(default_factory=dict)
    hashed_sources: frozenset[tuple[str, str]] = frozenset()
    """``(asset hash, cora:source)`` pairs the process that wrote the assembly hashed from the
    folders' bytes and checked (see :func:`~cora_constructs.functions.packaging.hashed_sources`):
    CORA-L5 and L6 take those assets as their folders without reading either."""

    def hashed_from(self, asset_hash: str | None, source: object) -> bool:
        """Whether the asset ``asset_hash`` was hashed from the folder ``source`` by the synth."""
        return asset_hash is not None and (asset_hash, source) in self.hashed_sources

    def path_of(self, stack_name: str, logical_id: str) -> str:
        """The construct path of a resource of any stack of the assembly."""
        stack = next((s for s in self.stacks if s.name == stack_name), None)
        return stack.path_of(logical_id) if stack is not None else f"{stack_name}/{logical_id}"

    @cached_property
    def routes(self) -> RouteIndex:
        from cora_constructs.compliance.routes import RouteIndex

        return RouteIndex.build(self.stacks)


@dataclass(frozen=True)
class ResourceView(_Derives):
    """One resource of one stack, with everything a rule may look at."""

    assembly: AssemblyView
    stack: StackView
    logical_id: str
    resource: Resource

    # Read once per view: the rules never change the template, and every rule reads these.
    @cached_property
    def type(self) -> str:
        kind = self.resource.get("Type")
        return kind if isinstance(kind, str) else ""

    @cached_property
    def properties(self) -> Mapping[str, object]:
        properties = self.resource.get("Properties")
        return properties if isinstance(properties, (dict, Mapping)) else {}

    @cached_property
    def metadata(self) -> Mapping[str, object]:
        metadata = self.resource.get("Metadata")
        return metadata if isinstance(metadata, (dict, Mapping)) else {}

    @cached_property
    def path(self) -> str:
        return self.stack.path_of(self.logical_id)

    @cached_property
    def has_cora(self) -> bool:
        """Whether the resource carries the ``cora:*`` intent of a StandardLambda."""
        return any(key.startswith("cora:") for key in self.metadata)

    def cora(self, key: str) -> object:
        return self.metadata.get(f"cora:{key}")

    def other(self, logical_id: str) -> ResourceView | None:
        """Another resource of the same stack."""
        resource = self.stack.resources.get(logical_id)
        return None if resource is None else ResourceView(self.assembly, self.stack, logical_id, resource)


def load_assembly(
    cdk_out: Path,
    project_root: Path | None = None,
    extra_metadata: MetadataEntries | None = None,
    hashed_sources: Iterable[tuple[str, str]] = (),
) -> AssemblyView:
    """Every stack of the assembly in ``cdk_out`` (nested stage assemblies included);
    ``extra_metadata``: construct metadata the assembly does not hold (the app's own).

    Raises CloudAssemblyError when it has no manifest, or when a manifest or template cannot be
    read: a check that skipped a stack would pass for the wrong reason.
    """
    if not (cdk_out / "manifest.json").is_file():
        raise CloudAssemblyError(
            f"no cloud assembly in {cdk_out}: manifest.json is missing (run `cdk synth`, or pass CDK_OUT)"
        )
    problems: list[str] = []
    stacks: list[StackView] = []
    pending, seen = [cdk_out], set()
    while pending:
        directory = pending.pop(0)
        if directory.resolve() in seen:
            continue
        seen.add(directory.resolve())
        manifest = _load_json(directory / "manifest.json", "cloud assembly manifest", problems)
        if manifest is None:
            continue
        found, nested = _stacks_of(manifest, directory, problems)
        stacks.extend(found)
        pending.extend(nested)
    if problems:
        raise CloudAssemblyError(problems)
    return AssemblyView(cdk_out, stacks, project_root, dict(extra_metadata or {}), frozenset(hashed_sources))


def load_templates(
    template_files: Iterable[Path],
    project_root: Path | None = None,
    extra_metadata: MetadataEntries | None = None,
) -> AssemblyView:
    """The stacks of the given templates (what a validation plugin receives), with what their
    assembly's manifest says about them; a template no manifest lists is read on its own."""
    problems: list[str] = []
    wanted = [path.resolve() for path in template_files]
    by_directory: dict[Path, dict[Path, StackView]] = {}
    stacks: list[StackView] = []
    for template_file in wanted:
        directory = template_file.parent
        if directory not in by_directory:
            manifest = _load_json(directory / "manifest.json", "cloud assembly manifest", [])
            found = _stacks_of(manifest, directory, problems)[0] if manifest else []
            by_directory[directory] = {stack.template_file.resolve(): stack for stack in found}
        stack = by_directory[directory].get(template_file)
        if stack is None:
            template = _load_json(template_file, "template", problems)
            if template is None:
                continue
            name = template_file.name.removesuffix(".template.json")
            stack = StackView(name, name, template_file, directory, template, {}, {})
        stacks.append(stack)
    if problems:
        raise CloudAssemblyError(problems)
    root = _assembly_root(wanted[0].parent) if wanted else Path()
    return AssemblyView(root, stacks, project_root, dict(extra_metadata or {}))


def _assembly_root(directory: Path) -> Path:
    """The top cloud assembly above a (possibly nested, ``assembly-*``) assembly directory."""
    while directory.name.startswith("assembly-") and (directory.parent / "manifest.json").is_file():
        directory = directory.parent
    return directory


def _stacks_of(
    manifest: Mapping[str, object], directory: Path, problems: list[str]
) -> tuple[list[StackView], list[Path]]:
    found, nested, manifest_problems = stack_artifacts(manifest, directory)
    problems.extend(manifest_problems)
    artifacts = manifest.get("artifacts")
    artifacts = artifacts if isinstance(artifacts, Mapping) else {}
    assets = _asset_sources(artifacts, directory, problems)
    by_template: dict[str, Mapping[str, object]] = {}
    for artifact in artifacts.values():
        if isinstance(artifact, Mapping) and artifact.get("type") == STACK_ARTIFACT:
            properties = artifact.get("properties")
            if isinstance(properties, Mapping) and isinstance(properties.get("templateFile"), str):
                by_template[str(properties["templateFile"])] = artifact
    stacks: list[StackView] = []
    for stack in found:
        template = _load_json(stack.template_file, f"template of stack {stack.stack_name}", problems)
        if template is None:
            continue
        artifact = by_template.get(stack.template_file.name, {})
        metadata = _construct_metadata(artifact, directory, stack.stack_name, problems)
        stacks.append(
            StackView(
                stack.stack_name, stack.stack_id, stack.template_file, directory, template, metadata, assets
            )
        )
    return stacks, nested


def _construct_metadata(
    artifact: Mapping[str, object], directory: Path, stack_name: str, problems: list[str]
) -> MetadataEntries:
    metadata: object = artifact.get("metadata")
    extra = artifact.get("additionalMetadataFile")
    if not isinstance(metadata, Mapping) and isinstance(extra, str):
        metadata = _load_json(directory / extra, f"metadata of stack {stack_name}", problems)
    if not isinstance(metadata, Mapping):
        return {}
    return {
        str(path).lstrip("/"): [entry for entry in entries if isinstance(entry, (dict, Mapping))]
        for path, entries in metadata.items()
        if isinstance(entries, list)
    }


def _asset_sources(artifacts: Mapping[str, object], directory: Path, problems: list[str]) -> dict[str, Path]:
    """File asset hash -> the staged folder or file in the assembly, from every asset manifest."""
    sources: dict[str, Path] = {}
    for artifact_id in sorted(artifacts):
        artifact = artifacts[artifact_id]
        if not isinstance(artifact, Mapping) or artifact.get("type") != ASSET_MANIFEST_ARTIFACT:
            continue
        properties = artifact.get("properties")
        file = properties.get("file") if isinstance(properties, Mapping) else None
        if not isinstance(file, str):
            continue
        asset_manifest = _load_json(directory / file, f"asset manifest {artifact_id}", problems)
        files = asset_manifest.get("files") if asset_manifest else None
        for asset_hash, asset in (files if isinstance(files, Mapping) else {}).items():
            source = asset.get("source") if isinstance(asset, Mapping) else None
            path = source.get("path") if isinstance(source, Mapping) else None
            if isinstance(path, str):
                sources[str(asset_hash)] = directory / path
    return sources
