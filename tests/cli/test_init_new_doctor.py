"""`cora init`, `cora new lambda`, `cora doctor`, `cora --version` and every command's --help,
driven through `cora`'s main (no synth: the end-to-end run is tests/example/test_new_project.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cora_constructs import packaged
from cora_constructs.cli import doctor_command, init_command
from cora_constructs.cli.doctor_command import (
    FAIL,
    INFO,
    OK,
    WARN,
    _settings_problems,
    aws_credentials_check,
    cdk_cli_check,
    node_check,
    pip_check,
    python_check,
)
from cora_constructs.cli.main import main


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"cora-constructs {packaged.version()}\n"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["init"],
        ["new"],
        ["new", "lambda"],
        ["synth"],
        ["routes"],
        ["check"],
        ["audit"],
        ["doctor"],
        ["manifest"],
        ["manifest", "generate"],
        ["manifest", "check"],
    ],
)
def test_every_help_has_an_example(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "example" in out and f"cora {' '.join(command)}".strip() in out.split("example", 1)[1]


# --- cora new lambda ---------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "cdk.json").write_text(json.dumps({"app": "python3 app.py", "context": {}}))
    return tmp_path


def test_new_lambda_writes_the_handler_and_its_test(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["new", "lambda", "billing", "invoice-api", "--route", "GET /invoices", "--no-generate"]
    assert main([*args, "--project-root", str(project)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("cora new lambda: added module billing (new, packages/module-billing/) and Lambda")
    assert "Skipped the workflows (--no-generate)" in out
    assert sorted(tree(project)) == [
        "cdk.json",
        "packages/module-billing/backend/lambdas/invoice-api/lambda_function.py",
        "packages/module-billing/backend/tests/test_billing_invoice_api.py",
    ]


def test_new_lambda_refusal_is_exit_2_one_line_and_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["new", "lambda", "billing", "invoice-api", "--route", "GET /invoices", "--no-generate"]
    assert main([*args, "--project-root", str(project)]) == 0
    capsys.readouterr()
    before = tree(project)
    assert main([*args, "--project-root", str(project)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("cora new lambda: error: Lambda 'invoice-api'")
    other = ["new", "lambda", "shipping", "label", "--route", "GET /invoices", "--route", "BREW /tea"]
    assert main([*other, "--no-generate", "--project-root", str(project)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "unknown HTTP method 'BREW'" in err[0] and "already declared by" in err[1]
    assert tree(project) == before


def test_new_lambda_outside_a_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "lambda", "billing", "x", "--no-generate"]) == 2
    assert "no cdk.json in" in capsys.readouterr().err


# --- cora init (npm faked: the real one runs in tests/example) -------------------------------


def fake_npm(npm: str, root: Path) -> None:
    (root / "package-lock.json").write_text('{"lockfileVersion": 3}\n')


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "notes.txt").write_text("mine")
    before = tree(tmp_path)
    assert main(["init", str(tmp_path / "shop")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "is not empty (1 entries: notes.txt)" in err[0] and "--force" in err[0]
    assert tree(tmp_path) == before and sorted(p.name for p in tmp_path.iterdir()) == ["shop"]


def test_init_without_npm_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(init_command.shutil, "which", lambda name: None)
    assert main(["init", str(tmp_path / "shop")]) == 2
    assert "npm is not on PATH: install Node.js 20" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--project", "Shop!"], "project name 'Shop!' cannot name stacks"),
        (["--environment", "prod_eu"], "environment name 'prod_eu' cannot name stacks"),
    ],
)
def test_init_refuses_names_that_cannot_name_stacks(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "shop"), *args]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_init_when_npm_fails_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing(npm: str, root: Path) -> None:
        raise init_command.InitError("`npm install` of aws-cdk@2.1148.1 failed: E404")

    monkeypatch.setattr(init_command, "_npm_install", failing)
    monkeypatch.setattr(init_command.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert main(["init", str(tmp_path / "shop")]) == 2
    assert "E404" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_init_no_generate_writes_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(init_command, "_npm_install", fake_npm)
    assert main(["init", str(tmp_path / "My_Shop"), "--environment", "staging", "--no-generate"]) == 0
    out = capsys.readouterr().out
    assert "created project 'my-shop' (environment 'staging')" in out and "cora manifest generate" in out
    root = tmp_path / "My_Shop"
    cdk_json = json.loads((root / "cdk.json").read_text())
    assert (
        cdk_json["context"]["cora:project"] == "my-shop"
        and cdk_json["context"]["cora:environment"] == "staging"
    )
    assert cdk_json["context"]["@aws-cdk/core:checkSecretUsage"] is True
    assert (root / "package-lock.json").is_file() and (root / ".git").is_dir()
    assert not list(tmp_path.glob(".cora-init-*"))  # the staging folder is gone


def test_init_force_keeps_other_files_and_replaces_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(init_command, "_npm_install", fake_npm)
    root = tmp_path / "shop"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "notes.md").write_text("mine")
    (root / "README.md").write_text("old")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert main(["init", str(root), "--force", "--no-generate"]) == 0
    out = capsys.readouterr().out
    assert "replaced (--force): README.md" in out and "inside an existing git repository" in out
    assert (root / "docs" / "notes.md").read_text() == "mine"
    assert (root / "README.md").read_text().startswith("# shop")
    assert not (root / ".git").exists()


# --- cora doctor ---------------------------------------------------------------------------


class Runner:
    def __init__(self, outputs: dict[str, tuple[int, str, str]]) -> None:
        self.outputs = outputs
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        key = next(k for k in self.outputs if k in " ".join(command))
        code, out, err = self.outputs[key]
        return subprocess.CompletedProcess(command, code, out, err)


def test_python_check() -> None:
    assert python_check((3, 12, 1), "/p/.venv", "/usr").status == OK
    assert python_check((3, 13, 0), "/usr", "/usr").status == WARN
    failed = python_check((3, 10, 4), "/p/.venv", "/usr")
    assert failed.status == FAIL and "3.11 to 3.13" in failed.detail and failed.fix


def test_node_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor_command.shutil, "which", lambda name: "/usr/bin/node")
    assert node_check(Runner({"node": (0, "v20.11.1\n", "")})).status == OK
    old = node_check(Runner({"node": (0, "v18.19.0\n", "")}))
    assert old.status == FAIL and "needs >= 20.0.0" in old.detail and "install Node.js 20" in old.fix
    monkeypatch.setattr(doctor_command.shutil, "which", lambda name: None)
    assert node_check(Runner({})).status == FAIL


@pytest.mark.parametrize(
    ("output", "status", "text"),
    [
        ("2.1148.1 (build 1a2b3c4)\n", OK, "CDK CLI 2.1148.1"),
        ("3.0.0 (build 1)\n", FAIL, "not a 2.x CLI"),
        ("2.150.0 (build 1)\n", FAIL, "older than 2.1148.0"),
    ],
)
def test_cdk_cli_check(tmp_path: Path, output: str, status: str, text: str) -> None:
    cdk = tmp_path / "node_modules" / ".bin" / "cdk"
    cdk.parent.mkdir(parents=True)
    cdk.write_text("")
    check = cdk_cli_check(tmp_path, Runner({"cdk": (0, output, "")}))
    assert check.status == status and text in check.detail
    if status == FAIL:
        assert "npm install --save-dev aws-cdk@2.1148.1" in check.fix


def test_pip_check_downloads_a_manylinux_wheel_or_says_why_not(tmp_path: Path) -> None:
    def fetching(command: list[str]) -> subprocess.CompletedProcess[str]:
        target = Path(command[command.index("-d") + 1])
        (target / "MarkupSafe-3.0.2-cp311-cp311-manylinux2014_x86_64.whl").write_bytes(b"")
        return subprocess.CompletedProcess(command, 0, "", "")

    check = pip_check({}, fetching)
    assert check.status == OK and "manylinux" in check.detail
    failed = pip_check({}, Runner({"pip": (1, "", "ERROR: Could not find a version\n")}))
    assert (
        failed.status == FAIL
        and "Could not find a version" in failed.detail
        and "cora:wheelhouse" in failed.fix
    )
    assert pip_check({"cora:wheelhouse": str(tmp_path)}, Runner({})).status == FAIL
    (tmp_path / "six-1.16.0-py2.py3-none-any.whl").write_bytes(b"")
    assert pip_check({"cora:wheelhouse": str(tmp_path)}, Runner({})).status == OK


def test_settings_problems(tmp_path: Path) -> None:
    assert _settings_problems({"app": "python3 app.py", "context": {}}, tmp_path) == ([], [])
    assert _settings_problems([], tmp_path) == (["the top level is not an object"], [])
    assert len(_settings_problems({"app": " "}, tmp_path)[0]) == 2


def test_settings_problems_are_the_synth_settings_check(tmp_path: Path) -> None:
    document = {
        "app": "python3 app.py",
        "context": {"cora:jwksUrl": "http://idp.example/jwks.json", "cora:jwksURL": "x"},
    }
    problems, warnings = _settings_problems(document, tmp_path)
    (problem,) = problems
    assert problem.startswith("CORA-S1 cdk context cora:jwksUrl") and "https://" in problem
    (warning,) = warnings
    assert "did you mean 'cora:jwksUrl'?" in warning


def test_aws_credentials_are_information_only(tmp_path: Path) -> None:
    assert aws_credentials_check({}, tmp_path).status == INFO
    assert "AWS_PROFILE" in aws_credentials_check({"AWS_PROFILE": "dev"}, tmp_path).detail


def test_doctor_exits_1_and_names_the_fix_when_a_required_check_fails(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "cdk.json").write_text("{not json")
    monkeypatch.setattr(doctor_command.shutil, "which", lambda name: None)
    assert main(["doctor", "--skip-pip", "--project-root", str(project)]) == 1
    lines = capsys.readouterr().out.splitlines()
    failed = [line for line in lines if line.startswith("FAIL")]
    assert {line.split()[1] for line in failed} == {"node", "cdk-cli", "cdk.json"}
    assert all("-> fix: " in line for line in failed)
    assert lines[-1] == "cora doctor: 3 required check(s) failed (8 checks)"
    assert main(["doctor", "--skip-pip", "--json", "--project-root", str(project)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and [c["name"] for c in report["checks"]][:2] == [
        "python",
        "cora-constructs",
    ]
    assert {c["name"] for c in report["checks"] if c["status"] == FAIL} == {"node", "cdk-cli", "cdk.json"}
