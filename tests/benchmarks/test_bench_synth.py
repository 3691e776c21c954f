"""bench_synth.py: the direct timing of the import check, and how a cold process is run."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks import bench_synth
from benchmarks.bench_synth import import_check_timed
from cora_constructs.creation_traces import CREATION_TRACES_OFF
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


def test_a_cold_process_runs_as_the_cdk_cli_runs_an_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runs: list[tuple[list[str], dict[str, str]]] = []

    def run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        runs.append((command, options["env"]))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setattr(bench_synth.subprocess, "run", run)
    result = bench_synth.measure_cold(tmp_path / "project", 1, tmp_path / "work")
    assert set(result["all_s"]) == {"standard", "raw"}
    assert len(runs) == 4  # one untimed process per variant (bytecode), then one round
    for command, env in runs:
        outdir = command[command.index("--outdir") + 1]
        assert env["CDK_OUTDIR"] == outdir  # what the CDK CLI sets for the app's process
        assert "PYTHONDONTWRITEBYTECODE" not in env


def test_raw_cdk_can_get_what_the_cora_app_sets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    made: dict[str, object] = {}

    class MadeError(Exception):
        pass

    def new_app(outdir: Path, project: Path, **context: object) -> None:
        made.update(context)
        raise MadeError

    monkeypatch.setattr(bench_synth, "new_app", new_app)
    with pytest.raises(MadeError):
        bench_synth.raw(tmp_path, tmp_path / "out")
    assert made == {"app": "stack"}  # raw CDK as a team writes it
    monkeypatch.setitem(bench_synth.RAW_CONTEXT, CREATION_TRACES_OFF, True)
    with pytest.raises(MadeError):
        bench_synth.raw(tmp_path, tmp_path / "out")
    assert made == {"app": "stack", CREATION_TRACES_OFF: True}

    commands: list[list[str]] = []

    def run(command: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(bench_synth.subprocess, "run", run)
    bench_synth.measure_cold(tmp_path / "project", 1, tmp_path / "work")
    assert all("--raw-without-creation-traces" in command for command in commands)


def test_the_import_check_is_judged_on_its_own_time(capsys: pytest.CaptureFixture[str]) -> None:
    row = {
        "functions": 18,
        "best_s": {"standard": 0.20, "unchecked": 0.18, "raw": 0.21},
        "ratio": 0.95,
        "ratio_cpu": 0.97,
        "paired_ratio": 0.96,
        "import_check_ratio": 1.11,  # two apps 0.4 ms apart: the rounds' noise
        "import_check_ratio_direct": 1.002,
        "import_check_ratio_direct_max": 1.003,
    }
    bench_synth.print_table([row])
    line = capsys.readouterr().out.splitlines()[1]
    assert "1.003  ok (timed directly" in line and "A/B against the app without it: 1.110" in line
    bench_synth.print_table([{**row, "import_check_ratio_direct_max": 1.06}])
    assert "1.060  OVER" in capsys.readouterr().out
