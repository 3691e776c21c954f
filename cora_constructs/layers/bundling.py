"""Build the org layer for Lambda's Linux without Docker, cached by a content hash.

Plain Python (no CDK import): the ``OrgLayer`` construct calls :func:`bundle_layer`, tests call
it directly. The bundle is ``python/`` holding the pip-installed requirements for
``manylinux2014_x86_64`` / CPython 3.11 plus the layer's own ``python/`` sources.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cora_constructs import defaults
from cora_constructs.binaries import find_native_files, iter_files

BUNDLE_FORMAT = "cora-layer-bundle-v1"
COMPLETE_MARKER = ".cora-bundle-complete"


class LayerBuildError(RuntimeError):
    """The layer could not be bundled: a pip failure or a native file Lambda cannot load."""


@dataclass(frozen=True)
class LayerSource:
    """A layer's source folder: ``requirements.txt`` and the ``python/`` package tree."""

    root: Path

    @property
    def requirements(self) -> Path:
        return self.root / "requirements.txt"

    @property
    def python_dir(self) -> Path:
        return self.root / "python"

    def requirement_lines(self) -> list[str]:
        """The requirement specifiers (comments and blank lines dropped)."""
        if not self.requirements.exists():
            return []
        lines = []
        for raw in self.requirements.read_text(encoding="utf-8").splitlines():
            line = raw.split("#", 1)[0].strip()
            if line:
                lines.append(line)
        return lines


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


def layer_fingerprint(source: LayerSource) -> str:
    """sha256 of the requirements, every file under ``python/`` and the target platform."""
    digest = hashlib.sha256()
    digest.update(platform_tag().encode())
    digest.update(b"\0requirements\0")
    digest.update("\n".join(source.requirement_lines()).encode())
    if source.python_dir.is_dir():
        for path in iter_files(source.python_dir):
            if path.suffix == ".pyc":
                continue
            digest.update(b"\0file\0" + path.relative_to(source.root).as_posix().encode() + b"\0")
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
    source: LayerSource,
    cache_root: Path,
    *,
    wheelhouse: Path | None = None,
    runner: Runner = _run,
) -> Path:
    """Return a folder holding the bundled layer, building it only when the cache lacks it.

    The bundle is built in a temporary folder next to the cache entry and renamed into place
    only after pip succeeded and every native file passed the ELF x86-64 check, so a failure
    never leaves a half-built bundle behind.
    """
    fingerprint = layer_fingerprint(source)
    hit = cached_bundle(cache_root, fingerprint)
    if hit is not None:
        return hit
    if not source.root.is_dir():
        raise LayerBuildError(f"layer folder {source.root} does not exist")
    cache_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{fingerprint[:12]}-", dir=cache_root))
    try:
        python_out = work / "python"
        python_out.mkdir()
        if source.requirement_lines():
            result = runner(pip_command(source.requirements, python_out, wheelhouse))
            if result.returncode != 0:
                raise LayerBuildError(
                    f"pip could not install {source.requirements} for {defaults.PIP_PLATFORM} "
                    f"(exit {result.returncode}):\n{(result.stderr or result.stdout).strip()}\n"
                    "Fix: pin versions that publish manylinux2014 x86_64 wheels for CPython 3.11, "
                    "or pass a wheelhouse (context cora:wheelhouse) holding them."
                )
        if source.python_dir.is_dir():
            shutil.copytree(
                source.python_dir,
                python_out,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
        problems = check_native_files(python_out)
        if problems:
            raise LayerBuildError(
                f"the layer {source.root} holds files Lambda cannot load:\n  " + "\n  ".join(problems)
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
