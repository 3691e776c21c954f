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
    assert ahead.result("name", tmp_path / "c", lambda: "computed here") == "computed here"
    assert ahead.result("other", tmp_path / "a", lambda: "not a task") == "not a task"
    # Never resolved in the caller: another spelling of a planned folder is computed there.
    assert ahead.result("name", tmp_path / "a" / ".." / "a", lambda: "computed here") == "computed here"
    assert threads == ["cora-prefetch", "cora-prefetch"]


def test_a_folder_is_resolved_in_the_thread_and_found_under_both_paths(tmp_path: Path) -> None:
    real = tmp_path / "module-a" / "lambdas" / "get-items"
    real.mkdir(parents=True)
    link = tmp_path / "linked"
    link.symlink_to(real, target_is_directory=True)
    seen: list[Path] = []

    def name(folder: Path) -> str:
        seen.append(folder)
        return folder.name

    ahead = prefetch.FolderPrefetch([link], {"name": name})
    assert ahead.result(prefetch.RESOLVED, link, lambda: Path("not planned")) == real.resolve()
    assert ahead.result("name", link, lambda: "computed here") == "get-items"
    assert ahead.result("name", real.resolve(), lambda: "computed here") == "get-items"
    assert seen == [real.resolve()]  # the tasks get the resolved folder


def test_a_folder_that_cannot_be_resolved_raises_there_and_its_tasks_run_in_the_caller(
    tmp_path: Path,
) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    try:
        loop.resolve()
    except RuntimeError:
        pass
    else:
        pytest.skip("this Python resolves a symlink loop without an error")
    ahead = prefetch.FolderPrefetch([loop], {"name": lambda folder: "ahead"})
    with pytest.raises(RuntimeError):
        ahead.result(prefetch.RESOLVED, loop, loop.resolve)
    assert ahead.result("name", loop, lambda: "computed here") == "computed here"


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


def test_the_handlers_imports_are_parsed_ahead_for_the_apps_import_checker(tmp_path: Path) -> None:
    from cora_constructs.functions.imports import ImportChecker, ImportRoot
    from cora_constructs.functions.standard_lambda import folder_tasks

    folder = tmp_path / "get-items"
    folder.mkdir()
    (folder / "lambda_function.py").write_text('"""Get items."""\nimport json\nimport missing_pkg\n')
    checker = ImportChecker(display_root=tmp_path)
    ahead = prefetch.FolderPrefetch([folder], folder_tasks(checker))
    ahead.join()
    assert ahead.result("description", folder, lambda: "computed here") == "Get items."
    assert ahead.result("imports", folder, lambda: "computed here") is None
    # The check finds the parse made ahead and still reports what does not resolve.
    (folder / "lambda_function.py").write_text("")  # a re-read would find no import at all
    problems = checker.check(folder, [ImportRoot.function(folder, "get-items")])
    assert [p.code for p in problems] == ["CORA-L9"]
    assert "missing_pkg" in problems[0].message


def test_the_switch_interval_is_lowered_while_the_thread_runs_and_restored_after(tmp_path: Path) -> None:
    import sys

    before = sys.getswitchinterval()
    seen: list[float] = []
    ahead = prefetch.FolderPrefetch(
        [tmp_path], {"interval": lambda folder: seen.append(sys.getswitchinterval())}
    )
    ahead.join()
    assert seen == [min(prefetch.SWITCH_INTERVAL, before)]
    assert sys.getswitchinterval() == before


def test_ahead_tasks_run_first_in_the_thread_and_a_failed_one_is_computed_again_in_the_caller(
    tmp_path: Path,
) -> None:
    order: list[str] = []

    def folder_task(folder: Path) -> str:
        order.append(f"folder {folder.name}")
        return folder.name

    def contents() -> str:
        order.append(f"ahead in {threading.current_thread().name}")
        return "read ahead"

    def broken() -> str:
        raise ValueError("the layer's requirements.txt cannot be read")

    (tmp_path / "a").mkdir()
    ahead = prefetch.FolderPrefetch(
        [tmp_path / "a"], {"name": folder_task}, {"contents": contents, "broken": broken}
    )
    ahead.join()
    assert order == ["ahead in cora-prefetch", "folder a"]
    assert ahead.ahead_result("contents", lambda: "computed here") == "read ahead"
    assert ahead.ahead_result("unplanned", lambda: "computed here") == "computed here"
    # The caller computes it again, so the error is raised where it belongs.
    with pytest.raises(ValueError, match="cannot be read"):
        ahead.ahead_result("broken", broken)
    # Without a prefetch for the app, computed here.
    assert prefetch.ahead_result({}, "contents", lambda: "computed here") == "computed here"
