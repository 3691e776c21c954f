"""Results cached by the content stamp of the files they were computed from."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from cora_constructs import content_cache


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    content_cache.clear()


def settled(path: Path, text: str, age_s: float = 60.0) -> Path:
    """Write ``path`` and date it ``age_s`` seconds back (older than the racy window)."""
    path.write_text(text)
    when = path.stat().st_mtime - age_s
    os.utime(path, (when, when))
    return path


def counting_reader() -> tuple[list[Path], Callable[[Path], str]]:
    reads: list[Path] = []

    def read(path: Path) -> str:
        reads.append(path)
        return path.read_text()

    return reads, read


def test_a_settled_file_is_read_once(tmp_path: Path) -> None:
    handler = settled(tmp_path / "lambda_function.py", "one")
    reads, read = counting_reader()
    assert content_cache.cached_file("text", handler, read) == "one"
    assert content_cache.cached_file("text", handler, read) == "one"
    assert reads == [handler]


def test_an_edited_file_is_read_again(tmp_path: Path) -> None:
    handler = settled(tmp_path / "lambda_function.py", "one")
    reads, read = counting_reader()
    content_cache.cached_file("text", handler, read)
    settled(handler, "two, longer", age_s=30)
    assert content_cache.cached_file("text", handler, read) == "two, longer"
    assert len(reads) == 2


def test_a_same_size_edit_with_the_old_mtime_is_still_seen_through_the_inode(tmp_path: Path) -> None:
    handler = settled(tmp_path / "lambda_function.py", "one")
    _reads, read = counting_reader()
    content_cache.cached_file("text", handler, read)
    stat = handler.stat()
    replacement = tmp_path / "new.py"
    replacement.write_text("two")
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    replacement.replace(handler)  # an editor's save: a new file renamed into place
    assert content_cache.cached_file("text", handler, read) == "two"


def test_a_file_modified_just_now_is_never_served_from_the_cache(tmp_path: Path) -> None:
    # The file system's clock is coarser than a nanosecond: a same-size edit within one tick
    # could keep the stamp, so a file younger than RACY_SECONDS is read every time.
    handler = tmp_path / "lambda_function.py"
    handler.write_text("one")
    reads, read = counting_reader()
    content_cache.cached_file("text", handler, read)
    handler.write_text("two")
    os.utime(handler, ns=(handler.stat().st_atime_ns, handler.stat().st_mtime_ns))
    assert content_cache.cached_file("text", handler, read) == "two"
    assert len(reads) == 2


def test_a_missing_file_and_its_appearance_are_different_stamps(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    calls: list[bool] = []

    def exists() -> bool:
        calls.append(requirements.is_file())
        return calls[-1]

    assert content_cache.cached("exists", "req", [requirements], exists) is False
    assert content_cache.cached("exists", "req", [requirements], exists) is False
    settled(requirements, "boto3\n")
    assert content_cache.cached("exists", "req", [requirements], exists) is True
    assert calls == [False, True]


def test_an_error_is_not_cached(tmp_path: Path) -> None:
    handler = settled(tmp_path / "lambda_function.py", "one")
    attempts: list[int] = []

    def fail(_path: Path) -> str:
        attempts.append(1)
        raise ValueError("bad docstring")

    for _ in range(2):
        with pytest.raises(ValueError):
            content_cache.cached_file("fail", handler, fail)
    assert len(attempts) == 2


def test_clear_forgets_everything(tmp_path: Path) -> None:
    handler = settled(tmp_path / "lambda_function.py", "one")
    reads, read = counting_reader()
    content_cache.cached_file("text", handler, read)
    content_cache.clear()
    content_cache.cached_file("text", handler, read)
    assert len(reads) == 2
