"""StandardLambda's per-app memo and path test (pure Python, no synth)."""

from __future__ import annotations

from pathlib import Path

from cora_constructs.functions.standard_lambda import _app_memo, _is_under


def test_is_under_matches_pathlib_on_resolved_paths() -> None:
    root = Path("/work/project")
    cases = {
        Path("/work/project"): True,
        Path("/work/project/packages/module-a/backend/lambdas/get-items"): True,
        Path("/work/project-b/lambdas"): False,  # a sibling sharing the prefix is not inside
        Path("/work"): False,
        Path("/elsewhere/project"): False,
    }
    for path, inside in cases.items():
        assert _is_under(path, root) is inside == path.is_relative_to(root), path
    assert _is_under(Path("/work/project/x"), Path("/"))


def test_one_memo_per_app_settings_object() -> None:
    first: dict[str, object] = {"cora:project": "a"}
    second: dict[str, object] = {"cora:project": "a"}  # equal, but another app's
    _app_memo(first)["key"] = 1
    assert _app_memo(first) == {"key": 1}
    assert _app_memo(second) == {}
