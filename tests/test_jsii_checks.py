"""jsii's runtime type check is skipped for the library's own calls, never for a team's values."""

from __future__ import annotations

import pytest
from jsii._type_checking import check_type

from cora_constructs import jsii_checks
from cora_constructs.jsii_checks import library_calls, skipping, team_calls


def wrong_type_is_refused() -> bool:
    """Whether jsii's check (the one every generated binding calls) refuses a str for an int."""
    try:
        check_type(argname="argument memory_size", value="512", expected_type=int)
    except TypeError:
        return True
    return False


def test_the_check_is_skipped_inside_library_calls_and_restored_after() -> None:
    assert wrong_type_is_refused()
    assert not skipping()
    with library_calls():
        assert skipping()
        assert not wrong_type_is_refused()
    assert not skipping()
    assert wrong_type_is_refused()


def test_team_calls_inside_library_calls_are_checked() -> None:
    with library_calls():
        with team_calls():
            assert not skipping()
            assert wrong_type_is_refused()
        assert skipping()
        with library_calls():  # nested: still skipped, and skipped again on the way out
            assert not wrong_type_is_refused()
        assert skipping()
    assert wrong_type_is_refused()


def test_team_calls_outside_library_calls_change_nothing() -> None:
    with team_calls():
        assert wrong_type_is_refused()
    assert wrong_type_is_refused()


def test_an_exception_inside_restores_the_check() -> None:
    with pytest.raises(RuntimeError), library_calls():
        raise RuntimeError("boom")
    assert wrong_type_is_refused()
    with library_calls():
        with pytest.raises(RuntimeError), team_calls():
            raise RuntimeError("boom")
        assert skipping()


def test_the_environment_variable_keeps_every_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(jsii_checks.ENV_KEEP_CHECKS, "all")
    with library_calls():
        assert not skipping()
        assert wrong_type_is_refused()
