"""The collector around the library's bursts: paused for the rule pack; in a CDK app process,
paused while the entry points load and what they loaded frozen; anywhere else unchanged."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cora_constructs import collector
from cora_constructs.collector import CDK_APP_ENV, bindings_loading, collector_paused

ROOT = Path(__file__).resolve().parents[1]

# What the process reports after importing the reference app's entry point the way app.py does.
_PROBE = """
import gc, json, sys
if sys.argv[1] == "off":
    gc.disable()
from cora_constructs.apps import main
print(json.dumps({"frozen": gc.get_freeze_count(), "enabled": gc.isenabled(), "main": callable(main)}))
"""


def probe(*, cdk_app: bool, collector: str = "on") -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != CDK_APP_ENV}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    if cdk_app:
        env[CDK_APP_ENV] = "cdk.out"
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, collector],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def test_a_cdk_app_process_freezes_the_loaded_bindings_and_collects_again() -> None:
    result = probe(cdk_app=True)
    assert result["main"] is True
    assert result["enabled"] is True
    # aws-cdk-lib's bindings and the library: well over 100,000 objects on every Python here.
    assert isinstance(result["frozen"], int) and result["frozen"] > 50_000


def test_any_other_process_keeps_the_collector_as_it_was() -> None:
    result = probe(cdk_app=False)
    assert result == {"frozen": 0, "enabled": True, "main": True}


def test_a_collector_turned_off_by_the_app_stays_off_and_nothing_is_frozen() -> None:
    result = probe(cdk_app=True, collector="off")
    assert result == {"frozen": 0, "enabled": False, "main": True}


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """gc.freeze recorded instead of run (this test process keeps its collector as it is)."""
    calls: list[bool] = []
    monkeypatch.setattr(collector.gc, "freeze", lambda: calls.append(gc.isenabled()))
    return calls


def test_the_collector_runs_again_when_loading_fails(
    monkeypatch: pytest.MonkeyPatch, frozen: list[bool]
) -> None:
    monkeypatch.setenv(CDK_APP_ENV, "cdk.out")
    assert gc.isenabled()
    with pytest.raises(ImportError), bindings_loading():
        assert not gc.isenabled()
        raise ImportError("a module that does not load")
    assert gc.isenabled()
    assert frozen == [False]  # frozen while still paused, then enabled


def test_nested_loading_freezes_once_at_the_outer_end(
    monkeypatch: pytest.MonkeyPatch, frozen: list[bool]
) -> None:
    monkeypatch.setenv(CDK_APP_ENV, "cdk.out")
    with bindings_loading():
        with bindings_loading():
            assert not gc.isenabled()
        assert not gc.isenabled() and frozen == []
    assert gc.isenabled() and frozen == [False]


def test_outside_a_cdk_app_process_nothing_is_paused(
    monkeypatch: pytest.MonkeyPatch, frozen: list[bool]
) -> None:
    monkeypatch.delenv(CDK_APP_ENV, raising=False)
    with bindings_loading():
        assert gc.isenabled()
    assert frozen == []


class TestCollectorPaused:
    """The pause the rule pack runs in (and loading runs in, with freeze)."""

    def test_paused_inside_and_enabled_again_after(self) -> None:
        assert gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled()

    def test_nothing_is_frozen_unless_asked(self, frozen: list[bool]) -> None:
        with collector_paused():
            pass
        assert frozen == []
        with collector_paused(freeze=True):
            pass
        assert frozen == [False] and gc.isenabled()

    def test_enabled_again_after_an_error(self) -> None:
        with contextlib.suppress(RuntimeError), collector_paused():
            raise RuntimeError("boom")
        assert gc.isenabled()

    def test_a_collector_paused_by_the_caller_stays_paused(self) -> None:
        gc.disable()
        try:
            with collector_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()
        finally:
            gc.enable()


def test_a_lazy_name_is_loaded_once(monkeypatch: pytest.MonkeyPatch, frozen: list[bool]) -> None:
    import cora_constructs
    import cora_constructs.apps

    monkeypatch.setenv(CDK_APP_ENV, "cdk.out")
    for package, name in ((cora_constructs, "OrgLayerRef"), (cora_constructs.apps, "ModuleLambda")):
        kept = vars(package).pop(name, None)  # as if never looked up in this process
        try:
            first = getattr(package, name)
            assert getattr(package, name) is first and vars(package)[name] is first
        finally:
            if kept is not None:
                setattr(package, name, kept)
    assert frozen == [False, False]  # one load (and freeze) per name, none for the second lookup
