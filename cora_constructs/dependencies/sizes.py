"""Unzipped sizes, and Lambda's limits checked at synth instead of by a failed deploy.

Lambda allows at most :data:`MAX_LAYERS` layers on a function, and :data:`MAX_UNZIPPED_BYTES`
for the function's code and all its layers unzipped together. Sizes are known for what
cora-constructs builds (the function's folder, the org layer, module layers, dependency
layers); a layer built elsewhere is named as "not counted".
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cora_constructs.errors import Violation

MAX_LAYERS = 5
MAX_UNZIPPED_BYTES = 262_144_000
TOO_MANY_LAYERS = "CORA-L14"
TOO_LARGE = "CORA-L15"
SIZE_FILE = "cora-size.json"
SIZE_METADATA = "cora:size"


def folder_bytes(root: Path, *, skip_dirs: frozenset[str] = frozenset({"__pycache__"})) -> int:
    """The unzipped size of every regular file below ``root`` (links are never followed)."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in skip_dirs]
        for name in filenames:
            path = Path(dirpath, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def package_bytes(python_dir: Path) -> list[tuple[str, int]]:
    """The size of each top-level entry of a layer's ``python/`` folder, largest first."""
    sizes = []
    if python_dir.is_dir():
        for entry in python_dir.iterdir():
            if entry.name == "__pycache__" or entry.name.endswith(".dist-info"):
                continue
            if entry.is_symlink():
                continue
            sizes.append((entry.name, folder_bytes(entry) if entry.is_dir() else entry.stat().st_size))
    return sorted(sizes, key=lambda item: (-item[1], item[0]))


@dataclass(frozen=True)
class BundleSize:
    """A bundle's unzipped size and its largest top-level packages."""

    total: int
    packages: tuple[tuple[str, int], ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"bytes": self.total, "packages": [list(item) for item in self.packages]}


def measure(entry: Path, *, top: int = 10) -> BundleSize:
    """The unzipped size of a built layer (``entry/python``) and its largest packages."""
    python_dir = entry / "python"
    return BundleSize(folder_bytes(python_dir), tuple(package_bytes(python_dir)[:top]))


def record_size(entry: Path) -> BundleSize:
    """Measure a bundle and write it in its entry (``cora-size.json``, excluded from the asset)."""
    size = measure(entry)
    (entry / SIZE_FILE).write_text(json.dumps(size.as_dict()), encoding="utf-8")
    return size


def bundle_size(entry: Path) -> BundleSize:
    """The recorded size of a cache entry, measured when it was not recorded."""
    try:
        data = json.loads((entry / SIZE_FILE).read_text(encoding="utf-8"))
        packages = tuple((str(name), int(size)) for name, size in data["packages"])
        return BundleSize(int(data["bytes"]), packages)
    except (OSError, ValueError, KeyError, TypeError):
        return measure(entry)


@dataclass(frozen=True)
class Part:
    """One part of what a function unzips to: its code or one layer. ``size`` None: not known."""

    label: str
    size: BundleSize | None


MIB = 1_048_576


def megabytes(size: int) -> str:
    """``size`` in MiB, the unit of Lambda's quotas (262,144,000 bytes is 250.0 MiB)."""
    return f"{size / MIB:.1f} MiB"


def total_bytes(parts: Iterable[Part]) -> int:
    return sum(part.size.total for part in parts if part.size is not None)


def size_metadata(parts: Sequence[Part]) -> dict[str, object]:
    """``cora:size``: what ``cora synth`` prints for each function."""
    return {
        "bytes": total_bytes(parts),
        "limit": MAX_UNZIPPED_BYTES,
        # CloudFormation metadata drops nulls: a part of unknown size says so instead.
        "parts": [
            {"name": part.label, "bytes": part.size.total}
            if part.size
            else {"name": part.label, "counted": False}
            for part in parts
        ],
    }


NOT_COUNTED = "(not counted: built outside cora-constructs)"


def _listing(parts: Sequence[Part]) -> str:
    return ", ".join(
        f"{part.label} {megabytes(part.size.total) if part.size else NOT_COUNTED}" for part in parts
    )


def _largest(parts: Sequence[Part], count: int = 5) -> str:
    packages = [
        (size, name, part.label)
        for part in parts
        if part.size is not None
        for name, size in part.size.packages
    ]
    packages.sort(key=lambda item: (-item[0], item[1]))
    return ", ".join(f"{name} {megabytes(size)} ({label})" for size, name, label in packages[:count])


def limit_problems(function: str, code: Part, layers: Sequence[Part], *, where: str = "") -> list[Violation]:
    """CORA-L14 (more than 5 layers) and CORA-L15 (over 262,144,000 bytes unzipped) for the
    function named ``function`` (reported at ``where``, default: its name)."""
    where = where or function
    problems: list[Violation] = []
    if len(layers) > MAX_LAYERS:
        problems.append(
            Violation(
                TOO_MANY_LAYERS,
                where,
                f"{function} has {len(layers)} layers ({_listing(layers)}); Lambda allows at most "
                f"{MAX_LAYERS} per function, so the deploy would fail. Fix: merge module layers "
                "(one folder under backend/layers/ can hold the module's shared code and its "
                "requirements), or move a layer's requirements into the function's "
                "requirements.txt (they become its one dependency layer).",
            )
        )
    parts = [code, *layers]
    total = total_bytes(parts)
    if total > MAX_UNZIPPED_BYTES:
        largest = _largest(parts)
        problems.append(
            Violation(
                TOO_LARGE,
                where,
                f"{function} unzips to {total:,} bytes ({megabytes(total)}: {_listing(parts)}), over "
                f"Lambda's limit of {MAX_UNZIPPED_BYTES:,} bytes (250 MiB) for a function and all its "
                "layers, so the deploy would fail."
                + (f" Largest packages: {largest}." if largest else "")
                + " Fix: drop the packages the function does not import from its layers' and its "
                "own requirements.txt, move a heavy package used by few functions out of the "
                "module layer into those functions' requirements.txt, or split the module.",
            )
        )
    return problems
