"""CDK's acknowledgements of CORA rules: ``Validations.of(scope).acknowledge(Acknowledgment(
id="CORA-L3", reason="..."))`` records ``aws:cdk:acknowledged-rules`` metadata on the construct,
which CDK writes into the cloud assembly; it covers the construct and everything below it.

An acknowledgement must say why: one without a reason acknowledges nothing and is a finding of
its own (CORA-ACK), naming the construct.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cora_constructs.compliance.assembly import MetadataEntries

ACKNOWLEDGED_RULES = "aws:cdk:acknowledged-rules"
PLUGIN_NAMESPACE = "cora"
RULE_PREFIX = "CORA-"
REFUSED_RULE = "CORA-ACK"
REFUSED_FIX = (
    "Give the reason: Validations.of(construct).acknowledge(Acknowledgment(id='CORA-L3', "
    "reason='why this standard does not apply here')), or fix the resource"
)
# CDK files an id without a namespace under its annotations namespace; a namespaced id names the
# plugin (``cora::CORA-L3``).
_NAMESPACES = ("annotation", "construct-annotations", PLUGIN_NAMESPACE)


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """``rule_id`` acknowledged on construct ``at`` (``Stack/Fn``) with ``reason``."""

    rule_id: str
    reason: str
    at: str
    written_as: str

    @property
    def has_reason(self) -> bool:
        return bool(self.reason.strip())

    def covers(self, rule_id: str, path: str) -> bool:
        return rule_id == self.rule_id and (not self.at or path == self.at or path.startswith(self.at + "/"))


def rule_of(written_as: str) -> str | None:
    """The CORA rule id an acknowledged id names, or None for another plugin's rule."""
    namespace, separator, rule = written_as.rpartition("::")
    if separator and namespace.lower() not in _NAMESPACES:
        return None
    return rule if rule.startswith(RULE_PREFIX) else None


def acknowledgements(metadata: MetadataEntries) -> list[Acknowledgement]:
    """Every CORA acknowledgement recorded in construct metadata, in path order."""
    found = []
    # A stack records metadata on every construct; only a few hold acknowledgements.
    acknowledging = []
    for path, entries in metadata.items():
        for entry in entries:
            if entry.get("type") == ACKNOWLEDGED_RULES:
                acknowledging.append(path)
                break
    for path in sorted(acknowledging):
        for entry in metadata[path]:
            data = entry.get("data")
            if entry.get("type") != ACKNOWLEDGED_RULES or not isinstance(data, Mapping):
                continue
            for written_as, reason in sorted(data.items()):
                rule = rule_of(str(written_as))
                if rule is not None:
                    text = reason if isinstance(reason, str) else ""
                    found.append(Acknowledgement(rule, text, path, str(written_as)))
    return found


def closest(acks: Sequence[Acknowledgement], rule_id: str, path: str) -> Acknowledgement | None:
    """The acknowledgement with a reason nearest above ``path`` for ``rule_id``, if any."""
    covering = [ack for ack in acks if ack.has_reason and ack.covers(rule_id, path)]
    return max(covering, key=lambda ack: len(ack.at), default=None)


def refused(acks: Iterable[Acknowledgement]) -> list[Acknowledgement]:
    """The acknowledgements that give no reason."""
    return [ack for ack in acks if not ack.has_reason]
