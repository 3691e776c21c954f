"""A function's package, dependency layer and import check, assembled for StandardLambda (no
CDK import).

- :func:`function_code`: the function's asset is its source folder, always; its
  ``requirements.txt`` becomes its dependency layer (:mod:`.dependencies`), resolved on top of
  the org layer and its module layers.
- :func:`import_problems`: every import the function's code makes must resolve in its folder,
  its layers (org first, then module layers, then its dependency layer) or the python3.11
  runtime (CORA-L9). Two layers shipping one package is found once per pair of layers when the
  upper one is built (:func:`cora_constructs.dependencies.stacking.overlaps`), not per function.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cora_constructs import defaults
from cora_constructs.dependencies.layer_ref import LayerRef, lower_layers
from cora_constructs.errors import Violation
from cora_constructs.functions.dependencies import FunctionDependencies, function_dependencies
from cora_constructs.functions.imports import ImportChecker, ImportRoot
from cora_constructs.kept import kept

ASSET_EXCLUDES = ("__pycache__", "*.pyc", ".pytest_cache", "tests")
_FINGERPRINT_VERSION = "cora-source-1"


@dataclass(frozen=True)
class SourceDigest:
    """What a function's asset holds, read in one walk of its folder.

    :ivar fingerprint: a SHA-256 of every file's path and bytes (and every symlink's target),
        in path order, without what :data:`ASSET_EXCLUDES` leaves out of the asset: the asset's
        custom hash, so CDK need not walk the folder again.
    :ivar size: the bytes of those files (a symlink counts nothing: it is never followed).
    """

    fingerprint: str
    size: int

    @property
    def asset_hash(self) -> str:
        """The asset hash CDK derives from a custom hash (the SHA-256 of it, as hex): the
        ``S3Key`` is ``<asset_hash>.zip`` and the function's ``cora:code-hash`` tag holds it."""
        return hashlib.sha256(self.fingerprint.encode("utf-8")).hexdigest()


def _excluded(name: str, excludes: Sequence[str]) -> bool:
    # CDK's glob excludes match a pattern without a slash against the base name, at any depth.
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in excludes)


def source_digest(folder: Path, excludes: Sequence[str] = ASSET_EXCLUDES) -> SourceDigest:
    """The fingerprint and size of the asset CDK stages from ``folder`` (never following links)."""
    digest = hashlib.sha256(f"{_FINGERPRINT_VERSION}\0{chr(0).join(excludes)}\0".encode())
    size = 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not _excluded(d, excludes))
        base = Path(dirpath)
        for name in sorted(filenames + [d for d in dirnames if (base / d).is_symlink()]):
            if _excluded(name, excludes):
                continue
            path = base / name
            relative = path.relative_to(folder).as_posix().encode("utf-8", "surrogateescape")
            if path.is_symlink():
                target = str(path.readlink()).encode("utf-8", "surrogateescape")
                digest.update(b"L\0" + relative + b"\0" + target + b"\0")
                continue
            data = path.read_bytes()
            size += len(data)
            digest.update(b"F\0" + relative + b"\0" + str(len(data)).encode() + b"\0")
            digest.update(data)
    return SourceDigest(digest.hexdigest(), size)


HASHED_SOURCES = "hashed sources"


def hashed_sources(settings: Mapping[str, object]) -> set[tuple[str, str]]:
    """``(asset hash, cora:source)`` of every function folder hashed for its asset, and checked
    (CORA-L6, L8, L11 on the folder), while this process built the app of ``settings``.

    The CORA pack run after that app's synth trusts these pairs: an asset whose hash this
    process computed from a folder's bytes holds exactly that folder (CORA-L5) and no native code
    (CORA-L6), so neither rule reads the folder or the asset again. An asset swapped after
    construction has another hash and is compared file by file, as ``cora check`` compares
    every asset of an assembly it did not build."""
    return kept(settings, HASHED_SOURCES, set)


@dataclass(frozen=True)
class FunctionCode:
    """What the function's asset is made of (``folder``: its source folder) and its dependency
    layer (``dependencies``: None without a requirements.txt)."""

    folder: Path
    dependencies: FunctionDependencies | None = None

    @property
    def complete(self) -> bool:
        """False when requirements exist but their layer was not built here (a stack not being
        bundled): the import check then cannot see them and is skipped."""
        return self.dependencies is None or self.dependencies.complete

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.dependencies.warnings if self.dependencies else ()


def function_code(
    source_dir: Path,
    cache_root: Path,
    layers: Sequence[LayerRef],
    *,
    build: bool,
    wheelhouse: Path | None = None,
    show: Callable[[Path], str] = str,
) -> FunctionCode:
    """The function's code and dependency layer (raises FunctionDependencyError)."""
    requirements = source_dir / "requirements.txt"
    if not requirements.is_file():
        return FunctionCode(source_dir)
    deps = function_dependencies(
        requirements,
        cache_root,
        below=lower_layers(layers),
        below_fingerprints=[layer.fingerprint for layer in layers],
        build=build,
        wheelhouse=wheelhouse,
        show=show,
    )
    return FunctionCode(source_dir, deps)


@dataclass(frozen=True)
class LayerContents:
    """One attached layer as the import check sees it."""

    label: str
    python_dir: Path | None
    requirements_file: str | None = None
    """The layer's requirements file, project-relative."""
    shown: str = ""


def checker_for(app_settings: Mapping[str, object], project_root: Path) -> ImportChecker:
    """One checker per app (it caches folder listings and parsed files), keyed by the app's
    settings object, which every stack of one app shares."""
    return kept(app_settings, "import checker", lambda: ImportChecker(display_root=project_root))


def import_problems(
    checker: ImportChecker,
    source_dir: Path,
    code: FunctionCode,
    layers: Sequence[LayerContents],
    show: Callable[[Path], str] = str,
) -> list[Violation]:
    """CORA-L9 for one function; nothing when a layer or the dependency layer was not built in
    this synth (their contents are unknown, so nothing can be said)."""
    if not code.complete or any(layer.python_dir is None for layer in layers):
        return []
    roots = [ImportRoot.function(source_dir, show(source_dir))]
    for layer in layers:
        assert layer.python_dir is not None
        roots.append(
            ImportRoot.layer(
                layer.label, layer.python_dir, requirements_file=layer.requirements_file, shown=layer.shown
            )
        )
    deps = code.dependencies
    if deps is not None and deps.python_dir is not None:
        requirements = source_dir / "requirements.txt"
        roots.append(ImportRoot.dependencies(deps.python_dir, show(requirements)))
    return checker.check(source_dir, roots, handler=defaults.HANDLER_FILE)
