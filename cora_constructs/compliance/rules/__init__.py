"""The CORA rule pack: one module per standard, each rule id the construct's own code."""

from __future__ import annotations

from cora_constructs.compliance.model import Rule
from cora_constructs.compliance.rules import (
    code_hash_escape,
    hashed_code,
    infra_separation,
    live_alias,
    native_code,
    org_layer,
    routes_authorized,
    routes_documented,
    routes_wired,
    runtime,
    stack_separation,
)

RULES: tuple[Rule, ...] = (
    hashed_code.RULE,
    runtime.RULE,
    org_layer.RULE,
    live_alias.RULE,
    code_hash_escape.RULE,
    native_code.RULE,
    infra_separation.RULE,
    stack_separation.RULE,
    routes_documented.RULE,
    routes_wired.RULE,
    routes_authorized.RULE,
)
"""Every rule, in report order."""

__all__ = ["RULES"]
