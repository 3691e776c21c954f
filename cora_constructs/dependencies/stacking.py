"""A layer resolved on top of the layers below it: Lambda unpacks a function's layers in order
into one folder (``/opt/python``), so they are one stack and are built as one.

For a layer (a module layer, or a function's dependency layer) and the layers below it (the
org layer first):

- :func:`provided_below`: every distribution the layers below hold, read from the
  ``*.dist-info`` folders of their bundles, each with the requirement line that brought it
  (``layers/org_common/requirements.txt:2 `supabase==2.27.0```, or "a dependency of" one). The
  lowest layer providing a distribution is the one Lambda loads it from.
- :func:`conflicts`: a requirement line the version below does not satisfy is CORA-L13, one
  problem naming both lines and the fix (the layers below win: the org layer's pins are the
  tested ones).
- :func:`constraints_text`: ``name==version`` of everything below, for pip's ``-c``: pip then
  resolves the layer to exactly those versions (a transitive requirement they cannot meet fails
  the pip run, reported as one CORA-L13 too).
- :func:`drop_provided`: after pip ran, every distribution provided below is removed from the
  layer's bundle (same name, and by the constraints the same version), so no distribution is in
  two layers of a function.
- :func:`overlaps`: a top-level package (a first-party ``python/<pkg>/`` or a module) of the
  layer that a layer below also ships is CORA-L10, once per pair of layers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import InvalidMarker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from cora_constructs.dependencies.distributions import (
    Distribution,
    dependency_graph,
    installed_distributions,
    pulled_in_by,
    remove_distribution,
)
from cora_constructs.dependencies.requirements import normalise_distribution, requirement_name
from cora_constructs.errors import Violation

CONFLICT = "CORA-L13"
LAYER_OVERLAP = "CORA-L10"

TARGET_MARKERS = {
    "python_version": "3.11",
    "python_full_version": "3.11.9",
    "implementation_name": "cpython",
    "implementation_version": "3.11.9",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
    "extra": "",
}
"""Environment markers of Lambda's python3.11 x86_64 runtime."""


@dataclass(frozen=True)
class RequirementSite:
    """One requirement line and where it is: ``shown`` is the project-relative file."""

    file: Path
    shown: str
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.shown}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where} `{self.text}`"


@dataclass(frozen=True)
class LowerLayer:
    """A layer below the one being built: its label (``org layer``), its bundle's ``python/``
    folder, its requirement lines and the fingerprint of its inputs."""

    label: str
    python_dir: Path
    requirements: tuple[RequirementSite, ...]
    fingerprint: str


@dataclass(frozen=True)
class Provided:
    """A distribution a layer below holds, and why it is there."""

    name: str
    version: str
    layer: str
    direct: RequirementSite | None
    via: tuple[RequirementSite, ...] = ()

    @property
    def origin(self) -> str:
        """``layers/org_common/requirements.txt:2 `supabase==2.27.0``` or a dependency of one."""
        if self.direct is not None:
            return str(self.direct)
        if self.via:
            return "a dependency of " + ", ".join(str(site) for site in self.via)
        return f"part of the {self.layer}"


def requirement_sites(
    file: Path, shown: str, lines: Iterable[tuple[int, str]]
) -> tuple[RequirementSite, ...]:
    return tuple(RequirementSite(file, shown, number, text) for number, text in lines)


_PROVIDED: dict[tuple[str, ...], dict[str, Provided]] = {}


def provided_below(lower: Sequence[LowerLayer]) -> dict[str, Provided]:
    """Normalised name -> what the layers below provide (the lowest layer wins). Cached by the
    layers' fingerprints: one read per stack, however many functions share it."""
    key = tuple(f"{layer.fingerprint}@{layer.python_dir}" for layer in lower)
    cached = _PROVIDED.get(key)
    if cached is not None:
        return cached
    provided: dict[str, Provided] = {}
    for layer in lower:
        dists = installed_distributions(layer.python_dir)
        graph = dependency_graph(dists)
        direct = {name: site for site in layer.requirements if (name := requirement_name(site.text))}
        for dist in dists:
            if dist.key in provided:
                continue
            via = tuple(direct[root] for root in pulled_in_by(dist.key, direct, graph) if root in direct)
            provided[dist.key] = Provided(dist.name, dist.version, layer.label, direct.get(dist.key), via)
    _PROVIDED[key] = provided
    return provided


def _parse(text: str) -> Requirement | None:
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def applies(requirement: Requirement) -> bool:
    """Whether a requirement's environment marker holds on Lambda's python3.11 x86_64."""
    if requirement.marker is None:
        return True
    try:
        return requirement.marker.evaluate(dict(TARGET_MARKERS))
    except (InvalidMarker, ValueError):
        return True


def satisfies(version: str, requirement: Requirement) -> bool:
    try:
        return requirement.specifier.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return True  # not a version pip would compare either: let pip decide


def conflicts(
    sites: Sequence[RequirementSite], below: Mapping[str, Provided], layer_label: str
) -> list[Violation]:
    """CORA-L13 for every requirement line a distribution below does not satisfy."""
    problems: list[Violation] = []
    for site in sites:
        requirement = _parse(site.text)
        if requirement is None or not applies(requirement):
            continue
        provided = below.get(normalise_distribution(requirement.name))
        if provided is None or satisfies(provided.version, requirement):
            continue
        problems.append(conflict_violation(site, requirement, provided, layer_label))
    return problems


