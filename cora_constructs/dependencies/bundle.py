"""A layer's bundle, built for Lambda's Linux without Docker on top of the layers below it.

Plain Python (no CDK import): the layer constructs call :func:`bundle_layer`, tests call it
directly. A layer is composed of one or more :class:`LayerSource` parts (the org layer: the
runtime and pinned requirements shipped in cora-constructs, plus the project's own org layer
folder; a module layer: its folder; a function's dependency layer: its ``requirements.txt``).
The bundle is ``python/`` holding the pip-installed requirements of every part for
``manylinux2014_x86_64`` / CPython 3.11 plus each part's own packages.

Stacked (see :mod:`cora_constructs.dependencies.stacking`): given the layers below, pip
resolves with their distributions as constraints, what they provide is dropped from the
bundle, a requirement they cannot satisfy is CORA-L13, a package both ship is CORA-L10. The
bundle's fingerprint covers the layers below, so a new org pin rebuilds the layers above it.

A package name provided by two parts, or a requirement pinned differently by two parts, is a
problem too, never a silent overwrite. Bundles are cached per user by fingerprint
(:mod:`cora_constructs.dependencies.cache`).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cora_constructs import content_cache, defaults
from cora_constructs.dependencies import pip
from cora_constructs.dependencies.binaries import find_escaping_links, find_native_files, iter_files
from cora_constructs.dependencies.cache import (
    COMPLETE_MARKER,
    build_entry,
    cached_entry,
    default_cache_root,
)
from cora_constructs.dependencies.requirements import requirement_lines as parse_requirements
from cora_constructs.dependencies.requirements import requirement_name
from cora_constructs.dependencies.sizes import SIZE_FILE, record_size
from cora_constructs.dependencies.stacking import (
    CONFLICT,
    LowerLayer,
    RequirementSite,
    conflicts,
    constraints_text,
    drop_provided,
    mark_checked,
    overlaps,
    provided_below,
)
from cora_constructs.errors import CoraValidationError, Violation

BUNDLE_FORMAT = "cora-layer-bundle-v3"
BUILD_FAILED = "CORA-F5"
COMPOSITION = "CORA-F1"
ASSET_EXCLUDES = (COMPLETE_MARKER, SIZE_FILE)
"""Files of a cache entry that are not part of the layer."""
_SKIPPED = ("__pycache__", "*.pyc", "*.pyo")

Show = Callable[[Path], str]

__all__ = [
    "ASSET_EXCLUDES",
    "COMPLETE_MARKER",
    "ComposedLayer",
    "LayerBuildError",
    "LayerSource",
    "bundle_layer",
    "cached_bundle",
    "default_cache_root",
    "layer_fingerprint",
]


class LayerBuildError(CoraValidationError):
    """The layer cannot be bundled: ``violations`` names each cause (a pip failure, a conflict
    with a layer below, a package in two layers, a native file Lambda cannot load)."""


def requirement_lines(requirements: Path) -> list[str]:
    """The requirement specifiers of a file (comments and blank lines dropped); none if absent."""
    return [line for _number, line in numbered_lines(requirements)]


def numbered_lines(requirements: Path) -> list[tuple[int, str]]:
    if not requirements.is_file():
        return []
    return parse_requirements(requirements.read_text(encoding="utf-8", errors="replace"))


@dataclass(frozen=True)
class LayerSource:
    """One part of a layer: a ``requirements.txt`` and packages to place under ``python/``.

    A layer folder (``requirements.txt`` + ``python/<package>/``) is ``LayerSource(folder)``;
    ``packages`` lists extra package folders or modules placed under ``python/`` by name (the
    org layer's runtime ships this way, from wherever cora-constructs is installed).
    ``label`` names the part in messages. ``own_python`` False: the folder's ``python/`` is not
    part of it (a function's dependency layer is its requirements only); ``skip``: normalised
    distribution names whose lines are not installed (those the runtime provides).
    """

    root: Path
    packages: tuple[Path, ...] = ()
    requirements_file: Path | None = None
    label: str = ""
    own_python: bool = True
    skip: frozenset[str] = frozenset()

    @property
    def requirements(self) -> Path:
        return self.requirements_file or self.root / "requirements.txt"

    @property
    def python_dir(self) -> Path:
        return self.root / "python"

    @property
    def name(self) -> str:
        return self.label or str(self.root)

    def numbered_lines(self) -> list[tuple[int, str]]:
        return [
            (number, line)
            for number, line in numbered_lines(self.requirements)
            if requirement_name(line) not in self.skip
        ]

    def requirement_lines(self) -> list[str]:
        return [line for _number, line in self.numbered_lines()]

    def entries(self) -> list[Path]:
        """What this part places under ``python/``: its ``python/`` children, then ``packages``."""
        found: list[Path] = []
        if self.own_python and self.python_dir.is_dir():
            found += sorted(
                child
                for child in self.python_dir.iterdir()
                if child.name not in ("__pycache__",) and not child.name.endswith((".pyc", ".pyo"))
            )
        return found + list(self.packages)


@dataclass(frozen=True)
class ComposedLayer:
    """A layer made of several parts, bundled into one ``python/`` folder in order."""

    parts: tuple[LayerSource, ...]
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def of(cls, parts: Iterable[LayerSource]) -> ComposedLayer:
        composed = tuple(parts)
        return cls(composed, tuple(composition_problems(composed)))

    @property
    def label(self) -> str:
        return self.parts[-1].name if self.parts else "layer"

    def requirement_lines(self) -> list[str]:
        """Every part's requirements, each distinct line once, in part order."""
        seen: list[str] = []
        for part in self.parts:
            for line in part.requirement_lines():
                if line not in seen:
                    seen.append(line)
        return seen

    def requirement_sites(self, show: Show = str) -> tuple[RequirementSite, ...]:
        """Every part's requirement lines with their file and line number."""
        return tuple(
            RequirementSite(part.requirements, show(part.requirements), number, line)
            for part in self.parts
            for number, line in part.numbered_lines()
        )


def composition_problems(parts: Sequence[LayerSource]) -> list[str]:
    """A package placed by two parts, or one distribution required differently by two parts."""
    problems: list[str] = []
    for part in parts:
        for link, target in find_escaping_links(part.root) if part.own_python and part.root.is_dir() else ():
            problems.append(
                f"{link} is a symbolic link to {target!r}, outside {part.name}: anything it reaches "
                "would ship in the layer, so links are never followed; copy the file in instead (CORA-L11)."
            )
    placed: dict[str, LayerSource] = {}
    for part in parts:
        for entry in part.entries():
            name = entry.name.removesuffix(".py")
            first = placed.get(name)
            if first is not None and first is not part:
                problems.append(
                    f"package {name!r} is provided by both {first.name} and {part.name}: one layer "
                    "folder holds both, so one would silently replace the other; rename yours "
                    f"(e.g. {name}_local) or drop one."
                )
            placed.setdefault(name, part)
    pinned: dict[str, tuple[str, LayerSource]] = {}
    for part in parts:
        for line in part.requirement_lines():
            distribution = requirement_name(line)
            if distribution is None:
                continue
            first_pin = pinned.get(distribution)
            if first_pin is not None and first_pin[1] is not part and first_pin[0] != line:
                problems.append(
                    f"requirement {distribution!r} is pinned as {first_pin[0]!r} by "
                    f"{first_pin[1].requirements} and as {line!r} by {part.requirements}: the layer "
                    "can hold one version; use "
                    f"{first_pin[0]!r} in both, or drop yours to take the org layer's."
                )
            pinned.setdefault(distribution, (line, part))
    return problems


def _as_composed(source: LayerSource | ComposedLayer) -> ComposedLayer:
    return source if isinstance(source, ComposedLayer) else ComposedLayer.of((source,))


def platform_tag() -> str:
    """Everything about the target that changes the bundle's bytes."""
    return "|".join(
        (
            BUNDLE_FORMAT,
            defaults.PIP_PLATFORM,
            defaults.PIP_IMPLEMENTATION,
            defaults.PYTHON_VERSION,
            defaults.PIP_ABI,
        )
    )


def layer_fingerprint(source: LayerSource | ComposedLayer, below: Sequence[str] = ()) -> str:
    """sha256 of everything that goes into the layer: the target platform, the fingerprints of
    the layers below (their pins decide what this one resolves to), the requirements, and every
    file each part places under ``python/`` (so upgrading cora-constructs changes it)."""
    layer = _as_composed(source)
    files: list[tuple[str, Path]] = []
    for part in layer.parts:
        for entry in part.entries():
            for path in [entry] if entry.is_file() else iter_files(entry):
                if path.suffix in (".pyc", ".pyo"):
                    continue
                relative = (
                    entry.name if path == entry else f"{entry.name}/{path.relative_to(entry).as_posix()}"
                )
                files.append((relative, path))
    # Read and hashed once per content of the files: a layer is fingerprinted by its construct,
    # again when bundled, and in every synth of the process (infra and stack app, tests).
    inputs = [path for _relative, path in files] + [part.requirements for part in layer.parts]
    key = (
        platform_tag(),
        tuple(below),
        tuple((relative, str(path)) for relative, path in files),
        tuple((str(part.requirements), tuple(sorted(part.skip))) for part in layer.parts),
    )
    return content_cache.cached("layer-fingerprint", key, inputs, lambda: _digest(layer, files, below))


def _digest(layer: ComposedLayer, files: Sequence[tuple[str, Path]], below: Sequence[str]) -> str:
    digest = hashlib.sha256()
    digest.update(platform_tag().encode())
    for fingerprint in below:
        digest.update(b"\0below\0" + fingerprint.encode())
    digest.update(b"\0requirements\0")
    digest.update("\n".join(layer.requirement_lines()).encode())
    for relative, path in files:
        digest.update(b"\0file\0" + relative.encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def check_native_files(bundle_python: Path) -> list[str]:
    """One message per native file in the bundle that Lambda's x86-64 Linux cannot load."""
    problems = []
    for path, kind in find_native_files(bundle_python):
        if not kind.is_lambda_compatible:
            rel = path.relative_to(bundle_python.parent).as_posix()
            problems.append(
                f"{rel} is {kind}, not ELF x86-64: Lambda's python3.11 runtime cannot load it. "
                f"Use a manylinux x86_64 wheel of that package (pip --platform "
                f"{defaults.PIP_PLATFORM}) instead of a binary built on another system."
            )
    return problems


def cached_bundle(cache_root: Path, fingerprint: str) -> Path | None:
    """The finished bundle for ``fingerprint`` in the cache, if one exists."""
    return cached_entry(cache_root, fingerprint)


def bundle_layer(
    source: LayerSource | ComposedLayer,
    cache_root: Path,
    *,
    below: Sequence[LowerLayer] = (),
    wheelhouse: Path | None = None,
    runner: pip.Runner = pip.run,
    show: Show = str,
    where: str | None = None,
    fingerprint: str | None = None,
) -> Path:
    """Return a folder holding the bundled layer (``python/``), building it only when the cache
    lacks it, on top of the layers ``below`` (lowest first).

    Raises :class:`LayerBuildError` with every problem: composition (CORA-F1), a requirement
    the layers below cannot satisfy (CORA-L13: pre-checked, or pip's resolution failing on a
    transitive one), pip failures and files Lambda cannot load (CORA-F5), packages shipped by a
    layer below too (CORA-L10). ``show`` turns a path into what messages name (project-relative);
    ``where`` is the path the problems are reported at (default: the layer's label).
    """
    layer = _as_composed(source)
    where = where or layer.label
    if layer.problems:
        raise LayerBuildError(Violation(COMPOSITION, where, p) for p in layer.problems)
    fingerprint = fingerprint or layer_fingerprint(layer, [lower.fingerprint for lower in below])
    hit = cached_bundle(cache_root, fingerprint)
    if hit is not None:
        _raise_overlaps(hit, layer.label, below, where)
        return hit
    provided = provided_below(below)
    sites = layer.requirement_sites(show)
    problems = conflicts(sites, provided, layer.label)
    if problems:
        raise LayerBuildError(problems)
    for part in layer.parts:
        if not part.root.is_dir():
            raise LayerBuildError([Violation(COMPOSITION, where, f"layer folder {part.root} does not exist")])

    def build(work: Path) -> None:
        python_out = work / "python"
        python_out.mkdir()
        lines = layer.requirement_lines()
        if lines:
            requirements = work / "requirements.txt"
            requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")
            constraints = None
            if provided:
                constraints = work / "constraints.txt"
                constraints.write_text(constraints_text(provided), encoding="utf-8")
            result = runner(pip.pip_command(requirements, python_out, wheelhouse, constraints=constraints))
            if result.returncode != 0:
                raise LayerBuildError([_pip_failure(layer, sites, below, result, work, wheelhouse, where)])
            requirements.unlink()
            if constraints is not None:
                constraints.unlink()
            drop_provided(python_out, provided)
            shutil.rmtree(python_out / "bin", ignore_errors=True)
        for part in layer.parts:
            for entry in part.entries():
                _place(entry, python_out, part)
        native = check_native_files(python_out)
        if native:
            raise LayerBuildError(
                [
                    Violation(BUILD_FAILED, where, f"the layer holds files Lambda cannot load: {p}")
                    for p in native
                ]
            )
        record_size(work)

    entry = build_entry(cache_root, fingerprint, build)
    _raise_overlaps(entry, layer.label, below, where)
    return entry


def _raise_overlaps(entry: Path, label: str, below: Sequence[LowerLayer], where: str) -> None:
    lower = [(layer.label, layer.python_dir) for layer in below]
    problems = overlaps((label, entry / "python"), lower, where=where)
    mark_checked(entry / "python", [layer.python_dir for layer in below])
    if problems:
        raise LayerBuildError(problems)


def _pip_failure(
    layer: ComposedLayer,
    sites: Sequence[RequirementSite],
    below: Sequence[LowerLayer],
    result: object,
    work: Path,
    wheelhouse: Path | None,
    where: str,
) -> Violation:
    stderr = str(getattr(result, "stderr", "") or "")
    stdout = str(getattr(result, "stdout", "") or "")
    code = getattr(result, "returncode", 1)
    files = ", ".join(dict.fromkeys(site.shown for site in sites)) or where
    hide = [
        (work / "requirements.txt", files),
        (work / "constraints.txt", "the pins of the layers below"),
        (work, "<build folder>"),
    ]
    output = pip.clean_output(stderr or stdout, hide=hide)
    if below and ("ResolutionImpossible" in output or "conflict is caused by" in output):
        lower = ", ".join(lower.label for lower in below)
        return Violation(
            CONFLICT,
            files,
            f"pip cannot resolve {files} on top of {lower}: a package it needs requires a version "
            f"other than the one a layer below holds.\n{output}\nFix: relax the requirement named "
            "above in this file, or change the pin in the layer below for every function that "
            "uses it (the layers below win).",
        )
    return Violation(
        BUILD_FAILED,
        files,
        f"pip could not install {files} for {defaults.PIP_PLATFORM} / CPython "
        f"{defaults.PYTHON_VERSION} (exit {code}):\n{output}\nFix: pin versions that publish "
        "manylinux2014 x86_64 wheels for CPython 3.11"
        + (
            f", or add them to the wheelhouse {wheelhouse}."
            if wheelhouse
            else ", or pass a wheelhouse (context cora:wheelhouse) holding them."
        ),
    )


def _place(entry: Path, python_out: Path, part: LayerSource) -> None:
    """Copy one package (folder or module) of ``part`` under ``python/``; never overwrite."""
    target = python_out / entry.name
    if target.exists():
        raise LayerBuildError(
            [
                Violation(
                    COMPOSITION,
                    part.name,
                    f"{entry.name} ({part.name}) would replace {target.name!r}, which a requirement of "
                    "the layer already installed: rename your package or drop that requirement.",
                )
            ]
        )
    if entry.is_dir():
        shutil.copytree(entry, target, ignore=shutil.ignore_patterns(*_SKIPPED), symlinks=True)
    else:
        shutil.copy2(entry, target)
