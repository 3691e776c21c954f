"""Find the project, and make sure its cloud assembly (cdk.out) is current before reading it.

`cdk synth` runs only when the default cloud assembly is missing or older than the sources of
the app (its newest file or folder, so a removed Lambda folder counts too). Reading an explicit
``--cdk-out`` never synthesizes.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cora_constructs.assembly.errors import ProjectError

CDK_JSON = "cdk.json"
DEFAULT_CDK_OUT = "cdk.out"
ASSEMBLY_MANIFEST = "manifest.json"
SYNTH_COMMAND: tuple[str, ...] = ("npx", "--no-install", "cdk", "synth", "--quiet")
# The app's inputs: a change to any of them can change the synthesized assembly.
SOURCE_ENTRIES = ("app.py", CDK_JSON, "stacks", "cora_constructs", "packages", "lambdas", "layers")
_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "cdk.out"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def find_project_root(start: Path | None = None) -> Path:
    """The nearest folder holding cdk.json, from ``start`` (default: the working folder) up."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CDK_JSON).is_file():
            return folder
    raise ProjectError(
        f"no {CDK_JSON} in {here} or any parent folder: run from the project or pass --project-root"
    )


def default_cdk_out(project_root: Path) -> Path:
    """Where `cdk synth` writes the assembly: cdk.json's ``output``, or ``cdk.out``."""
    output: object = None
    try:
        settings = json.loads((project_root / CDK_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        settings = None
    if isinstance(settings, dict):
        output = settings.get("output")
    return project_root / (output if isinstance(output, str) and output else DEFAULT_CDK_OUT)


def newest_source_mtime(project_root: Path) -> float:
    """The newest modification time among the app's source files and folders (0 if none)."""
    newest = 0.0
    pending: list[Path] = []
    # The installed cora-constructs (and its runtime) build the app too: an upgrade is a change.
    library = Path(__file__).resolve().parents[1]
    for path in [*(project_root / name for name in SOURCE_ENTRIES), library, library.parent / "cora_runtime"]:
        try:
            status = path.stat()
        except OSError:
            continue
        newest = max(newest, status.st_mtime)
        if stat.S_ISDIR(status.st_mode):
            pending.append(path)
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name.endswith(_SKIPPED_SUFFIXES):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name in _SKIPPED_DIRS:
                            continue
                        pending.append(Path(entry.path))
                    newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
                except OSError:
                    continue
    return newest


def assembly_is_stale(project_root: Path, cdk_out: Path) -> bool:
    """True when ``cdk_out`` has no manifest.json or one older than the newest source."""
    try:
        built = (cdk_out / ASSEMBLY_MANIFEST).stat().st_mtime
    except OSError:
        return True
    return newest_source_mtime(project_root) > built


def synth_command(project_root: Path) -> tuple[str, ...]:
    """How to run `cdk synth` for ``project_root``: its own ``node_modules/.bin/cdk``, else a
    ``cdk`` on PATH (a global install), else ``npx --no-install cdk``."""
    import shutil

    local = project_root / "node_modules" / ".bin" / "cdk"
    if local.is_file():
        return (str(local), *SYNTH_COMMAND[3:])
    on_path = shutil.which("cdk")
    if on_path is not None:
        return (on_path, *SYNTH_COMMAND[3:])
    return SYNTH_COMMAND


def synthesize(project_root: Path, command: Sequence[str] | None = None) -> None:
    """Run `cdk synth` in ``project_root``; its own errors stream to stderr."""
    import shutil
    import subprocess

    command = command or synth_command(project_root)

    # cdk.json runs the app with `python3 ...`: let that be this interpreter (its virtualenv).
    path = os.environ.get("PATH", "")
    interpreter_dir = str(Path(sys.executable).parent)
    if path.split(os.pathsep)[0] != interpreter_dir:
        path = interpreter_dir + os.pathsep + path
    if shutil.which(command[0], path=path) is None:
        raise ProjectError(
            f"cannot synthesize: {command[0]} is not on PATH (install Node.js, then run `npm ci`)"
        )
    try:
        completed = subprocess.run(
            list(command),
            cwd=project_root,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PATH": path},
            check=False,
        )
    except OSError as error:
        raise ProjectError(f"cannot run {' '.join(command)}: {error.strerror}") from error
    if completed.returncode != 0:
        raise ProjectError(
            f"`{' '.join(command)}` failed with exit code {completed.returncode} (its output is above)"
        )


def ensure_cloud_assembly(
    project_root: Path,
    cdk_out: Path | None = None,
    *,
    synth_command: Sequence[str] | None = None,
    progress: Callable[[str], None] = _stderr,
) -> Path:
    """The cloud assembly folder to read, synthesized first if needed.

    With ``cdk_out`` given it must already hold a manifest.json. Otherwise the project's default
    assembly is used, after running `cdk synth` when it is missing or older than the sources.
    """
    if cdk_out is not None:
        if not (cdk_out / ASSEMBLY_MANIFEST).is_file():
            raise ProjectError(f"{cdk_out} is not a cloud assembly: it has no {ASSEMBLY_MANIFEST}")
        return cdk_out
    if not project_root.is_dir():
        raise ProjectError(f"project root {project_root} is not a folder")
    target = default_cdk_out(project_root)
    if assembly_is_stale(project_root, target):
        progress("synthesizing the app (cdk synth)…")
        synthesize(project_root, synth_command)
        if not (target / ASSEMBLY_MANIFEST).is_file():
            raise ProjectError(f"`cdk synth` succeeded but wrote no {target / ASSEMBLY_MANIFEST}")
    return target
