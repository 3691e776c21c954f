"""What a worker gets: its interpreter, its sys.path (what ships), its environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cora_constructs.serve import workers
from cora_constructs.serve.plan import LambdaFunction, Unresolved


def function(layers: tuple[Path, ...] = ()) -> LambdaFunction:
    return LambdaFunction(
        "fn", "s", "Fn", "lambda_function.lambda_handler", Path("/code"), layers,
        {"MODULE_NAME": "m", "A": "template"}, (Unresolved("TABLE_NAME", "Ref Table"),), 512, 10,
        "python3.11", module="m",
    )  # fmt: skip


def test_the_path_is_the_code_then_the_layers_last_first_then_the_runtime(tmp_path: Path) -> None:
    org, deps = tmp_path / "org", tmp_path / "deps"
    (deps / "python" / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (org / "python").mkdir(parents=True)
    path = workers.worker_path(function((org, deps)), tmp_path / "runtime")
    assert path == [
        "/code",
        str(deps / "python" / "lib" / "python3.11" / "site-packages"),
        str(deps / "python"),
        str(org / "python"),
        str(tmp_path / "runtime"),
    ]


def test_the_runtime_folder_links_only_what_lambdas_runtime_provides(tmp_path: Path) -> None:
    folder = workers.runtime_packages_dir(tmp_path, ["boto3", "botocore", "not_installed_anywhere"])
    assert folder is not None
    assert sorted(p.name for p in folder.iterdir()) == ["boto3", "botocore"]
    assert (folder / "boto3" / "__init__.py").is_file()
    assert workers.runtime_packages_dir(tmp_path, ["boto3", "botocore"]) == folder  # reused


def test_the_environment_is_lambdas_plus_the_functions_plus_credentials() -> None:
    parent = {
        "HOME": "/home/u",
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://x",
        "SECRET": "no",
    }
    env = workers.lambda_environment(function(), region="eu-west-1", overrides={"A": "cli"}, parent=parent)
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "fn" and env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["_HANDLER"] == "lambda_function.lambda_handler" and env["LAMBDA_TASK_ROOT"] == "/code"
    assert (env["MODULE_NAME"], env["A"]) == ("m", "cli")
    assert env["AWS_ACCESS_KEY_ID"] == "k" and env["AWS_ENDPOINT_URL_DYNAMODB"] == "http://x"
    assert "SECRET" not in env and "TABLE_NAME" not in env


def test_the_interpreter_is_the_functions_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    current = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert workers.runtime_interpreter(current) == (sys.executable, None)
    monkeypatch.setattr(workers.shutil, "which", lambda name: None)
    python, warning = workers.runtime_interpreter("python3.99")
    assert python == sys.executable and warning is not None and "python3.99 is not on PATH" in warning
    monkeypatch.setattr(workers.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert workers.runtime_interpreter("python3.99") == ("/usr/bin/python3.99", None)
