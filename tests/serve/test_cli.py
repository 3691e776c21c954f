"""`cora token` and `cora serve` argument handling, in-process (no server started)."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest

from cora_constructs.cli.main import main
from tests.conftest import ROOT


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "dev-key.pem"
    monkeypatch.setenv("CORA_DEV_KEY", str(path))
    return path


def test_token_has_the_projects_issuer_audience_and_the_claims(
    key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "token",
            "--project-root",
            str(ROOT),
            "--sub",
            "carol",
            "--claim",
            "admin=true",
            "--claim",
            "team=ops",
            "--ttl",
            "15m",
        ]
    )
    assert code == 0
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    assert claims["iss"] == context["cora:jwtIssuer"] and claims["aud"] == context["cora:jwtAudience"]
    assert (claims["sub"], claims["admin"], claims["team"]) == ("carol", True, "ops")
    assert claims["exp"] - claims["iat"] == 900
    assert key_file.is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["token", "--ttl", "1w"], "--ttl '1w' is not a duration"),
        (["token", "--claim", "novalue"], "--claim 'novalue' is not KEY=VALUE"),
        (["token", "--sub", ""], "--sub must not be empty"),
        (["serve", "--port", "70000"], "--port 70000 is not a port number"),
        (["serve", "--env", "oops"], "--env: 'oops' is not KEY=VALUE"),
        (["serve", "--cdk-out", "/nonexistent/cdk.out"], "is not a cloud assembly"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*args, "--project-root", str(ROOT)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
