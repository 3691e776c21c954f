"""Read CloudFormation values that may be intrinsic functions, without ever failing on one.

A value built by ``Ref``, ``Fn::GetAtt``, ``Fn::Join``... is known only at deploy time: a rule
that needs it literally reports "could not be validated" (cdk-nag's ``resolveIfPrimitive``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping


class Unresolved:
    """A value that is not a literal; ``shape`` is a short rendering for messages."""

    __slots__ = ("shape",)

    def __init__(self, shape: str) -> None:
        self.shape = shape

    def __repr__(self) -> str:
        return f"Unresolved({self.shape})"


def is_intrinsic(value: object) -> bool:
    """True for ``{"Ref": ...}`` and ``{"Fn::...": ...}`` (one key, a function name)."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    (key,) = value
    return key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")) or key == "Condition"


def shape(value: object, limit: int = 80) -> str:
    """A short, one-line rendering of a value for a finding's message."""
    import json

    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def literal_str(value: object) -> str | Unresolved | None:
    """The string, None when absent, or Unresolved for anything built at deploy time."""
    if value is None or isinstance(value, str):
        return value
    return Unresolved(shape(value))


def ref_target(value: object) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` points at, else None."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    if "Ref" in value and isinstance(value["Ref"], str):
        return value["Ref"]
    attribute = value.get("Fn::GetAtt")
    if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
        return attribute[0]
    if isinstance(attribute, str) and "." in attribute:
        return attribute.split(".", 1)[0]
    return None


def references(value: object) -> Iterator[str]:
    """Every logical id a value refers to (``Ref``, ``Fn::GetAtt``, ``${Name}`` in ``Fn::Sub``),
    depth first, in order."""
    if isinstance(value, Mapping):
        target = ref_target(value)
        if target is not None:
            yield target
            return
        sub = value.get("Fn::Sub") if len(value) == 1 else None
        if isinstance(sub, str):
            yield from _sub_names(sub)
            return
        if isinstance(sub, list) and sub and isinstance(sub[0], str):
            yield from _sub_names(sub[0])
            if len(sub) > 1:
                yield from references(sub[1])
            return
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def _sub_names(template: str) -> Iterator[str]:
    import re

    for name in re.findall(r"\$\{([^}!]+)\}", template):
        yield name.split(".", 1)[0]
