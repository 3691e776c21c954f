"""Who is calling: the org authorizer's identity contract, read back from a proxy event.

The org authorizer (``cora_constructs/authorizer``) allows a request with a context holding
``user_id``, ``email``, ``name``, ``groups`` (comma-joined), ``provider``, ``environment`` and,
with Clerk, ``org_id``, ``org_role``, ``org_slug``, ``session_id``, plus the token's other scalar
claims. API Gateway hands that context to the function:

- payload 2.0 (HTTP API): ``requestContext.authorizer.lambda``;
- payload 1.0 (REST API): ``requestContext.authorizer``, beside ``principalId`` (REST turns
  every value into a string).

:func:`caller_of` reads either (and a JWT authorizer's ``jwt.claims``) into one :class:`Caller`;
``Request.user`` in :mod:`cora_runtime.routing` is the same, or a 401.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of one request.

    :ivar user_id: the contract's ``user_id`` (the IdP subject by default); else ``principalId``
        (1.0), else the claim ``sub``.
    :ivar email: ``email``, or None.
    :ivar name: ``name``, or None.
    :ivar groups: ``groups`` split on ``,`` (blank entries dropped); a list is taken as is.
    :ivar provider: ``provider`` (``okta``, ``clerk``, ``oidc`` or what the project configured).
    :ivar environment: the deployment's environment, as the authorizer saw it.
    :ivar org_id, org_role, org_slug, session_id: Clerk's organisation and session, or None.
    :ivar claims: the whole authorizer context (or JWT claims), as API Gateway passed it.
    """

    user_id: str
    email: str | None = None
    name: str | None = None
    groups: tuple[str, ...] = ()
    provider: str | None = None
    environment: str | None = None
    org_id: str | None = None
    org_role: str | None = None
    org_slug: str | None = None
    session_id: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def in_group(self, group: str) -> bool:
        """True if the caller is a member of ``group`` (exact, case-sensitive)."""
        return group in self.groups


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def authorizer_context(event: object) -> dict[str, Any]:
    """The authorizer's context of a proxy event: 2.0 ``authorizer.lambda``, a JWT authorizer's
    ``jwt.claims``, or 1.0 ``authorizer`` itself (with its ``principalId``); ``{}`` if none."""
    auth = _dict(_dict(_dict(event).get("requestContext")).get("authorizer"))
    if isinstance(auth.get("lambda"), dict):
        return dict(auth["lambda"])
    jwt = auth.get("jwt")
    if isinstance(jwt, dict) and isinstance(jwt.get("claims"), dict):
        return dict(jwt["claims"])
    return dict(auth)


def _text(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None


def _groups(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple):
        return tuple(item.strip() for item in value if isinstance(item, str) and item.strip())
    return ()


def caller_from_context(context: Mapping[str, Any]) -> Caller | None:
    """The :class:`Caller` of an authorizer context; None when it names no one."""
    user_id = _text(context.get("user_id")) or _text(context.get("principalId")) or _text(context.get("sub"))
    if user_id is None:
        return None
    return Caller(
        user_id=user_id,
        email=_text(context.get("email")),
        name=_text(context.get("name")),
        groups=_groups(context.get("groups")),
        provider=_text(context.get("provider")),
        environment=_text(context.get("environment")),
        org_id=_text(context.get("org_id")),
        org_role=_text(context.get("org_role")),
        org_slug=_text(context.get("org_slug")),
        session_id=_text(context.get("session_id")),
        claims=dict(context),
    )


def caller_of(event: object) -> Caller | None:
    """The caller of a proxy event (payload 1.0 or 2.0), or None when it carries no identity."""
    return caller_from_context(authorizer_context(event))
