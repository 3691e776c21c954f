"""Build Lambda layers for Lambda's Linux without Docker, cached by a content hash.

Plain Python (no CDK import): the layer constructs call :func:`bundle_layer`, tests call it
directly. A layer is composed of one or more :class:`LayerSource` parts (the org layer: the
runtime and pinned requirements shipped in cora-constructs, plus the project's own org layer
folder); the bundle is ``python/`` holding the pip-installed requirements of every part for
``manylinux2014_x86_64`` / CPython 3.11 plus each part's own packages. A package name provided
by two parts, or a requirement pinned differently by two parts, is a :class:`LayerBuildError`,
never a silent overwrite.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cora_constructs import content_cache, defaults
from cora_constructs.binaries import find_escaping_links, find_native_files, iter_files
from cora_constructs.requirements import requirement_lines as parse_requirements
from cora_constructs.requirements import requirement_name

BUNDLE_FORMAT = "cora-layer-bundle-v2"
COMPLETE_MARKER = ".cora-bundle-complete"
CACHE_ENV = "CORA_LAYER_CACHE"
_SKIPPED = ("__pycache__", "*.pyc", "*.pyo")


class LayerBuildError(RuntimeError):
    """The layer could not be bundled: a pip failure, a conflict, or a native file Lambda cannot load."""


def default_cache_root() -> Path:
    """Where bundles are cached by default: one cache per user, shared by every clone and project.

    ``$CORA_LAYER_CACHE`` if set, else ``$XDG_CACHE_HOME/cora-constructs/layers``, else
    ``~/.cache/cora-constructs/layers``.
    """
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "cora-constructs" / "layers"


def requirement_lines(requirements: Path) -> list[str]:
    """The requirement specifiers of a file (comments and blank lines dropped); none if absent."""
    if not requirements.is_file():
        return []
    return [line for _number, line in parse_requirements(requirements.read_text(encoding="utf-8"))]


@dataclass(frozen=True)
class LayerSource:
    """One part of a layer: a ``requirements.txt`` and packages to place under ``python/``.

    A layer folder (``requirements.txt`` + ``python/<package>/``) is ``LayerSource(folder)``;
    ``packages`` lists extra package folders or modules placed under ``python/`` by name (the
    org layer's runtime ships this way, from wherever cora-constructs is installed).
    ``label`` names the part in error messages.
    """

    root: Path
    packages: tuple[Path, ...] = ()
    requirements_file: Path | None = None
    label: str = ""

    @property
    def requirements(self) -> Path:
        return self.requirements_file or self.root / "requirements.txt"

    @property
    def python_dir(self) -> Path:
        return self.root / "python"

    @property
    def name(self) -> str:
        return self.label or str(self.root)

    def requirement_lines(self) -> list[str]:
        return requirement_lines(self.requirements)

    def entries(self) -> list[Path]:
        """What this part places under ``python/``: its ``python/`` children, then ``packages``."""
        found: list[Path] = []
        if self.python_dir.is_dir():
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

    def requirement_lines(self) -> list[str]:
        """Every part's requirements, each distinct line once, in part order."""
        seen: list[str] = []
        for part in self.parts:
            for line in part.requirement_lines():
                if line not in seen:
                    seen.append(line)
        return seen


def composition_problems(parts: Sequence[LayerSource]) -> list[str]:
    """A package placed by two parts, or one distribution required differently by two parts."""
    problems: list[str] = []
    for part in parts:
        for link, target in find_escaping_links(part.root) if part.root.is_dir() else ():
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


def layer_fingerprint(source: LayerSource | ComposedLayer) -> str:
    """sha256 of everything that goes into the layer: the target platform, the requirements, and
    every file each part places under ``python/`` (so upgrading cora-constructs changes it)."""
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
    # Read and hashed once per content of the files (a layer is fingerprinted by its construct,
    # again when bundled, and in every synth of the process: infra and stack app, tests).
    inputs = [path for _relative, path in files] + [part.requirements for part in layer.parts]
    key = (platform_tag(), tuple((relative, str(path)) for relative, path in files), tuple(map(str, inputs)))
    return content_cache.cached("layer-fingerprint", key, inputs, lambda: _digest(layer, files))


def _digest(layer: ComposedLayer, files: Sequence[tuple[str, Path]]) -> str:
    digest = hashlib.sha256()
    digest.update(platform_tag().encode())
    digest.update(b"\0requirements\0")
    digest.update("\n".join(layer.requirement_lines()).encode())
    for relative, path in files:
        digest.update(b"\0file\0" + relative.encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def pip_command(requirements: Path, target: Path, wheelhouse: Path | None = None) -> list[str]:
    """The pip invocation that installs Linux x86-64 CPython 3.11 wheels into ``target``."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--platform",
        defaults.PIP_PLATFORM,
        "--implementation",
        defaults.PIP_IMPLEMENTATION,
        "--python-version",
        defaults.PYTHON_VERSION,
        "--abi",
        defaults.PIP_ABI,
        "--only-binary=:all:",
        "--no-compile",
        "--disable-pip-version-check",
        "--quiet",
        "-r",
        str(requirements),
        "-t",
        str(target),
    ]
    if wheelhouse is not None:
        command += ["--no-index", "--find-links", str(wheelhouse)]
    return command


Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, check=False)


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
    bundle = cache_root / fingerprint
    return bundle if (bundle / COMPLETE_MARKER).is_file() else None


def bundle_layer(
    source: LayerSource | ComposedLayer,
    cache_root: Path,
    *,
    wheelhouse: Path | None = None,
    runner: Runner = _run,
) -> Path:
    """Return a folder holding the bundled layer, building it only when the cache lacks it.

    The bundle is built in a temporary folder next to the cache entry and renamed into place
    only after pip succeeded and every native file passed the ELF x86-64 check, so a failure
    never leaves a half-built bundle behind, and two synths building the same layer at once
    both end with the same complete bundle.
    """
    layer = _as_composed(source)
    if layer.problems:
        raise LayerBuildError("the layer cannot be composed:\n  " + "\n  ".join(layer.problems))
    fingerprint = layer_fingerprint(layer)
    hit = cached_bundle(cache_root, fingerprint)
    if hit is not None:
        return hit
    for part in layer.parts:
        if not part.root.is_dir():
            raise LayerBuildError(f"layer folder {part.root} does not exist")
    cache_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{fingerprint[:12]}-", dir=cache_root))
    try:
        python_out = work / "python"
        python_out.mkdir()
        lines = layer.requirement_lines()
        if lines:
            requirements = work / "requirements.txt"
            requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")
            result = runner(pip_command(requirements, python_out, wheelhouse))
            if result.returncode != 0:
                files = ", ".join(str(p.requirements) for p in layer.parts if p.requirement_lines())
                raise LayerBuildError(
                    f"pip could not install {files} for {defaults.PIP_PLATFORM} "
                    f"(exit {result.returncode}):\n{(result.stderr or result.stdout).strip()}\n"
                    "Fix: pin versions that publish manylinux2014 x86_64 wheels for CPython 3.11, "
                    "or pass a wheelhouse (context cora:wheelhouse) holding them."
                )
        for part in layer.parts:
            for entry in part.entries():
                _place(entry, python_out, part)
        problems = check_native_files(python_out)
        if problems:
            where = ", ".join(part.name for part in layer.parts)
            raise LayerBuildError(
                f"the layer ({where}) holds files Lambda cannot load:\n  " + "\n  ".join(problems)
            )
        (work / COMPLETE_MARKER).write_text(fingerprint + "\n", encoding="utf-8")
        final = cache_root / fingerprint
        try:
            work.replace(final)
        except OSError:
            # Another process finished the same bundle first: theirs is identical, keep it.
            if cached_bundle(cache_root, fingerprint) is None:
                raise
        return final
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def _place(entry: Path, python_out: Path, part: LayerSource) -> None:
    """Copy one package (folder or module) of ``part`` under ``python/``; never overwrite."""
    target = python_out / entry.name
    if target.exists():
        raise LayerBuildError(
            f"{entry} ({part.name}) would replace {target.name!r}, which a requirement of the layer "
            "already installed: rename your package or drop that requirement."
        )
    if entry.is_dir():
        shutil.copytree(entry, target, ignore=shutil.ignore_patterns(*_SKIPPED), symlinks=True)
    else:
        shutil.copy2(entry, target)
