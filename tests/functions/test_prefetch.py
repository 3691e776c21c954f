"""Folder checks computed ahead in a background thread (no CDK)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from cora_constructs.functions import prefetch


def test_results_computed_ahead_are_handed_over_and_an_unplanned_folder_is_computed_here(
    tmp_path: Path,
) -> None:
    planned = [tmp_path / "a", tmp_path / "b"]
    for folder in planned:
        folder.mkdir()
    threads: list[str] = []

    def name(folder: Path) -> str:
        threads.append(threading.current_thread().name)
        return folder.name.upper()

    ahead = prefetch.FolderPrefetch(planned, {"name": name})
    ahead.join()
    assert ahead.result("name", tmp_path / "b", lambda: "computed here") == "B"
    assert ahead.result("name", tmp_path / "a" / ".." / "a", lambda: "computed here") == "A"  # resolved
    assert ahead.result("name", tmp_path / "c", lambda: "computed here") == "computed here"
    assert ahead.result("other", tmp_path / "a", lambda: "not a task") == "not a task"
    assert threads == ["cora-prefetch", "cora-prefetch"]


def test_an_exception_is_raised_to_the_caller_as_it_was_raised(tmp_path: Path) -> None:
    def broken(folder: Path) -> str:
        raise ValueError(f"cannot read {folder.name}")

    ahead = prefetch.FolderPrefetch([tmp_path], {"broken": broken})
    with pytest.raises(ValueError, match=f"cannot read {tmp_path.name}"):
        ahead.result("broken", tmp_path, lambda: "unused")


def test_one_prefetch_per_app_settings_object(tmp_path: Path) -> None:
    first: dict[str, object] = {}
    second: dict[str, object] = {}
    prefetch.start(first, [tmp_path], {"name": lambda folder: "first"}).join()
    assert prefetch.result(first, "name", tmp_path, lambda: "none") == "first"
    assert prefetch.result(second, "name", tmp_path, lambda: "none") == "none"
