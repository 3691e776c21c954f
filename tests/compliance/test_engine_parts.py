"""The engine's parts on hand-written input: framework functions, acknowledgements, the report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from cora_constructs.compliance.acknowledgements import acknowledgements, closest, refused, rule_of
from cora_constructs.compliance.assembly import ResourceView
from cora_constructs.compliance.engine import run
from cora_constructs.compliance.framework import framework_function
from cora_constructs.compliance.model import Status
from cora_constructs.compliance.report import as_csv, as_json, write_report_files
from tests.compliance.helpers import assembly, cora_metadata, function, stack


def _framework(logical_id: str, path: str | None, **properties: object) -> str | None:
    metadata = {"aws:cdk:path": path} if path else None
    s = stack({logical_id: function(metadata=metadata, **properties)})
    found = framework_function(ResourceView(assembly(s), s, logical_id, s.resources[logical_id]))
    return found.kind if found else None


class TestFrameworkFunctions:
    def test_log_retention(self) -> None:
        path = "S/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a/Resource"
        assert _framework("LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8aFD4BFC8A", path) == "log retention"

    def test_aws_custom_resource(self) -> None:
        assert _framework("AWS679f53fac002430cb0da5b7982bd22872D164C4C", None) == "AwsCustomResource"

    def test_bucket_deployment(self) -> None:
        path = "S/Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C/Resource"
        assert _framework("CustomCDKBucketDeployment8693BB6", path) == "BucketDeployment"

    def test_provider_framework(self) -> None:
        kind = _framework("ProvframeworkonEvent4D295293", "S/Prov/framework-onEvent/Resource")
        assert kind == "custom resource provider framework"

    def test_core_custom_resource_provider(self) -> None:
        path = "S/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler"
        assert _framework("CustomS3AutoDeleteObjectsCustomResourceProviderHandler9D90184F", path) == (
            "custom resource provider"
        )

    def test_singleton_function(self) -> None:
        path = "S/SingletonLambda1f2e3d4c5b6a79880123456789abcdef/Resource"
        assert _framework("SingletonLambda1f2e3d4c", path) == "singleton function"

    def test_an_app_function_is_not_one(self) -> None:
        assert _framework("OrdersFn12345678", "S/Orders/Resource") is None

    def test_a_function_with_cora_intent_is_never_one(self) -> None:
        path = "S/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a/Resource"
        s = stack({"Fn": function(metadata=cora_metadata(**{"aws:cdk:path": path}))})
        assert framework_function(ResourceView(assembly(s), s, "Fn", s.resources["Fn"])) is None


def _ack_metadata(path: str, data: dict[str, str]) -> dict[str, list[dict[str, object]]]:
    return {path: [{"type": "aws:cdk:acknowledged-rules", "data": data}]}


class TestAcknowledgements:
    def test_ids_cdk_writes(self) -> None:
        assert rule_of("Annotation::CORA-L3") == "CORA-L3"
        assert rule_of("annotation::CORA-L3") == "CORA-L3"
        assert rule_of("cora::CORA-L3") == "CORA-L3"
        assert rule_of("CORA-L3") == "CORA-L3"
        assert rule_of("Annotation::AwsSolutions-L1") is None
        assert rule_of("cdk-nag::CORA-L3") is None

    def test_closest_ancestor_with_a_reason_covers(self) -> None:
        acks = acknowledgements(
            {**_ack_metadata("S/Api", {"Annotation::CORA-R4": "outer"}),
             **_ack_metadata("S/Api/Health", {"Annotation::CORA-R4": "inner"})}
        )  # fmt: skip
        found = closest(acks, "CORA-R4", "S/Api/Health/Resource")
        assert found is not None and found.reason == "inner"
        assert closest(acks, "CORA-R4", "S/ApiOther/Resource") is None
        assert closest(acks, "CORA-R1", "S/Api/Health/Resource") is None

    def test_without_a_reason_refused_and_covers_nothing(self) -> None:
        acks = acknowledgements(_ack_metadata("S/Fn", {"Annotation::CORA-L3": " "}))
        assert [a.at for a in refused(acks)] == ["S/Fn"]
        assert closest(acks, "CORA-L3", "S/Fn/Resource") is None

    def test_engine_reports_the_refusal_and_keeps_the_finding(self) -> None:
        s = stack(
            {
                "Fn": function(
                    Runtime="python3.11", Code={"ZipFile": "x"}, metadata={"aws:cdk:path": "S/Fn/Resource"}
                )
            },
            construct_metadata=_ack_metadata("S/Fn", {"Annotation::CORA-L3": ""}),
        )
        report = run(assembly(s))
        assert sorted((f.rule_id, f.path) for f in report.failures) == [
            ("CORA-ACK", "S/Fn"), ("CORA-L1", "S/Fn/Resource"), ("CORA-L3", "S/Fn/Resource"),
        ]  # fmt: skip
        refusal = next(f for f in report.failures if f.rule_id == "CORA-ACK")
        assert "CORA-L3 on S/Fn gives no reason" in refusal.message


class TestReportFiles:
    def test_json_and_csv_are_written_once_and_hold_every_verdict(self, tmp_path: Path) -> None:
        s = stack(
            {
                "Fn": function(
                    Runtime="python3.12", Code={"ZipFile": "x"}, metadata={"aws:cdk:path": "S/Fn/Resource"}
                )
            },
            directory=tmp_path,
        )
        report = run(assembly(s))
        paths = write_report_files(report)
        assert [p.name for p in paths] == ["cora-compliance-report.json", "cora-compliance-report.csv"]
        data = json.loads(paths[0].read_text())
        assert data["passed"] is False
        by_rule = {line["rule_id"]: line["compliance"] for line in data["findings"]}
        assert by_rule == {"CORA-L1": "Non-Compliant", "CORA-L2": "Non-Compliant", "CORA-L3": "Non-Compliant"}
        rows = list(csv.DictReader(io.StringIO(paths[1].read_text())))
        assert {(r["Rule ID"], r["Compliance"]) for r in rows} == {
            ("CORA-L1", "Non-Compliant"), ("CORA-L2", "Non-Compliant"), ("CORA-L3", "Non-Compliant"),
        }  # fmt: skip
        mtime = paths[0].stat().st_mtime_ns
        write_report_files(report)
        assert paths[0].stat().st_mtime_ns == mtime  # same bytes: not rewritten
        assert as_csv(report) == paths[1].read_text()

    def test_printed_json_leaves_out_compliant_verdicts(self) -> None:
        s = stack({"Fn": function(Runtime="python3.12", Code={"ZipFile": "x"}, Layers=[])})
        findings = as_json(run(assembly(s)))["findings"]
        assert isinstance(findings, list)
        assert all(f["compliance"] != "Compliant" for f in findings)

    def test_a_check_that_breaks_is_reported_not_raised(self) -> None:
        s = stack(
            {"R": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"RouteKey": "GET /x", "Target": 7}}}
        )
        report = run(assembly(s))
        assert {f.status for f in report.findings} <= {Status.UNVALIDATED, Status.NON_COMPLIANT}


def test_the_engine_and_the_cli_import_no_aws_cdk() -> None:
    import subprocess
    import sys

    code = (
        "import sys, cora_constructs.cli.check_command, cora_constructs.compliance.report, "
        "cora_constructs.compliance.engine; "
        "print(sorted(m for m in sys.modules if m.startswith(('aws_cdk', 'jsii'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
