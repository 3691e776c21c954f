"""Bad ``cora:*`` settings through the real CDK CLI and `cora synth`: one line per bad key, no
traceback, no cloud assembly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.synth

CDK = ROOT / "node_modules" / ".bin" / "cdk"
BAD = {
    "cora:jwksUrl": "http://auth.example.com/.well-known/jwks.json",
    "cora:project": "My Project!",
    "cora:ssmPrefix": "cora/dev",
    "cora:environment": "",
}


def team_project(folder: Path, context: dict[str, object]) -> Path:
    """A team project as `cora init` would make it: app.py calling main(), cdk.json context."""
    folder.mkdir()
    (folder / "app.py").write_text("from cora_constructs.apps import main\n\nmain()\n")
    cdk_json = {"app": "python3 app.py", "context": context}
    (folder / "cdk.json").write_text(json.dumps(cdk_json, indent=2))
    return folder


def environment() -> dict[str, str]:
    path = os.pathsep.join([str(Path(sys.executable).parent), str(CDK.parent), os.environ.get("PATH", "")])
    return {**os.environ, "PATH": path, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


@pytest.fixture(scope="module")
def cdk_synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    if not CDK.is_file():
        pytest.skip("the CDK CLI is not installed (run `npm ci`)")
    project = team_project(
        tmp_path_factory.mktemp("bad") / "project", {**BAD, "cora:jwksURL": "https://x.example/jwks"}
    )
    completed = subprocess.run(
        [str(CDK), "synth", "-q"],
        cwd=project,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return completed, project


def test_cdk_synth_fails_with_one_line_per_bad_setting(
    cdk_synth: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    completed, project = cdk_synth
    assert completed.returncode != 0
    err = completed.stderr
    assert "Traceback" not in err and "jsii" not in err
    lines = [line for line in err.splitlines() if line.startswith("CORA-S1 ")]
    assert sorted(line.split(":", 2)[1] for line in lines) == sorted(
        f"{key.removeprefix('cora:')}" for key in BAD
    ), err
    for key, value in BAD.items():
        (line,) = [line for line in lines if line.startswith(f"CORA-S1 cdk context {key}:")]
        assert repr(value) in line
    assert "4 problems (CORA-S1: 4)" in err
    assert "did you mean 'cora:jwksUrl'?" in err  # the unknown key is a warning, not an error
    assert not (project / "cdk.out" / "manifest.json").exists()


def test_cora_synth_reports_a_bad_setting_without_a_traceback(tmp_path: Path) -> None:
    if not CDK.is_file():
        pytest.skip("the CDK CLI is not installed (run `npm ci`)")
    project = team_project(tmp_path / "project", {"cora:jwksUrl": BAD["cora:jwksUrl"]})
    completed = subprocess.run(
        [sys.executable, "-m", "cora_constructs.cli.main", "synth", "--project-root", str(project)],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert (
        "CORA-S1 cdk context cora:jwksUrl: 'http://auth.example.com/.well-known/jwks.json' is not "
        "https://" in completed.stderr
    )
