"""The rule pack inside `cdk synth`: the CoraChecks policy validation plugin."""

from __future__ import annotations

import json

import pytest

from cora_constructs.compliance.plugin import CoraChecks
from cora_constructs.compliance.rules import RULES
from tests.compliance.conftest import PluginRun

pytestmark = pytest.mark.synth


def _report(run: PluginRun) -> dict[str, object]:
    data = json.loads((run.cdk_out / "cora-compliance-report.json").read_text())
    assert isinstance(data, dict)
    return data


def test_runtime_override_fails_synth_with_cora_l2(plugin_overridden: PluginRun) -> None:
    assert plugin_overridden.error is not None
    assert "CORA-L2: Runtime is python3.12" in plugin_overridden.error
    cdk_report = (plugin_overridden.cdk_out / "validation-report.json").read_text()
    assert "CORA-L2: Runtime is python3.12" in cdk_report and "Plug/Fn/Resource" in cdk_report
    report = _report(plugin_overridden)
    failing = sorted(
        (f["rule_id"], f["path"])
        for f in report["findings"]  # type: ignore[attr-defined]
        if f["compliance"] == "Non-Compliant"
    )
    assert failing == [("CORA-L2", "Plug/Fn/Resource"), ("CORA-L5", "Plug/Fn/Resource")]
    assert report["passed"] is False


def test_clean_app_synthesizes_with_its_acknowledgement_reported(plugin_clean: PluginRun) -> None:
    assert plugin_clean.error is None
    report = _report(plugin_clean)
    assert report["passed"] is True
    acknowledged = [f for f in report["findings"] if f["compliance"] == "Acknowledged"]  # type: ignore[attr-defined]
    assert [(f["rule_id"], f["path"], f["acknowledged_reason"]) for f in acknowledged] == [
        ("CORA-L3", "Plug/Vendor/Resource", "vendor agent")
    ]
    verdicts = {(f["rule_id"], f["path"]): f["compliance"] for f in report["findings"]}  # type: ignore[attr-defined]
    # the project root came from context cora:projectRoot: the code was compared with its folder
    assert verdicts[("CORA-L5", "Plug/Fn/Resource")] == "Compliant"
    assert (plugin_clean.cdk_out / "cora-compliance-report.csv").is_file()


def test_plugin_exposes_its_identity_as_properties() -> None:
    plugin = CoraChecks()
    assert plugin.name == "cora"
    assert plugin.rule_ids == [rule.id for rule in RULES]
    assert plugin.version.count(".") == 2
