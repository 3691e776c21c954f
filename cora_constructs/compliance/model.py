"""What a rule is and what it says about one resource (plain data: no aws_cdk, no jsii)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cora_constructs.compliance.assembly import ResourceView


class Status(enum.Enum):
    """The outcome of one rule on one resource."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non-compliant"
    NOT_APPLICABLE = "not applicable"
    UNVALIDATED = "could not be validated"


_COMPLIANCE = {
    Status.COMPLIANT: "Compliant",
    Status.NON_COMPLIANT: "Non-Compliant",
    Status.UNVALIDATED: "Could not be validated",
    Status.NOT_APPLICABLE: "Not applicable",
}
"""The report's Compliance column for each status (cdk-nag's words, plus ours)."""


@dataclass(frozen=True, slots=True)
class Result:
    """A rule's verdict: ``message`` says what is wrong (or why it could not be checked) and
    ``location`` where in the resource, e.g. ``Properties/Runtime``."""

    status: Status
    message: str = ""
    location: str = "Properties"


def compliant() -> Result:
    return _COMPLIANT


_COMPLIANT = Result(Status.COMPLIANT)  # immutable: one for every compliant verdict


def not_applicable(why: str = "") -> Result:
    return Result(Status.NOT_APPLICABLE, why)


def non_compliant(message: str, location: str = "Properties") -> Result:
    return Result(Status.NON_COMPLIANT, message, location)


def unvalidated(message: str, location: str = "Properties") -> Result:
    return Result(Status.UNVALIDATED, message, location)


@dataclass(frozen=True, slots=True)
class Rule:
    """One standard: its id (the construct's own code), why it exists, the check, the fix.

    ``check`` is pure: it reads the resource and its assembly and never changes either.
    """

    id: str
    reason: str
    fix: str
    resource_types: frozenset[str]
    check: Callable[[ResourceView], Result]


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's verdict on one resource, placed in the assembly.

    ``acknowledged`` holds the reason when a construct acknowledged the rule (``acknowledged_at``
    names it); such a finding is reported but does not fail the check.
    """

    rule_id: str
    status: Status
    stack: str
    path: str
    logical_id: str
    template_file: str
    message: str
    fix: str
    location: str
    acknowledged: str | None = None
    acknowledged_at: str | None = None

    @property
    def fails(self) -> bool:
        return self.status is Status.NON_COMPLIANT and self.acknowledged is None

    @property
    def compliance(self) -> str:
        """The report's Compliance column (cdk-nag's words, plus ours for the unvalidated)."""
        if self.acknowledged is not None and self.status is not Status.COMPLIANT:
            return "Acknowledged"
        return _COMPLIANCE[self.status]

    def as_dict(self) -> dict[str, object]:
        return {
            "rule_id": self.rule_id,
            "compliance": self.compliance,
            "stack": self.stack,
            "path": self.path,
            "logical_id": self.logical_id,
            "template": self.template_file,
            "location": self.location,
            "message": self.message,
            "fix": self.fix,
            "acknowledged_reason": self.acknowledged,
            "acknowledged_at": self.acknowledged_at,
        }


@dataclass(frozen=True, slots=True)
class FrameworkFunction:
    """A Lambda that CDK itself creates for a custom resource, recognised and not held to the
    production rules; ``kind`` says what it is and ``evidence`` how it was recognised."""

    stack: str
    path: str
    logical_id: str
    kind: str
    evidence: str

    def as_dict(self) -> dict[str, str]:
        return {
            "stack": self.stack,
            "path": self.path,
            "logical_id": self.logical_id,
            "kind": self.kind,
            "evidence": self.evidence,
        }
