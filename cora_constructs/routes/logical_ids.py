"""CloudFormation logical ids as the CDK derives them from construct paths (no CDK import).

The routes of a stack are written in one CloudFormation include (:mod:`.route_template`) instead
of one construct per route; their logical ids must be the ones the route constructs had, or a
deploy would replace every route (and a replaced route collides with itself on its route key).
The CDK's rule is stable (every deployed stack's logical ids depend on it) and small:

- ``Default`` is dropped from the path; a one-part path is its alphanumeric characters;
- otherwise the id is a readable part (the parts without ``Resource``, a part that ends the one
  before it dropped, non-alphanumeric characters removed, at most 240 characters) followed by
  the first 8 hex digits, upper case, of the MD5 of the parts joined with ``/``.

:func:`logical_id` is the id of a resource at a path below its stack; :func:`node_unique_id`
the ``Names.nodeUniqueId`` of a construct at a path below the app.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import cache

HIDDEN_ID = "Default"
HIDDEN_FROM_HUMAN_ID = "Resource"
HASH_LENGTH = 8
MAX_HUMAN_LENGTH = 240
MAX_ID_LENGTH = 255
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


def logical_id(path_below_stack: Sequence[str]) -> str:
    """The logical id the CDK gives the resource at ``path_below_stack`` (construct ids from the
    stack, excluded, down to the resource)."""
    return _unique_id(tuple(path_below_stack))


def node_unique_id(path_below_app: Sequence[str]) -> str:
    """``Names.nodeUniqueId`` of the construct at ``path_below_app`` (construct ids from the
    app, excluded): how CDK names, for example, the permission an integration gives an API."""
    return _unique_id(tuple(path_below_app))


@cache
def _unique_id(components: tuple[str, ...]) -> str:
    parts = [part for part in components if part != HIDDEN_ID]
    if not parts:
        raise ValueError("a logical id needs at least one construct id besides 'Default'")
    if len(parts) == 1:
        candidate = _NOT_ALPHANUMERIC.sub("", parts[0])
        if len(candidate) <= MAX_ID_LENGTH:
            return candidate
    digest = hashlib.md5("/".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()
    human = "".join(
        _NOT_ALPHANUMERIC.sub("", part) for part in _without_repeats(parts) if part != HIDDEN_FROM_HUMAN_ID
    )
    return human[:MAX_HUMAN_LENGTH] + digest[:HASH_LENGTH].upper()


def _without_repeats(parts: Sequence[str]) -> list[str]:
    """The parts, each dropped when the part kept before it ends with it (``Fn/FnRole`` keeps
    both; ``FnRole/Role`` keeps ``FnRole``)."""
    kept: list[str] = []
    for part in parts:
        if not kept or not kept[-1].endswith(part):
            kept.append(part)
    return kept
