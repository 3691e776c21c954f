"""A function's package and its import check, assembled for StandardLambda (no CDK import).

- :func:`function_code_dir`: the folder the function's asset is made of: its source folder, or,
  when its ``requirements.txt`` lists packages, a content-addressed folder in the per-user cache
  holding the sources and those packages installed for manylinux2014_x86_64 / cp311.
- :func:`import_problems`: every import the function's code makes must resolve in its folder,
  its requirements, its layers (org first, then module layers) or the python3.11 runtime
  (CORA-L9); two of its layers providing one package is CORA-L10.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cora_constructs import defaults
from cora_constructs.binaries import iter_files
from cora_constructs.errors import Violation
from cora_constructs.functions.dependencies import (
    COMPLETE_MARKER,
    SITE,
    FunctionDependencyError,
    bundle_function_dependencies,
    plan_dependencies,
)
from cora_constructs.functions.imports import ImportChecker, ImportRoot, layer_overlaps

ASSET_EXCLUDES = ("__pycache__", "*.pyc", ".pytest_cache", "tests")


@dataclass(frozen=True)
class FunctionCode:
    """What the function's asset is made of, and what its requirements installed."""

    folder: Path
    site: Path | None
    """The installed requirements (None: nothing to install, or not built in this synth)."""
    complete: bool
    """False when requirements exist but were not installed here (a stack not being bundled):
    the import check then cannot see them and is skipped."""
    warnings: tuple[str, ...] = ()


def function_code_dir(
    source_dir: Path, cache_root: Path, *, build: bool, wheelhouse: Path | None = None
) -> FunctionCode:
    """The folder to make the function's asset from (raises FunctionDependencyError)."""
    requirements = source_dir / "requirements.txt"
    if not requirements.is_file():
        return FunctionCode(source_dir, None, True)
    functions_cache = cache_root / "functions"
    if build:
        deps = bundle_function_dependencies(requirements, functions_cache, wheelhouse=wheelhouse)
        site, warnings = deps.folder, deps.warnings
    else:
        plan = plan_dependencies(requirements)
        if plan.problems:
            raise FunctionDependencyError(plan.problems)
        if not plan.install:
            return FunctionCode(source_dir, None, True, plan.warnings)
        entry = functions_cache / plan.fingerprint
        site = entry / SITE if (entry / COMPLETE_MARKER).is_file() else None
        warnings = plan.warnings
        if site is None:
            return FunctionCode(source_dir, None, False, warnings)
    if site is None:
        return FunctionCode(source_dir, None, True, warnings)
    return FunctionCode(_merged(source_dir, site, cache_root / "function-assets"), site, True, warnings)


def _merged(source_dir: Path, site: Path, assets: Path) -> Path:
    """A cached folder holding the function's sources and its installed requirements, keyed by
    the content of both (so a code or requirements change is a new asset hash)."""
    digest = hashlib.sha256(site.parent.name.encode())
    files = [p for p in iter_files(source_dir) if not _excluded(p.relative_to(source_dir))]
    for path in files:
        digest.update(b"\0" + path.relative_to(source_dir).as_posix().encode() + b"\0" + path.read_bytes())
    entry = assets / digest.hexdigest()
    if (entry / COMPLETE_MARKER).is_file():
        return entry / "code"
    assets.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".merge-", dir=assets))
    try:
        shutil.copytree(site, work / "code", symlinks=True, ignore=shutil.ignore_patterns("bin"))
        for path in files:
            target = work / "code" / path.relative_to(source_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)  # the function's own file wins over a package's
        (work / COMPLETE_MARKER).write_text("\n", encoding="utf-8")
        try:
            work.replace(entry)
        except OSError:
            if not (entry / COMPLETE_MARKER).is_file():
                raise
        return entry / "code"
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def _excluded(relative: Path) -> bool:
    return any(part in ("__pycache__", ".pytest_cache", "tests") for part in relative.parts) or (
        relative.suffix == ".pyc"
    )


@dataclass(frozen=True)
class LayerContents:
    """One attached layer as the import check sees it."""

    label: str
    python_dir: Path | None
    requirements_file: Path | None = None


_CHECKERS: dict[int, tuple[Mapping[str, object], ImportChecker]] = {}


def checker_for(app_settings: Mapping[str, object], project_root: Path) -> ImportChecker:
    """One checker per app (it caches folder listings and parsed files), keyed by the app's
    settings object, which every stack of one app shares."""
    entry = _CHECKERS.get(id(app_settings))
    if entry is None or entry[0] is not app_settings:
        entry = (app_settings, ImportChecker(display_root=project_root))
        _CHECKERS[id(app_settings)] = entry
    return entry[1]


def import_problems(
    checker: ImportChecker,
    source_dir: Path,
    code: FunctionCode,
    layers: Sequence[LayerContents],
) -> list[Violation]:
    """CORA-L9 and CORA-L10 for one function; nothing when a layer or the requirements were not
    built in this synth (their contents are unknown, so nothing can be said)."""
    if not code.complete or any(layer.python_dir is None for layer in layers):
        return []
    roots = [ImportRoot.function(source_dir)]
    if code.site is not None:
        roots.append(ImportRoot.requirements(code.site, source_dir / "requirements.txt"))
    bundled = [(layer.label, layer.python_dir) for layer in layers if layer.python_dir is not None]
    for layer in layers:
        assert layer.python_dir is not None
        roots.append(
            ImportRoot.layer(layer.label, layer.python_dir, requirements_file=layer.requirements_file)
        )
    problems = checker.check(source_dir, roots, handler=defaults.HANDLER_FILE)
    return problems + _layer_overlaps_once(checker, tuple(bundled))


_OVERLAPS: dict[int, tuple[ImportChecker, dict[tuple[tuple[str, Path], ...], list[Violation]]]] = {}


def _layer_overlaps_once(checker: ImportChecker, layers: tuple[tuple[str, Path], ...]) -> list[Violation]:
    """CORA-L10 of a set of layers, computed once per app (every function of a module attaches
    the same layers; the checker's folder listings are the app's, so are these results)."""
    entry = _OVERLAPS.get(id(checker))
    if entry is None or entry[0] is not checker:
        entry = (checker, {})
        _OVERLAPS[id(checker)] = entry
    found = entry[1].get(layers)
    if found is None:
        found = entry[1][layers] = layer_overlaps(layers, checker=checker)
    return list(found)