def conflict_violation(
    site: RequirementSite, requirement: Requirement, provided: Provided, layer_label: str
) -> Violation:
    name, version = provided.name, provided.version
    pinned_at = provided.direct.where if provided.direct else provided.origin
    change = f", or change {pinned_at} for every function that uses it."
    if "(cora-constructs " in pinned_at:
        change = "; that pin ships with cora-constructs and moves only with a cora-constructs upgrade."
    return Violation(
        CONFLICT,
        site.where,
        f"`{site.text}` ({layer_label}) asks for {name} {requirement.specifier}, but the "
        f"{provided.layer} below it already provides {name} {version} ({provided.origin}). A "
        "function's layers unpack into one folder, so one version ships, and the layer below "
        f"wins. Fix: accept {name} {version} at {site.where} (e.g. `{name}>={version}`, or drop "
        f"the line to take the {provided.layer}'s){change}",
    )


def constraints_text(below: Mapping[str, Provided]) -> str:
    """A pip constraints file pinning everything below, sorted."""
    return "".join(f"{p.name}=={p.version}\n" for _key, p in sorted(below.items()))


def drop_provided(site: Path, below: Mapping[str, Provided]) -> list[Distribution]:
    """Remove from ``site`` every distribution the layers below provide; return them."""
    dropped = [dist for dist in installed_distributions(site) if dist.key in below]
    for dist in dropped:
        remove_distribution(dist, site)
    return dropped


def top_level_entries(folder: Path) -> dict[str, tuple[str, Path]]:
    """Top-level names a ``python/`` folder makes importable: name -> (kind, path), kind being
    ``package``, ``module`` or ``namespace`` (a folder without ``__init__``, merged when
    unpacked). ``*.dist-info``, ``bin`` and caches are not importable names."""
    found: dict[str, tuple[str, Path]] = {}
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return found
    for entry in entries:
        name = entry.name
        if name in ("__pycache__", "bin") or name.endswith((".dist-info", ".egg-info", ".pth")):
            continue
        if entry.is_dir(follow_symlinks=False):
            if name.isidentifier():
                kind = "package" if _has_init(entry.path) else "namespace"
                found.setdefault(name, (kind, Path(entry.path)))
        else:
            stem = name.split(".", 1)[0]
            if name.endswith((".py", ".so")) and stem.isidentifier():
                found.setdefault(stem, ("module", Path(entry.path)))
    return found


def _has_init(folder: str) -> bool:
    try:
        return any(entry.name.startswith("__init__.") for entry in os.scandir(folder))
    except OSError:
        return False


def overlaps(
    upper: tuple[str, Path], lower: Sequence[tuple[str, Path]], *, where: str = ""
) -> list[Violation]:
    """CORA-L10 once per pair of layers: the top-level packages ``upper`` (label, ``python/``)
    shares with a layer below. Namespace folders merge when unpacked: their contents are
    compared instead, recursively. ``where`` is the path reported (default: the label)."""
    problems: list[Violation] = []
    for label, folder in lower:
        shared: list[str] = []
        _compare(upper[1], folder, "", shared)
        if shared:
            names = ", ".join(shared[:6]) + (f" and {len(shared) - 6} more" if len(shared) > 6 else "")
            problems.append(
                Violation(
                    LAYER_OVERLAP,
                    where or upper[0],
                    f"{names} {'is' if len(shared) == 1 else 'are'} in both {label} and {upper[0]}. "
                    f"Lambda unpacks a function's layers in order into /opt, so {upper[0]}'s files "
                    f"would silently replace {label}'s and functions would run a mix of both. Keep "
                    f"each package in one layer: your own code, rename it (e.g. "
                    f"{shared[0].split('.')[0]}_local) or remove it from {upper[0]}; an installed "
                    f"package, take it from {label} (a layer resolved on top of the layers below "
                    "it, as the apps build module layers, never installs it again).",
                )
            )
    return problems


_PAIRS_CHECKED: set[tuple[Path, Path]] = set()
"""(upper, lower) ``python/`` folders whose overlaps a layer's build checked (and reported)."""


def mark_checked(upper: Path, lower: Sequence[Path]) -> None:
    """Record that the layer in ``upper`` was checked against each folder of ``lower``."""
    _PAIRS_CHECKED.update((upper, folder) for folder in lower)


def unchecked_overlaps(layers: Sequence[tuple[str, Path]], seen: set[tuple[Path, Path]]) -> list[Violation]:
    """CORA-L10 for the pairs of a function's layers (in order) that no layer build checked (a
    module layer built without the layers below it): each pair once per ``seen`` (one per stack)."""
    problems: list[Violation] = []
    for index, (label, folder) in enumerate(layers):
        for lower_label, lower in layers[:index]:
            pair = (folder, lower)
            if pair in _PAIRS_CHECKED or pair in seen:
                continue
            seen.add(pair)
            problems += overlaps((label, folder), [(lower_label, lower)])
    return problems


def _compare(upper: Path, lower: Path, prefix: str, shared: list[str]) -> None:
    mine, theirs = top_level_entries(upper), top_level_entries(lower)
    for name in sorted(set(mine) & set(theirs)):
        if mine[name][0] == "namespace" and theirs[name][0] == "namespace":
            _compare(mine[name][1], theirs[name][1], f"{prefix}{name}.", shared)
        else:
            shared.append(f"{prefix}{name}")
