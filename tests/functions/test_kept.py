"""Answers kept per object of a synth, and StandardLambda's path test (pure Python, no synth)."""

from __future__ import annotations

from pathlib import Path

from cora_constructs.functions.standard_lambda import _is_under
from cora_constructs.kept import kept, kept_of


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


def test_answers_are_kept_per_object_by_identity_not_equality() -> None:
    first: dict[str, object] = {"cora:project": "a"}
    second: dict[str, object] = {"cora:project": "a"}  # equal, but another app's
    made: list[str] = []

    def make(name: str) -> str:
        made.append(name)
        return name

    assert kept(first, "answer", lambda: make("first")) == "first"
    assert kept(first, "answer", lambda: make("again")) == "first"
    assert kept(second, "answer", lambda: make("second")) == "second"
    assert made == ["first", "second"]
    kept_of(first)["set"] = 1
    assert kept_of(first) == {"answer": "first", "set": 1}
    assert "set" not in kept_of(second)
