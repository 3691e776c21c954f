"""CORA-L1: code is a content-hashed CDK asset, so every change to it redeploys."""

from __future__ import annotations

from cora_constructs.compliance.assembly import ResourceView
from cora_constructs.compliance.code import function_code
from cora_constructs.compliance.model import Result, Rule, compliant, non_compliant, unvalidated


def check(view: ResourceView) -> Result:
    code = view.memo(function_code)
    if code.kind == "unknown":
        return unvalidated(code.problem, code.location)
    if code.problem:
        return non_compliant(
            f"{code.problem}: a change to the code is not a new content-hashed asset, so it may never deploy",
            code.location,
        )
    return compliant()


RULE = Rule(
    id="CORA-L1",
    reason="Code is a content-hashed asset of the Lambda's folder (the Terraform source_code_hash "
    "rule): no inline code, no fixed S3 object.",
    fix="Build the code from its folder with Code.from_asset(folder) (StandardLambda always does); "
    "never Code.from_inline, Code.from_bucket or a fixed S3Key.",
    resource_types=frozenset({"AWS::Lambda::Function"}),
    check=check,
)
