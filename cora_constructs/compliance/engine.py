"""Run the rule pack over a cloud assembly: every rule on every resource it applies to, every
finding at once, acknowledgements applied (plain JSON: no aws_cdk, no jsii)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cora_constructs.collector import collector_paused
from cora_constructs.compliance.acknowledgements import (
    REFUSED_FIX,
    REFUSED_RULE,
    Acknowledgement,
    acknowledgements,
    closest,
    refused,
)
from cora_constructs.compliance.assembly import (
    AssemblyView,
    MetadataEntries,
    ResourceView,
    StackView,
    load_assembly,
    load_templates,
)
from cora_constructs.compliance.framework import framework_function
from cora_constructs.compliance.model import Finding, FrameworkFunction, Result, Rule, Status, unvalidated
from cora_constructs.compliance.rules import RULES

LAMBDA_FUNCTION = "AWS::Lambda::Function"


@dataclass
class ComplianceReport:
    """Every verdict of the pack on one assembly (compliant ones too, for the audit trail)."""

    directory: Path
    findings: list[Finding] = field(default_factory=list)
    framework_functions: list[FrameworkFunction] = field(default_factory=list)
    stacks: int = 0
    rules: tuple[Rule, ...] = RULES

    @property
    def failures(self) -> list[Finding]:
        """The findings that fail the check: non-compliant and not acknowledged with a reason."""
        return [f for f in self.findings if f.fails]

    @property
    def unvalidated(self) -> list[Finding]:
        return [f for f in self.findings if f.status is Status.UNVALIDATED and f.acknowledged is None]

    @property
    def acknowledged(self) -> list[Finding]:
        return [f for f in self.findings if f.acknowledged is not None and f.status is not Status.COMPLIANT]

    @property
    def passed(self) -> bool:
        return not self.failures


def check_assembly(
    cdk_out: Path,
    project_root: Path | None = None,
    rules: Sequence[Rule] = RULES,
    *,
    extra_metadata: MetadataEntries | None = None,
    hashed_sources: Iterable[tuple[str, str]] = (),
) -> ComplianceReport:
    """Check every stack of the cloud assembly in ``cdk_out``; ``extra_metadata`` adds construct
    metadata the assembly does not hold (acknowledgements made on the app itself);
    ``hashed_sources``: the ``(asset hash, cora:source)`` pairs the synth that wrote the assembly
    hashed and checked itself (:attr:`AssemblyView.hashed_sources`).

    Raises CloudAssemblyError when the assembly cannot be read.
    """
    with collector_paused():
        return run(load_assembly(cdk_out, project_root, extra_metadata, hashed_sources), rules)


def check_templates(
    template_files: Iterable[Path],
    project_root: Path | None = None,
    extra_metadata: MetadataEntries | None = None,
    rules: Sequence[Rule] = RULES,
) -> ComplianceReport:
    """Check the given templates (a validation plugin's input); ``extra_metadata`` adds construct
    metadata the assembly does not hold (acknowledgements made on the app itself)."""
    with collector_paused():
        return run(load_templates(template_files, project_root, extra_metadata), rules)


def run(assembly: AssemblyView, rules: Sequence[Rule] = RULES) -> ComplianceReport:
    report = ComplianceReport(assembly.directory, stacks=len(assembly.stacks), rules=tuple(rules))
    by_type: dict[str, list[Rule]] = {}
    for rule in rules:
        for resource_type in sorted(rule.resource_types):
            by_type.setdefault(resource_type, []).append(rule)
    app_acks = acknowledgements(assembly.extra_metadata)
    report.findings.extend(_refusal(None, ack) for ack in refused(app_acks))
    for stack in assembly.stacks:
        stack_acks = acknowledgements(stack.construct_metadata)
        report.findings.extend(_refusal(stack, ack) for ack in refused(stack_acks))
        acks = app_acks + stack_acks
        template_file = str(stack.template_file)
        for logical_id, resource in sorted(stack.resources.items()):
            kind = resource.get("Type")
            applicable = by_type.get(kind if isinstance(kind, str) else "")
            if not applicable:  # no rule reads this type: no view either
                continue
            view = ResourceView(assembly, stack, logical_id, resource)
            if kind == LAMBDA_FUNCTION:
                framework = framework_function(view)
                if framework is not None:
                    report.framework_functions.append(framework)
                    continue
            for rule in applicable:
                result = _evaluate(rule, view)
                if result.status is not Status.NOT_APPLICABLE:
                    report.findings.append(_finding(rule, view, result, acks, template_file))
    return report


def _evaluate(rule: Rule, view: ResourceView) -> Result:
    try:
        return rule.check(view)
    except Exception as error:  # a value of an unexpected shape: reported, never a crash
        return unvalidated(f"the check could not read this resource ({type(error).__name__}: {error})")


def _finding(
    rule: Rule, view: ResourceView, result: Result, acks: Sequence[Acknowledgement], template_file: str
) -> Finding:
    path = view.path
    ack = closest(acks, rule.id, path) if result.status is not Status.COMPLIANT and acks else None
    return Finding(
        rule_id=rule.id,
        status=result.status,
        stack=view.stack.name,
        path=path,
        logical_id=view.logical_id,
        template_file=template_file,
        message=result.message,
        fix=rule.fix,
        location=result.location,
        acknowledged=ack.reason if ack else None,
        acknowledged_at=ack.at if ack else None,
    )


def _refusal(stack: StackView | None, ack: Acknowledgement) -> Finding:
    return Finding(
        rule_id=REFUSED_RULE,
        status=Status.NON_COMPLIANT,
        stack=stack.name if stack else "",
        path=ack.at or "(the app)",
        logical_id="",
        template_file=str(stack.template_file) if stack else "",
        message=f"the acknowledgement of {ack.rule_id} on {ack.at or 'the app'} gives no reason, so it "
        "is refused",
        fix=REFUSED_FIX,
        location="Metadata",
    )
