"""What a bundle holds, read from its ``*.dist-info`` folders (no pip run)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from cora_constructs.dependencies.requirements import normalise_distribution

_REQUIRES_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Distribution:
    """One installed distribution: its name and version, its ``dist-info`` folder, the files
    its RECORD lists, the distributions it requires (any extra included) and its top-level
    import names."""

    name: str
    version: str
    dist_info: Path
    files: tuple[Path, ...]
    requires: tuple[str, ...]
    top_level: tuple[str, ...]

    @property
    def key(self) -> str:
        """The PEP 503 normalised name (``pydantic-core``)."""
        return normalise_distribution(self.name)


def installed_distributions(site: Path) -> list[Distribution]:
    """Every ``*.dist-info`` in ``site``: name, version, files (RECORD), requirements."""
    found: list[Distribution] = []
    for dist_info in sorted(site.glob("*.dist-info")):
        metadata_file = dist_info / "METADATA"
        headers = HeaderParser().parsestr(
            metadata_file.read_text(encoding="utf-8", errors="replace") if metadata_file.is_file() else ""
        )
        stem_name, _, stem_version = dist_info.name[: -len(".dist-info")].partition("-")
        requires = []
        for spec in headers.get_all("Requires-Dist") or []:
            match = _REQUIRES_NAME.match(spec)
            if match:
                requires.append(normalise_distribution(match.group(1)))
        files: list[Path] = []
        record = dist_info / "RECORD"
        if record.is_file():
            for row in record.read_text(encoding="utf-8", errors="replace").splitlines():
                relative = row.split(",", 1)[0].strip().strip('"')
                if relative and not relative.startswith(".."):
                    files.append(site / relative)
        top_level_file = dist_info / "top_level.txt"
        top_level = (
            tuple(t.strip() for t in top_level_file.read_text().splitlines() if t.strip())
            if top_level_file.is_file()
            else ()
        )
        found.append(
            Distribution(
                headers.get("Name") or stem_name,
                headers.get("Version") or stem_version,
                dist_info,
                tuple(files),
                tuple(dict.fromkeys(requires)),
                top_level,
            )
        )
    return found


def versions(site: Path) -> dict[str, str]:
    """Normalised name -> version of every distribution in ``site``."""
    return {dist.key: dist.version for dist in installed_distributions(site)}


def remove_distribution(dist: Distribution, site: Path) -> None:
    """Delete every file of ``dist`` (its RECORD), its ``dist-info`` and folders left empty."""
    for file in dist.files:
        if file.is_file() or file.is_symlink():
            file.unlink()
    shutil.rmtree(dist.dist_info, ignore_errors=True)
    folders = {f.parent for f in dist.files}
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        while folder != site and folder.is_relative_to(site) and folder.is_dir():
            leftovers = [p for p in folder.iterdir() if p.name != "__pycache__"]
            if leftovers:
                break
            shutil.rmtree(folder, ignore_errors=True)
            folder = folder.parent


def pulled_in_by(key: str, roots: Iterable[str], graph: Mapping[str, Sequence[str]]) -> list[str]:
    """The ``roots`` (normalised names) whose dependencies, transitively, include ``key``."""
    out = []
    for root in roots:
        seen, stack = {root}, [root]
        while stack:
            children = graph.get(stack.pop(), ())
            if key in children:
                out.append(root)
                break
            for child in children:
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    return sorted(set(out))


def dependency_graph(dists: Iterable[Distribution]) -> dict[str, tuple[str, ...]]:
    return {dist.key: dist.requires for dist in dists}
