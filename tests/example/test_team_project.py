"""examples/team-project as a team meets cora-constructs: a wheel, a virtualenv, a folder of its own.

Builds the wheel once, installs it (not editable, no sys.path edits) into a virtualenv of this
test's own, copies the example outside the repository and drives it with the standard CDK CLI
and the installed `cora` command, the way the project's CI would.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.example.wheel_env import Installed

pytestmark = [pytest.mark.wheel, pytest.mark.synth]

EXAMPLE = ROOT / "examples" / "team-project"


def team_copy(base: Path, name: str) -> Path:
    """The example copied outside the repository, as a fresh clone of the team's repo."""
    folder = base / name
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("cdk.out", "__pycache__", "node_modules"))
    return folder


def layer_bundle(cdk_out: Path) -> Path:
    template = json.loads((cdk_out / "shop-dev-infra.template.json").read_text())
    (layer,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::LayerVersion"]
    return cdk_out / layer["Metadata"]["aws:asset:path"] / "python"


@pytest.fixture(scope="session")
def team(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = team_copy(tmp_path_factory.mktemp("clones"), "shop")
    assert not (folder / "layers").exists() and not (folder / "lambdas").exists()
    return folder


def test_the_package_is_installed_not_linked(installed: Installed, team: Path) -> None:
    code = (
        "import cora_constructs, cora_runtime; print(cora_constructs.__file__); print(cora_runtime.__file__)"
    )
    out = installed.run("python", "-c", code, cwd=team).stdout.split()
    assert all("site-packages" in path for path in out), out
    assert not any(str(ROOT) in path for path in out)


def test_the_infra_app_builds_the_org_layer_and_the_authorizer_from_the_package(
    installed: Installed, team: Path
) -> None:
    installed.run("cdk", "synth", "--quiet", "-c", "app=infra", cwd=team)
    python = layer_bundle(team / "cdk.out")
    for package in ("cora_runtime", "cryptography", "jwt", "certifi"):
        assert (python / package).is_dir(), package
    template = json.loads((team / "cdk.out" / "shop-dev-infra.template.json").read_text())
    (authorizer,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert authorizer["Metadata"]["cora:source"] == "cora_constructs/authorizer"
    code = team / "cdk.out" / authorizer["Metadata"]["aws:asset:path"] / "lambda_function.py"
    assert "def lambda_handler" in code.read_text()
    assert authorizer["Properties"]["Environment"]["Variables"]["JWT_AUDIENCE"] == "shop-api"


def test_the_stack_app_serves_the_module_routes_behind_the_org_authorizer(
    installed: Installed, team: Path
) -> None:
    result = installed.run("cdk", "synth", "--quiet", "-c", "app=stack", cwd=team)
    assert "feature flags are not configured" not in result.stderr  # cdk.json carries them
    template = json.loads((team / "cdk.out" / "shop-dev-orders.template.json").read_text())
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]["AuthorizationType"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ApiGatewayV2::Route"
    }
    assert routes == {
        "GET /orders": "CUSTOM",
        "POST /orders": "CUSTOM",
        "GET /orders/{order_id}": "CUSTOM",
        "GET /orders/health": "NONE",
    }
    tables = [r for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::GlobalTable"]
    assert len(tables) == 1  # the team's extension: OrdersStack.add_resources


def test_cora_routes_manifest_generate_and_check(installed: Installed, team: Path) -> None:
    installed.run("cora", "synth", cwd=team)
    routes = json.loads(installed.run("cora", "routes", "--json", cwd=team).stdout)
    assert {(r["method"], r["path"], r["auth"]) for r in routes} == {
        ("GET", "/orders", "org"),
        ("POST", "/orders", "org"),
        ("GET", "/orders/{order_id}", "org"),
        ("GET", "/orders/health", "public"),
    }
    assert {r["function_name"] for r in routes} == {"shop-dev-orders-order-api"}
    installed.run("cora", "manifest", "generate", cwd=team)
    installed.run("cora", "manifest", "check", cwd=team)
    manifest = json.loads((team / "infrastructure" / "lambda_workflow_manifest.json").read_text())
    by_name = {entry["function_name"]: entry for entry in manifest["functions"]}
    assert by_name["shop-dev-authorizer-authorizer"]["source_package"].startswith("cora-constructs==")
    # Path filters name what the project really has: its module folder and its pins.
    workflows = team / ".github" / "workflows"
    authorizer = (workflows / "lambda-shop-dev-authorizer-authorizer-deploy.yml").read_text()
    assert "- requirements.txt" in authorizer and "cora_constructs/" not in authorizer.split("jobs:")[0]
    orders = (workflows / "lambda-shop-dev-orders-order-api-deploy.yml").read_text()
    assert (
        "- packages/module-orders/backend/lambdas/order-api/**" in orders and "- requirements.txt" in orders
    )
    for text in (authorizer, orders):
        for line in text.splitlines():
            if line.strip().startswith("- ") and line.strip().endswith("/**"):
                assert (team / line.strip()[2:].removesuffix("/**")).exists(), line


def test_a_second_clone_builds_the_infra_app_with_no_package_index(
    installed: Installed, team: Path, tmp_path: Path
) -> None:
    installed.run("cdk", "synth", "--quiet", "-c", "app=infra", cwd=team)  # the first clone built it
    second = team_copy(tmp_path, "shop-second-clone")
    installed.run("cdk", "synth", "--quiet", "-c", "app=infra", cwd=second, PIP_NO_INDEX="1")
    assert (layer_bundle(second / "cdk.out") / "cora_runtime").is_dir()


def test_the_team_org_layer_is_composed_with_the_runtime(installed: Installed, tmp_path: Path) -> None:
    project = team_copy(tmp_path, "shop-with-org-layer")
    own = project / "layers" / "org_common"
    (own / "python" / "org_common").mkdir(parents=True)
    (own / "python" / "org_common" / "__init__.py").write_text('"""The shop team\'s shared code."""\n')
    (own / "requirements.txt").write_text("six==1.16.0\n")
    installed.run("cdk", "synth", "--quiet", "-c", "app=infra", cwd=project)
    python = layer_bundle(project / "cdk.out")
    for package in ("org_common", "cora_runtime", "cryptography"):
        assert (python / package).is_dir(), package
    assert (python / "six.py").is_file()
    # A package of the team's that is also ours fails the synth and names both.
    (own / "python" / "cora_runtime").mkdir()
    (own / "python" / "cora_runtime" / "__init__.py").write_text("")
    result = installed.run("cdk", "synth", "--quiet", "-c", "app=infra", cwd=project, check=False)
    assert result.returncode != 0
    assert "CORA-F1" in result.stderr and "package 'cora_runtime' is provided by both" in result.stderr
    assert "Traceback" not in result.stderr
