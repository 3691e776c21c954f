"""The CDK app on every Python we support: the wheel installs on 3.12 and 3.13 and the team
example synthesizes there exactly as on 3.11 (every Lambda still runs python3.11).

Uses the session's wheel; each interpreter gets a virtualenv of its own and synthesizes the
stack app once (the part that runs the team's code through the import check and the route
parser). An interpreter the machine does not have is skipped, saying so.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.example.wheel_env import find_interpreter, install

pytestmark = [pytest.mark.wheel, pytest.mark.synth]

EXAMPLE = ROOT / "examples" / "team-project"


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_the_wheel_installs_and_the_team_example_synthesizes(
    version: str, wheel: Path, layer_cache: Path, tmp_path: Path
) -> None:
    python = find_interpreter(version)
    if python is None:
        pytest.skip(f"no python{version} on PATH or under pyenv: cannot test the app on Python {version}")
    installed = install(python, wheel, tmp_path / "venv", layer_cache)
    reported = installed.run("python", "-c", "import sys; print(sys.version_info[:2])", cwd=tmp_path)
    assert reported.stdout.strip() == str(tuple(int(part) for part in version.split(".")))
    team = tmp_path / "shop"
    shutil.copytree(EXAMPLE, team, ignore=shutil.ignore_patterns("cdk.out", "__pycache__", "node_modules"))

    result = installed.run("cdk", "synth", "--quiet", "-c", "app=stack", cwd=team)
    assert "feature flags are not configured" not in result.stderr
    template = json.loads((team / "cdk.out" / "shop-dev-orders.template.json").read_text())
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert [fn["Properties"]["Runtime"] for fn in functions] == ["python3.11"]
    routes = json.loads(installed.run("cora", "routes", "--json", "--cdk-out", "cdk.out", cwd=team).stdout)
    assert {(r["method"], r["path"]) for r in routes} == {
        ("GET", "/orders"),
        ("POST", "/orders"),
        ("GET", "/orders/{order_id}"),
        ("GET", "/orders/health"),
    }

    # The org layer is still built for python3.11 manylinux2014 (pip targets it from any Python).
    installed.run("cdk", "synth", "--quiet", "-c", "app=infra", cwd=team)
    infra = json.loads((team / "cdk.out" / "shop-dev-infra.template.json").read_text())
    (layer,) = [r for r in infra["Resources"].values() if r["Type"] == "AWS::Lambda::LayerVersion"]
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.11"]
    python = team / "cdk.out" / layer["Metadata"]["aws:asset:path"] / "python"
    assert (python / "cora_runtime").is_dir() and (python / "cryptography").is_dir()
    assert list(python.glob("cryptography-*.dist-info"))
