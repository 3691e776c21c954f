"""The only code that touches the project's files: read what is there, write what changed.

Writing is all or nothing as far as the file system allows: every path is validated first
(an unmarked file at a generated path stops everything), every new content is written to a
temporary file beside its target, and only then are the temporary files renamed over their
targets and the orphaned generated workflows deleted.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from manifest_gen.drift import ProjectFiles, deploys_a_lambda
from manifest_gen.errors import ManifestGenError, UnmarkedFileError
from manifest_gen.generated import GeneratedFile, is_generated
from manifest_gen.model import WORKFLOWS_DIR

_WORKFLOW_SUFFIXES = (".yml", ".yaml")
_NEW_FILE_MODE = 0o644


@dataclass(frozen=True, slots=True)
class WritePlan:
    """What `generate` changes: files to (re)write, generated files to delete, the rest."""

    writes: tuple[GeneratedFile, ...]
    deletes: tuple[str, ...]
    unchanged: tuple[str, ...]

    @property
    def changes_nothing(self) -> bool:
        return not self.writes and not self.deletes


def read_project_files(project_root: Path, expected: Iterable[GeneratedFile]) -> ProjectFiles:
    """The current text of every generated path, the marked workflows nobody generates now, and
    the hand-written workflows that deploy a Lambda."""
    expected_paths = {file.path for file in expected}
    at_paths = {path: _read_text(project_root / path) for path in sorted(expected_paths)}
    others: list[str] = []
    unmanaged: list[str] = []
    workflows = project_root / WORKFLOWS_DIR
    if workflows.is_dir():
        for entry in sorted(os.scandir(workflows), key=lambda entry: entry.name):
            path = f"{WORKFLOWS_DIR}/{entry.name}"
            if path in expected_paths or not entry.name.endswith(_WORKFLOW_SUFFIXES):
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            text = _read_text(Path(entry.path))
            if text is None:
                continue
            if is_generated(path, text):
                others.append(path)
            elif deploys_a_lambda(entry.name, text):
                unmanaged.append(path)
    return ProjectFiles(at_paths, tuple(others), tuple(unmanaged))


def plan_generation(expected: Iterable[GeneratedFile], project: ProjectFiles) -> WritePlan:
    """What to write and delete (pure). Raises UnmarkedFileError naming every hand-written file
    that sits at a generated path, before anything is written."""
    writes: list[GeneratedFile] = []
    unchanged: list[str] = []
    unmarked: list[str] = []
    for file in expected:
        actual = project.at_generated_paths.get(file.path)
        if actual is None:
            writes.append(file)
        elif not is_generated(file.path, actual):
            unmarked.append(
                f"refusing to overwrite {file.path}: it has no generated marker (it was written by "
                "hand); move or delete it, then run the generator again"
            )
        elif actual == file.content:
            unchanged.append(file.path)
        else:
            writes.append(file)
    if unmarked:
        raise UnmarkedFileError(unmarked)
    return WritePlan(tuple(writes), tuple(project.other_marked_workflows), tuple(unchanged))


def apply_plan(project_root: Path, plan: WritePlan) -> None:
    """Write every file of the plan atomically, then delete the orphaned generated workflows."""
    staged: list[tuple[Path, Path]] = []
    try:
        for file in plan.writes:
            target = project_root / file.path
            staged.append((_stage(target, file.content), target))
        for temporary, target in staged:
            temporary.replace(target)
        staged.clear()
    except OSError as error:
        raise ManifestGenError(
            f"cannot write {error.filename or 'a generated file'}: {error.strerror}"
        ) from error
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(OSError):
                temporary.unlink()
    for path in plan.deletes:
        try:
            (project_root / path).unlink(missing_ok=True)
        except OSError as error:
            raise ManifestGenError(f"cannot delete {path}: {error.strerror}") from error


def _stage(target: Path, content: str) -> Path:
    """Write ``content`` to a new temporary file beside ``target`` and return its path."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(content.encode("utf-8"))
        temporary.chmod(mode)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _read_text(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as error:
        raise ManifestGenError(f"cannot read {path}: {error.strerror}") from error
    return data.decode("utf-8", errors="replace")
