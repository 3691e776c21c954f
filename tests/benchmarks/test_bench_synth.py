"""bench_synth.py's direct timing of the import check."""

from __future__ import annotations

import time

import pytest

from benchmarks.bench_synth import import_check_timed
from cora_constructs.functions import standard_lambda


def test_the_time_inside_the_import_check_is_counted_and_the_check_restored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def slow_check(*args: object, **kwargs: object) -> list[str]:
        time.sleep(0.02)
        return ["found"]

    monkeypatch.setattr(standard_lambda, "import_problems", slow_check)
    with import_check_timed() as spent:
        assert standard_lambda.import_problems() == ["found"]
        assert standard_lambda.import_problems is not slow_check
    assert spent[0] >= 0.02
    assert standard_lambda.import_problems is slow_check
