"""The rule pack and `cora check` on an app written with raw CDK: every finding, exactly."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cora_constructs.cli.main import main
from cora_constructs.compliance import check_assembly
from cora_constructs.compliance.model import Status
from tests.compliance.conftest import BadApp

pytestmark = pytest.mark.synth
CORA = str(Path(sys.executable).with_name("cora"))

EXPECTED_FAILURES = [
    ("CORA-A1", "Bad/Orders/Resource"),
    ("CORA-A2", "Bad/Authz/Resource"),
    ("CORA-ACK", "Bad/Py312"),
    ("CORA-L1", "Bad/Inline/Resource"),
    ("CORA-L2", "Bad/Authz/Resource"),
    ("CORA-L2", "Bad/Py312/Resource"),
    ("CORA-L3", "Bad/NoLayer/Resource"),
    ("CORA-L4", "Bad/Orders/Resource"),
    ("CORA-L5", "Bad/Authz/Resource"),
    ("CORA-L6", "Bad/Native/Resource"),
    ("CORA-R1", "Bad/OrdersPost/Resource"),
    ("CORA-R2", "Bad/Orders/Resource"),
    ("CORA-R4", "Bad/OrdersGet/Resource"),
]


def test_every_finding_of_the_bad_app(bad_app: BadApp) -> None:
    report = check_assembly(bad_app.cdk_out, bad_app.project)
    assert sorted((f.rule_id, f.path) for f in report.failures) == EXPECTED_FAILURES
    assert report.unvalidated == []
    messages = {(f.rule_id, f.path): f.message for f in report.failures}
    assert messages[("CORA-L2", "Bad/Py312/Resource")].startswith("Runtime is python3.12")
    assert "overridden after construction" in messages[("CORA-L5", "Bad/Authz/Resource")]
    assert "speedups.so (ELF x86-64)" in messages[("CORA-L6", "Bad/Native/Resource")]
    assert "DELETE /orders/{order_id} are not in the API" in messages[("CORA-R2", "Bad/Orders/Resource")]
    assert "bare function" in messages[("CORA-L4", "Bad/Orders/Resource")]
    assert "CORA-L2 on Bad/Py312 gives no reason" in messages[("CORA-ACK", "Bad/Py312")]


def test_acknowledged_with_a_reason_is_reported_not_failed(bad_app: BadApp) -> None:
    report = check_assembly(bad_app.cdk_out, bad_app.project)
    assert [(f.rule_id, f.path, f.acknowledged, f.acknowledged_at) for f in report.acknowledged] == [
        ("CORA-L3", "Bad/Vendor/Resource", "vendor agent: ships its own dependencies", "Bad/Vendor")
    ]


def test_compliant_parts_are_compliant(bad_app: BadApp) -> None:
    report = check_assembly(bad_app.cdk_out, bad_app.project)
    verdicts = {(f.rule_id, f.path): f.status for f in report.findings}
    assert verdicts[("CORA-L3", "Bad/Orders/Resource")] is Status.COMPLIANT  # org layer from SSM
    assert verdicts[("CORA-L4", "Bad/Authz/Resource")] is Status.COMPLIANT  # retained version, live
    assert verdicts[("CORA-L5", "Bad/Orders/Resource")] is Status.COMPLIANT  # code is its folder
    assert verdicts[("CORA-R1", "Bad/OrdersGet/Resource")] is Status.COMPLIANT
    assert verdicts[("CORA-R4", "Bad/OrdersPost/Resource")] is Status.COMPLIANT  # IAM


def test_framework_functions_are_listed_not_checked(bad_app: BadApp) -> None:
    report = check_assembly(bad_app.cdk_out, bad_app.project)
    assert [(fn.path, fn.kind) for fn in report.framework_functions] == [
        ("Bad/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a/Resource", "log retention")
    ]
    assert not [f for f in report.findings if "LogRetention" in f.path]


def test_cora_check_exits_1_naming_the_rules(bad_app: BadApp) -> None:
    started = time.perf_counter()
    done = subprocess.run([CORA, "check", str(bad_app.cdk_out)], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    assert done.returncode == 1, done.stderr
    for rule in ("CORA-L1", "CORA-L2", "CORA-L3", "CORA-L6"):
        assert f"\n{rule}  Bad  " in "\n" + done.stdout
    assert "    fix:   " in done.stdout
    assert done.stdout.rstrip().endswith(
        "cora check: 13 findings in 1 stack (0 could not be validated, 1 acknowledged, 1 framework functions)"
    )
    assert (bad_app.cdk_out / "cora-compliance-report.json").is_file()
    assert (bad_app.cdk_out / "cora-compliance-report.csv").is_file()
    assert elapsed < 5, f"cora check took {elapsed:.2f}s"


def test_cora_check_json(bad_app: BadApp, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--json", "--no-report", str(bad_app.cdk_out)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"passed", "summary", "rules", "findings", "framework_functions"}
    assert data["passed"] is False
    assert data["summary"] == {
        "stacks": 1, "findings": 13, "could_not_be_validated": 0, "acknowledged": 1, "framework_functions": 1,
    }  # fmt: skip
    first = data["findings"][0]
    assert set(first) == {
        "rule_id", "compliance", "stack", "path", "logical_id", "template", "location", "message", "fix",
        "acknowledged_reason", "acknowledged_at",
    }  # fmt: skip
    assert {f["compliance"] for f in data["findings"]} == {"Non-Compliant", "Acknowledged"}
    assert [r["id"] for r in data["rules"]][:3] == ["CORA-L1", "CORA-L2", "CORA-L3"]


@pytest.mark.parametrize("content", [None, "{not json", '["a list"]'])
def test_unreadable_assembly_exits_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None
) -> None:
    if content is not None:
        (tmp_path / "manifest.json").write_text(content)
    assert main(["check", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cora check: error: ")


def test_missing_template_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = {
        "artifacts": {"S": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.json"}}}
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert main(["check", str(tmp_path)]) == 2
    assert "S.json does not exist" in capsys.readouterr().err
