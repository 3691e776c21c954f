"""The `cora` command line against the session's synthesized reference app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cora_constructs.cli.main import main
from tests.conftest import Synthesized

pytestmark = pytest.mark.synth


def test_routes_table(reference: Synthesized, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "--cdk-out", str(reference.outdir)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["PROTOCOL", "METHOD", "PATH", "MODULE", "LAMBDA", "AUTH", "DESCRIPTION"]
    health = next(line for line in out if " /health " in line)
    assert health.split()[:6] == ["http", "GET", "/health", "projects", "project_service", "public"]
    assert "(uptime check, returns no data)" in health
    reindex = next(line for line in out if "/reindex" in line)
    assert reindex.split()[5] == "iam"
    connect = next(line for line in out if " $connect " in line)
    assert connect.split()[:6] == ["websocket", "-", "$connect", "notifications", "task_notifications", "org"]
    watch = next(line for line in out if " watch " in line)
    assert "via $connect" in watch
    assert out[-1] == "24 routes (20 HTTP, 4 WebSocket), 23 behind an authorizer, 1 public"


def test_routes_json(reference: Synthesized, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "--json", "--cdk-out", str(reference.outdir)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 24
    first = rows[0]
    assert set(first) == {
        "protocol", "route_key", "method", "path", "module", "lambda", "function_name", "app",
        "stack", "auth", "public_reason", "description",
    }  # fmt: skip
    websocket = [r for r in rows if r["protocol"] == "websocket"]
    assert [(r["route_key"], r["auth"]) for r in websocket] == [
        ("$connect", "org"),
        ("$disconnect", "via $connect"),
        ("notify", "via $connect"),
        ("watch", "via $connect"),
    ]
    assert {r["lambda"] for r in websocket} == {"task_notifications"}
    rows = [r for r in rows if r["protocol"] == "http"]
    by_key = {(r["method"], r["path"]): r for r in rows}
    comments = by_key[("POST", "/tasks/{task_id}/comments")]
    assert comments["lambda"] == "tracker_comments"
    assert comments["function_name"] == "cora-dev-tracker-tracker-comments"
    assert comments["stack"] == "cora-dev-tracker" and comments["auth"] == "org"
    assert {r["app"] for r in rows} == {"stack"}


def test_missing_cloud_assembly_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["routes", "--cdk-out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cora routes: error: ") and "manifest.json" in err
    assert "Traceback" not in err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nonsense"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_cli_imports_no_aws_cdk() -> None:
    code = "import sys, cora_constructs.cli.main; print('aws_cdk' in sys.modules, 'jsii' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_synth_summary_says_what_was_made(reference: Synthesized) -> None:
    from cora_constructs.assembly.api_routes import read_api_routes, route_table
    from cora_constructs.assembly.reader import read_cloud_assembly
    from cora_constructs.cli.main import _summary

    lambdas = read_cloud_assembly(reference.outdir)
    rows, problems = route_table(read_api_routes(reference.outdir), lambdas)
    assert problems == []
    text = _summary(lambdas, rows, reference.outdir, reference.outdir.parent)
    lines = text.splitlines()
    assert lines[0] == f"cora synth: wrote {reference.outdir.name}/ (5 stacks with Lambdas)"
    assert lines[1].startswith("  stack app: 6 StandardLambda(s): cora-dev-documents-document-api, ")
    assert lines[2] == "  infra app: 1 StandardLambda(s): cora-dev-authorizer-authorizer"
    assert lines[3] == "  routes: 24 (1 iam, 19 org, 1 public, 3 via $connect)"
