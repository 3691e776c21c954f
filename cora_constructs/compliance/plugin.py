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

import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

from cora_constructs import __version__
from cora_constructs.assembly.errors import CloudAssemblyError
from cora_constructs.compliance.acknowledgements import ACKNOWLEDGED_RULES, PLUGIN_NAMESPACE
from cora_constructs.compliance.engine import ComplianceReport, check_assembly, check_templates
from cora_constructs.compliance.model import Finding, Status
from cora_constructs.compliance.report import write_report_files
from cora_constructs.compliance.rules import RULES
from cora_constructs.functions.packaging import hashed_sources
from cora_constructs.kept import node_of
from cora_constructs.stack import project_of

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
        for entry in node_of(app).metadata
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


class CoraComplianceError(RuntimeError):
    """``app.synth()`` of a :class:`~cora_constructs.apps.CoraApp` wrote templates that break a
    standard: every failing finding, one block each (rule, message, construct, fix). A
    RuntimeError, as CDK's own validation failure is."""

    def __init__(self, report: ComplianceReport) -> None:
        self.report = report
        super().__init__(failure_text(report))


def failure_text(report: ComplianceReport) -> str:
    """The failing findings as ``cdk synth`` prints them, then the count per rule."""
    failures = sorted(report.failures, key=lambda f: (f.path, f.rule_id))
    lines = [f"the synthesized templates break the standards (CORA rule pack, {report.directory}):"]
    for finding in failures:
        where = f"{finding.path} ({finding.logical_id})" if finding.logical_id else finding.path
        lines += [
            f"ERROR {finding.rule_id}: {finding.message}",
            f"   {where} in {finding.stack}",
            f"   Fix: {finding.fix}",
            f"   Acknowledge with a reason: cdk.Validations.of(construct).acknowledge("
            f"cdk.Acknowledgment(id='{finding.rule_id}', reason='...'))",
        ]
    counts: dict[str, int] = {}
    for finding in failures:
        counts[finding.rule_id] = counts.get(finding.rule_id, 0) + 1
    summary = ", ".join(f"{rule}: {n}" for rule, n in sorted(counts.items()))
    lines.append(f"{len(failures)} finding{'s' if len(failures) != 1 else ''} ({summary})")
    return "\n".join(lines)


_CHECKED = "_cora_checked_synth"


def check_after_synth(app: cdk.App, project_root: Path | None = None, *, write_reports: bool = True) -> None:
    """Run the CORA pack when ``app.synth()`` returns, on the assembly it wrote, in Python.

    The same engine, report files and failure as :class:`CoraChecks`, without CDK's policy
    validation machinery: at 200 functions that machinery (the plugin callback, CDK's report and
    construct-tree walk in Node) cost more than the pack itself. ``app.synth()`` raises
    :class:`CoraComplianceError` on a failing finding, after printing what could not be
    validated as warnings. Idempotent: a second call on the same app changes nothing.
    """
    if getattr(app, _CHECKED, False):
        return
    synth = app.synth

    def synth_and_check(**options: Any) -> Any:
        assembly = synth(**options)
        hashed = hashed_sources(project_of(app).settings)
        report = check_assembly_of(Path(assembly.directory), project_root, app, hashed_sources=hashed)
        if write_reports:
            write_report_files(report)
        for finding in report.unvalidated:
            print(
                f"cora: warning: {finding.rule_id} could not be validated on {finding.path}: "
                f"{finding.message}",
                file=sys.stderr,
            )
        if not report.passed:
            raise CoraComplianceError(report)
        return assembly

    # An attribute of this App object only: Python callers of app.synth() (main(), app.py,
    # tests) get the check; nothing changes in Node.
    app.synth = synth_and_check  # type: ignore[method-assign]
    setattr(app, _CHECKED, True)


def check_assembly_of(
    cdk_out: Path, project_root: Path | None, app: Any, *, hashed_sources: Iterable[tuple[str, str]] = ()
) -> ComplianceReport:
    """The pack on a written assembly, with the acknowledgements made on the app itself (CDK
    writes no app-level metadata to the assembly) and the function folders the app's own build
    hashed and checked (``hashed_sources``). Raises CloudAssemblyError when the assembly cannot
    be read."""
    root = project_root if project_root is not None else CoraChecks()._root(app)
    return check_assembly(cdk_out, root, extra_metadata=_app_metadata(app), hashed_sources=hashed_sources)
