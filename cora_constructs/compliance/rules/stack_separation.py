"""CORA-A2: the authorizer is never in the stack app."""

from __future__ import annotations

from cora_constructs.compliance.assembly import ResourceView
from cora_constructs.compliance.model import Result, Rule, compliant, non_compliant, not_applicable

AUTHORIZER_SOURCES = ("lambdas/authorizer", "cora_constructs/authorizer")


def is_authorizer_source(source: str) -> bool:
    return any(
        source == s or source.startswith(s + "/") or source.endswith("/" + s) for s in AUTHORIZER_SOURCES
    )


def check(view: ResourceView) -> Result:
    app, source = view.cora("app"), view.cora("source")
    if not isinstance(app, str):
        return not_applicable("no cora:app metadata")
    if app == "stack" and isinstance(source, str) and is_authorizer_source(source):
        return non_compliant(f"the authorizer ({source}) is in the stack app", "Metadata/cora:source")
    return compliant()


RULE = Rule(
    id="CORA-A2",
    reason="Two repos, two apps: the org authorizer is deployed by the infra app only.",
    fix="Build the authorizer in the infra app; the stack app reaches it through its SSM parameter "
    "(/{project}/{env}/authorizer-function-arn).",
    resource_types=frozenset({"AWS::Lambda::Function"}),
    check=check,
)
