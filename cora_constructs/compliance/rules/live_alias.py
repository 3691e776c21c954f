"""CORA-L4: each code change publishes a retained version behind the ``live`` alias, and API
integrations invoke the alias."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cora_constructs.compliance.assembly import Resource, ResourceView, StackView
from cora_constructs.compliance.model import Result, Rule, compliant, non_compliant, not_applicable
from cora_constructs.compliance.routes import ALIAS, INTEGRATION, VERSION
from cora_constructs.compliance.values import ref_target, references

ALIAS_NAME = "live"


def check(view: ResourceView) -> Result:
    if not view.has_cora:
        return not_applicable("not a StandardLambda (no cora:* metadata)")
    stack, me = view.stack, view.logical_id
    index = stack.memo(_lambda_index)
    versions = index.versions.get(me, [])
    retained = [lid for lid in versions if stack.resources[lid].get("DeletionPolicy") == "Retain"]
    problems = []
    if not versions:
        problems.append("no AWS::Lambda::Version publishes it")
    elif not retained:
        problems.append(
            f"its version {versions[0]} is not retained (DeletionPolicy Retain), so rollback is lost"
        )
    live = index.live_aliases.get(me, [])
    if not live:
        problems.append(f"no alias named {ALIAS_NAME} points at it")
    elif retained and not any(ref_target(_properties(r).get("FunctionVersion")) in retained for _, r in live):
        problems.append(f"the {ALIAS_NAME} alias does not point at its retained version")
    for lid in index.integrations.get(me, []):
        problems.append(
            f"integration {stack.path_of(lid)} invokes the bare function, not the {ALIAS_NAME} alias"
        )
    return non_compliant("; ".join(problems)) if problems else compliant()


@dataclass(frozen=True)
class _LambdaIndex:
    """One stack's versions and ``live`` aliases by the function they name, and its API
    integrations by each logical id their ``IntegrationUri`` refers to (logical id order)."""

    versions: dict[str | None, list[str]] = field(default_factory=dict)
    live_aliases: dict[str | None, list[tuple[str, Resource]]] = field(default_factory=dict)
    integrations: dict[str, list[str]] = field(default_factory=dict)


def _lambda_index(stack: StackView) -> _LambdaIndex:
    index = _LambdaIndex()
    for lid, version in stack.of_type(VERSION):
        index.versions.setdefault(_function_of(version), []).append(lid)
    for lid, alias in stack.of_type(ALIAS):
        if _properties(alias).get("Name") == ALIAS_NAME:
            index.live_aliases.setdefault(_function_of(alias), []).append((lid, alias))
    for lid, integration in stack.of_type(INTEGRATION):
        for target in dict.fromkeys(references(_properties(integration).get("IntegrationUri"))):
            index.integrations.setdefault(target, []).append(lid)
    return index


def _properties(resource: object) -> Mapping[str, object]:
    properties = resource.get("Properties") if isinstance(resource, Mapping) else None
    return properties if isinstance(properties, Mapping) else {}


def _function_of(resource: object) -> str | None:
    return ref_target(_properties(resource).get("FunctionName"))


RULE = Rule(
    id="CORA-L4",
    reason="Create before destroy: each code change publishes a version that is kept for rollback, "
    "the live alias moves to it, and integrations invoke the alias.",
    fix="Publish fn.current_version with removal_policy RETAIN, add Alias(alias_name='live', "
    "version=fn.current_version), and integrate the alias, not the function (StandardLambda does).",
    resource_types=frozenset({"AWS::Lambda::Function"}),
    check=check,
)
