"""What is worked out once per object of a synth (no CDK import).

Much of a synth is the same answer asked for again by every function of a stack or an app: the
stack's X-Ray policy, whether it is bundled, the app's import checker, its cache root. Each is
kept with the object it belongs to (a stack, an app's settings mapping, a layer reference),
found by the object's identity, never by equality: two apps with equal settings never share.
The objects are held for the life of the process (as the CDK's own Node process holds every
construct), so an identity is never reused by another object.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

_KEPT: dict[int, tuple[object, dict[Hashable, Any]]] = {}


def kept_of(owner: object) -> dict[Hashable, Any]:
    """The answers kept for ``owner`` (an empty dict the first time)."""
    entry = _KEPT.get(id(owner))
    if entry is None or entry[0] is not owner:
        entry = (owner, {})
        _KEPT[id(owner)] = entry
    return entry[1]


def kept(owner: object, key: Hashable, make: Callable[[], T]) -> T:
    """``make()`` the first time ``key`` is asked of ``owner``, what it returned after that."""
    answers = kept_of(owner)
    if key not in answers:
        answers[key] = make()
    return answers[key]  # type: ignore[no-any-return]


def node_of(construct: Any) -> Any:
    """``construct.node``, read once (each read is a round trip into the CDK's Node process): for
    an app or a stack, asked for by several parts of a synth."""
    return kept(construct, "construct node", lambda: construct.node)
