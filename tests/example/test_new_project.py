"""From nothing to a deployable project, as a new user does it: the wheel in a fresh virtualenv,
an empty folder, `cora init`, `cora synth`, `cora new lambda`, pytest, `cora manifest check`,
`cora doctor`, `cora --version`; and a hand-written deploy workflow caught by the guard.

One project, built step by step (the tests run in file order and share it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.example.wheel_env import Installed

pytestmark = [pytest.mark.wheel, pytest.mark.synth]

NEW_LAMBDA = ("cora", "new", "lambda", "billing", "invoice-api", "--route", "GET /invoices")
FLAG_WARNING = "feature flags are not configured"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("new-user")


@pytest.fixture(scope="module")
def shop(installed: Installed, workspace: Path) -> Path:
    result = installed.run("cora", "init", "shop", cwd=workspace)
    assert "cora init: created project 'shop' (environment 'dev') in shop/" in result.stdout
    assert "Next:" in result.stdout and "Traceback" not in result.stderr
    return workspace / "shop"


def tree(root: Path) -> dict[str, bytes]:
    """Every file of the project but the build outputs and dependencies."""
    skipped = ("node_modules", "cdk.out", ".git", "__pycache__", ".pytest_cache")
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not any(part in skipped for part in path.relative_to(root).parts)
    }


def test_init_writes_a_project_that_synthesizes_as_is(installed: Installed, shop: Path) -> None:
    for name in (
        "app.py", "cdk.json", "requirements.txt", "requirements-dev.txt", "package.json",
        "package-lock.json", ".gitignore", "pytest.ini", "README.md",
        "packages/module-hello/backend/lambdas/hello-api/lambda_function.py",
        "packages/module-hello/backend/tests/test_hello_hello_api.py",
        "infrastructure/lambda_workflow_manifest.json",
        ".github/workflows/lambda-shop-dev-hello-hello-api-deploy.yml",
        ".github/workflows/lambda-workflow-coverage-guard.yml",
    ):  # fmt: skip
        assert (shop / name).is_file(), name
    assert (shop / ".git").is_dir()
    version = installed.run("cora", "--version", cwd=shop).stdout.split()[-1]
    assert (shop / "requirements.txt").read_text().splitlines()[-1] == f"cora-constructs=={version}"
    lock = json.loads((shop / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/aws-cdk"]["version"] == "2.1148.1"

    result = installed.run("cora", "synth", cwd=shop)
    assert FLAG_WARNING not in result.stderr and FLAG_WARNING not in result.stdout
    assert "infra app: 1 StandardLambda(s): shop-dev-authorizer-authorizer" in result.stdout
    assert "stack app: 1 StandardLambda(s): shop-dev-hello-hello-api" in result.stdout


def test_new_lambda_adds_a_module_routes_a_test_and_workflows(installed: Installed, shop: Path) -> None:
    result = installed.run(*NEW_LAMBDA, cwd=shop)
    assert "added module billing (new, packages/module-billing/) and Lambda invoice-api" in result.stdout
    assert (shop / ".github/workflows/lambda-shop-dev-billing-invoice-api-deploy.yml").is_file()
    routes = json.loads(installed.run("cora", "routes", "--json", cwd=shop).stdout)
    invoices = [r for r in routes if r["path"] == "/invoices"]
    assert [(r["method"], r["function_name"], r["auth"]) for r in invoices] == [
        ("GET", "shop-dev-billing-invoice-api", "org")
    ]
    installed.run("python", "-m", "pip", "install", "--quiet", "-r", "requirements-dev.txt", cwd=shop)
    tests = installed.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=shop)
    assert tests.stdout.strip().splitlines()[-1].startswith("4 passed"), tests.stdout
    installed.run("cora", "manifest", "check", cwd=shop)


def test_the_same_new_lambda_again_exits_2_with_one_line_and_writes_nothing(
    installed: Installed, shop: Path
) -> None:
    before = tree(shop)
    result = installed.run(*NEW_LAMBDA, cwd=shop, check=False)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "cora new lambda: error: Lambda 'invoice-api' of module 'billing' already exists: "
        "packages/module-billing/backend/lambdas/invoice-api"
    ]
    assert tree(shop) == before


def test_doctor_and_version(installed: Installed, shop: Path) -> None:
    doctor = installed.run("cora", "doctor", cwd=shop)
    lines = doctor.stdout.splitlines()
    assert lines[-1] == "cora doctor: ready (8 checks)"
    assert not [line for line in lines if line.startswith("FAIL")]
    assert any(line.startswith("ok    cdk-cli") and "2.1148.1" in line for line in lines)
    version = installed.run("cora", "--version", cwd=shop).stdout
    assert version.startswith("cora-constructs ") and version.split()[-1][0].isdigit()


def test_a_hand_written_deploy_workflow_fails_the_guard(installed: Installed, shop: Path) -> None:
    ghost = shop / ".github" / "workflows" / "lambda-ghost-deploy.yml"
    ghost.write_text(
        "name: Deploy ghost\non: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: aws lambda update-function-code --function-name ghost\n"
    )
    try:
        result = installed.run("cora", "manifest", "check", cwd=shop, check=False)
    finally:
        ghost.unlink()
    assert result.returncode == 1
    assert "[unmanaged-deploy-workflow] .github/workflows/lambda-ghost-deploy.yml" in result.stdout
