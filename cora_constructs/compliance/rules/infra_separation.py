"""CORA-A1: functional module code is never in the infra app."""

from __future__ import annotations

from cora_constructs.compliance.assembly import ResourceView
from cora_constructs.compliance.model import Result, Rule, compliant, non_compliant, not_applicable

MODULE_SOURCES = "packages/"


def check(view: ResourceView) -> Result:
    app, source = view.cora("app"), view.cora("source")
    if not isinstance(app, str):
        return not_applicable("no cora:app metadata")
    if app == "infra" and isinstance(source, str) and source.startswith(MODULE_SOURCES):
        return non_compliant(f"functional module code ({source}) is in the infra app", "Metadata/cora:source")
    return compliant()


RULE = Rule(
    id="CORA-A1",
    reason="Two repos, two apps: never sync functional module code to the infra repo.",
    fix="Build module Lambdas (packages/module-*) in the stack app only; the infra app holds the org layer "
    "and the authorizer.",
    resource_types=frozenset({"AWS::Lambda::Function"}),
    check=check,
)
