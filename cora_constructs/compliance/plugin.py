"""The CORA rule pack inside ``cdk synth``: a CDK policy validation plugin (the mechanism cdk-nag 3
uses). A finding fails the synth; acknowledge one with a reason through CDK's own mechanism::

    app = cdk.App()
    cdk.Validations.of(app).add_plugins(CoraChecks())  # or cdk.App(policy_validation_beta1=[...])
    cdk.Validations.of(construct).acknowledge(
        cdk.Acknowledgment(id="CORA-L3", reason="vendor function, ships its own dependencies")
    )

The plugin runs the same engine as ``cora check`` on the synthesized templates and writes the
same report files (``cora-compliance-report.json`` / ``.csv``) into the cloud assembly. The library's
apps attach it (:class:`~cora_constructs.apps.CoraApp`). With :mod:`aws_packs`, this is the only
module of the pack that imports aws_cdk: the engine reads plain JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

from cora_constructs import __version__
from cora_constructs.assembly.errors import CloudAssemblyError
from cora_constructs.compliance.acknowledgements import ACKNOWLEDGED_RULES, PLUGIN_NAMESPACE
from cora_constructs.compliance.engine import ComplianceReport, check_templates
from cora_constructs.compliance.model import Finding, Status
from cora_constructs.compliance.report import write_report_files
from cora_constructs.compliance.rules import RULES

PROJECT_ROOT_CONTEXT = "cora:projectRoot"


@jsii.implements(cdk.IPolicyValidationPlugin)
class CoraChecks:
    """The CORA standards as a policy validation plugin.

    ``project_root`` is where ``cora:source`` folders live (default: context ``cora:projectRoot``,
    else the working folder when it holds cdk.json); ``write_reports`` writes the report files.
    """

    def __init__(self, *, project_root: Path | None = None, write_reports: bool = True) -> None:
        self._project_root = project_root
        self._write_reports = write_reports
        self.last_report: ComplianceReport | None = None

    # jsii reads these through property getters: plain attributes are invisible to Node.
    @property
    def name(self) -> str:
        return PLUGIN_NAMESPACE

    @property
    def version(self) -> str:
        return __version__

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule in RULES]

    def validate(self, context: Any) -> cdk.PolicyValidationPluginReport:
        templates = [Path(path) for path in context.template_paths]
        app = _app_of(context)
        try:
            report = check_templates(templates, self._root(app), _app_metadata(app))
        except CloudAssemblyError as error:
            return cdk.PolicyValidationPluginReport(
                success=False,
                violations=[
                    cdk.PolicyViolation(
                        rule_name="CORA-ASSEMBLY",
                        description=f"the cloud assembly cannot be read: {problem}",
                        violating_resources=[cdk.PolicyViolatingResource(locations=[])],
                    )
                    for problem in error.problems
                ],
            )
        self.last_report = report
        if self._write_reports and templates:
            write_report_files(report)
        violations = [_violation(f) for f in report.failures + report.unvalidated]
        return cdk.PolicyValidationPluginReport(
            success=report.passed, violations=violations, plugin_version=__version__
        )

    def _root(self, app: Any) -> Path | None:
        if self._project_root is not None:
            return self._project_root
        configured = app.node.try_get_context(PROJECT_ROOT_CONTEXT) if app is not None else None
        if isinstance(configured, str) and configured:
            return Path(configured)
        return Path.cwd() if (Path.cwd() / "cdk.json").is_file() else None


def _app_of(context: Any) -> Any:
    try:
        return context.app_construct
    except Exception:  # an older CDK gives no construct tree: the assembly still says enough
        return None


def _app_metadata(app: Any) -> Mapping[str, Sequence[Mapping[str, object]]]:
    """Acknowledgements made on the app itself: CDK writes only stacks' metadata to the assembly."""
    if app is None:
        return {}
    entries = [
        {"type": entry.type, "data": entry.data}
        for entry in app.node.metadata
        if entry.type == ACKNOWLEDGED_RULES
    ]
    return {"": entries} if entries else {}


def _violation(finding: Finding) -> cdk.PolicyViolation:
    resource = cdk.PolicyViolatingResource(
        locations=[finding.location],
        construct_path=finding.path,
        resource_logical_id=finding.logical_id or None,
        template_path=finding.template_file or None,
    )
    unvalidated = finding.status is Status.UNVALIDATED
    return cdk.PolicyViolation(
        rule_name=finding.rule_id,
        description=f"{finding.rule_id}: "
        + ("could not be validated: " if unvalidated else "")
        + finding.message,
        fix=finding.fix,
        severity="warning" if unvalidated else "error",
        violating_resources=[resource],
    )
