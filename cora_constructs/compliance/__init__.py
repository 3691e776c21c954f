"""The CORA standards checked on the final templates: a rule pack and its engine.

Everything here reads the cloud assembly as plain JSON (no aws_cdk, no jsii), so ``cora check``
works on any assembly whatever built it; :mod:`cora_constructs.compliance.plugin` runs the same
pack inside ``cdk synth`` as a CDK policy validation plugin.
"""

from __future__ import annotations

from cora_constructs.compliance.engine import ComplianceReport, check_assembly, check_templates
from cora_constructs.compliance.model import Finding, FrameworkFunction, Result, Rule, Status
from cora_constructs.compliance.rules import RULES

__all__ = [
    "RULES",
    "ComplianceReport",
    "Finding",
    "FrameworkFunction",
    "Result",
    "Rule",
    "Status",
    "check_assembly",
    "check_templates",
]
