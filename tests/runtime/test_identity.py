"""The identity contract: Okta- and Clerk-shaped tokens through the real authorizer, in both
response formats, read back by the teams' handler helper and by ``request.user``."""

from __future__ import annotations

import copy
from types import ModuleType
from typing import Any

import pytest

from cora_runtime.identity import Caller, caller_from_context, caller_of
from cora_runtime.routing import HTTPError, Request, Router

from .support import (
    AUDIENCE,
    COOKIE,
    V1_AUTHORIZER_EVENT,
    V1_PROXY_EVENT,
    V2_AUTHORIZER_EVENT,
    V2_PROXY_EVENT,
    JWKSServer,
    Keys,
    load_event,
    mint,
    with_cookie,
)

OKTA_ISSUER = "https://dev-123456.okta.com/oauth2/default"
CLERK_ISSUER = "https://clerk.example.test"
OKTA_CLAIMS: dict[str, Any] = {
    "iss": OKTA_ISSUER,
    "sub": "00u1abcd",
    "email": "ana@example.org",
    "groups": ["admins", "eval-users"],
    "given_name": "Ana",
    "family_name": "Lima",
    "ver": 1,
    "cid": "0oa1client",
    "scp": ["openid", "email"],
    "profile": None,
    "scope": None,
}
CLERK_CLAIMS: dict[str, Any] = {
    "iss": CLERK_ISSUER,
    "sub": "user_2abcDEF",
    "sid": "sess_2xyz",
    "azp": "https://app.example.test",
    "org_id": "org_2team",
    "org_role": "org:admin",
    "org_slug": "team-a",
    "email": None,
    "groups": None,
    "profile": None,
    "scope": None,
}


def teams_user_id(event: dict[str, Any]) -> Any:
    """The seeds' teams' helper, as they wrote it: user_id, principalId, email, then sub."""
    auth = event["requestContext"]["authorizer"]["lambda"]
    return auth.get("user_id") or auth.get("principalId") or auth.get("email") or auth.get("sub")


def teams_groups(event: dict[str, Any]) -> list[str]:
    raw = event["requestContext"]["authorizer"]["lambda"].get("groups", "")
    return [g for g in raw.split(",") if g]


def authorizer_for(module: ModuleType, jwks: JWKSServer, issuer: str, **environ: str) -> Any:
    env = {
        "JWKS_URL": jwks.url,
        "JWT_ISSUER": issuer,
        "JWT_AUDIENCE": AUDIENCE,
        "SESSION_COOKIE_NAME": COOKIE,
        "CORA_ENVIRONMENT": "prod",
        **environ,
    }
    authorize = module.Authorizer.from_env(env)
    assert authorize.config is not None, authorize.config_error
    return authorize


def v2_event(token: str) -> dict[str, Any]:
    return with_cookie(load_event(V2_AUTHORIZER_EVENT), f"{COOKIE}={token}")


def v1_event(token: str) -> dict[str, Any]:
    event = load_event(V1_AUTHORIZER_EVENT)
    event["headers"]["Authorization"] = f"Bearer {token}"
    return event


def proxy_v2(context: dict[str, Any]) -> dict[str, Any]:
    """An HTTP API proxy event (the real fixture) as API Gateway sends it after our authorizer."""
    event = load_event(V2_PROXY_EVENT)
    event["requestContext"]["authorizer"] = {"lambda": copy.deepcopy(context)}
    return event


def proxy_v1(response: dict[str, Any]) -> dict[str, Any]:
    """A REST proxy event after the policy response: the context beside ``principalId``, every
    value a string (as REST passes them)."""
    event = load_event(V1_PROXY_EVENT)
    authorizer = {
        k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in response["context"].items()
    }
    authorizer["principalId"] = response["principalId"]
    event["requestContext"]["authorizer"] = authorizer
    return event


OKTA_CONTRACT = {
    "user_id": "00u1abcd",
    "email": "ana@example.org",
    "name": "Ana Lima",
    "groups": "admins,eval-users",
    "provider": "okta",
    "environment": "prod",
}
CLERK_CONTRACT = {
    "user_id": "user_2abcDEF",
    "provider": "clerk",
    "environment": "prod",
    "org_id": "org_2team",
    "org_role": "org:admin",
    "org_slug": "team-a",
    "session_id": "sess_2xyz",
}


@pytest.mark.parametrize(
    ("issuer", "claims", "contract"),
    [(OKTA_ISSUER, OKTA_CLAIMS, OKTA_CONTRACT), (CLERK_ISSUER, CLERK_CLAIMS, CLERK_CONTRACT)],
    ids=["okta", "clerk"],
)
def test_tokens_give_the_contract_in_both_response_formats(
    authorizer_module: ModuleType,
    jwks: JWKSServer,
    keys: Keys,
    issuer: str,
    claims: dict[str, Any],
    contract: dict[str, str],
) -> None:
    authorize = authorizer_for(authorizer_module, jwks, issuer)
    token = mint(keys.current, **claims)
    simple = authorize(v2_event(token))
    policy = authorize(v1_event(token))
    assert simple["isAuthorized"] is True
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert policy["principalId"] == contract["user_id"]
    for response in (simple, policy):
        context = response["context"]
        assert {k: context.get(k) for k in authorizer_module.CONTRACT_FIELDS if k in context} == contract
        # the other scalar claims still travel; objects, nulls and empty strings never do
        assert context["sub"] == contract["user_id"]
        assert context["iss"] == issuer
        assert all(type(v) in (str, int, float, bool) for v in context.values())
        assert "" not in context.values()


def test_the_teams_helper_finds_the_subject_not_the_email(
    authorizer_module: ModuleType, jwks: JWKSServer, keys: Keys
) -> None:
    authorize = authorizer_for(authorizer_module, jwks, OKTA_ISSUER)
    response = authorize(v2_event(mint(keys.current, **OKTA_CLAIMS)))
    event = proxy_v2(response["context"])
    assert teams_user_id(event) == "00u1abcd"
    assert teams_groups(event) == ["admins", "eval-users"]
    # what the helper saw before the contract: the email taken for the user id
    legacy = {k: v for k, v in response["context"].items() if k != "user_id"}
    assert teams_user_id(proxy_v2(legacy)) == "ana@example.org"


def test_okta_access_token_without_email_uses_the_subject_as_email(
    authorizer_module: ModuleType, jwks: JWKSServer, keys: Keys
) -> None:
    authorize = authorizer_for(authorizer_module, jwks, OKTA_ISSUER)
    token = mint(keys.current, **{**OKTA_CLAIMS, "sub": "ana@example.org", "uid": "00u1abcd", "email": None})
    context = authorize(v2_event(token))["context"]
    assert context["email"] == "ana@example.org"
    assert context["user_id"] == "ana@example.org"


def test_claim_names_and_provider_are_configurable(
    authorizer_module: ModuleType, jwks: JWKSServer, keys: Keys
) -> None:
    authorize = authorizer_for(
        authorizer_module,
        jwks,
        OKTA_ISSUER,
        USER_ID_CLAIM="uid",
        EMAIL_CLAIM="preferred_username",
        GROUPS_CLAIM="roles",
        NAME_CLAIM="display",
        IDENTITY_PROVIDER="Corp-SSO",
    )
    token = mint(
        keys.current,
        **{
            **OKTA_CLAIMS,
            "uid": "00u9",
            "preferred_username": "ana@corp.example",
            "roles": ["reader", "", "writer"],
            "display": "Ana L.",
        },
    )
    response = authorize(v1_event(token))
    context = response["context"]
    assert response["principalId"] == "00u9"
    assert context["user_id"] == "00u9"
    assert context["email"] == "ana@corp.example"
    assert context["groups"] == "reader,writer"  # from roles; the token's own groups never replace it
    assert context["name"] == "Ana L."
    assert context["provider"] == "corp-sso"
    assert context["uid"] == "00u9"


def test_a_token_without_the_configured_user_id_claim_is_denied(
    authorizer_module: ModuleType, jwks: JWKSServer, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    authorize = authorizer_for(authorizer_module, jwks, OKTA_ISSUER, USER_ID_CLAIM="uid")
    assert authorize(v2_event(mint(keys.current, **OKTA_CLAIMS))) == {"isAuthorized": False, "context": {}}
    assert '"reason": "no_user_id"' in capsys.readouterr().out


def test_raw_claims_never_override_the_contract(authorizer_module: ModuleType) -> None:
    identity = authorizer_module.IdentityConfig(provider="clerk", environment="dev")
    claims = {
        "sub": "user_1",
        "user_id": "attacker",
        "provider": "okta",
        "environment": "prod",
        "session_id": "forged",
        "sid": "sess_1",
        "groups": "a,b",
        "email": "",
        "name": ["x", "y"],
        "n": 3,
        "ok": True,
        "ratio": 0.5,
        "inf": float("inf"),
    }
    context = authorizer_module.claims_context(claims, identity)
    assert context == {
        "sub": "user_1",
        "user_id": "user_1",
        "provider": "clerk",
        "environment": "dev",
        "session_id": "sess_1",
        "sid": "sess_1",
        "groups": "a,b",
        "n": 3,
        "ok": True,
        "ratio": 0.5,
    }


def test_clerk_v2_organisation_claims(authorizer_module: ModuleType) -> None:
    identity = authorizer_module.IdentityConfig(provider="clerk")
    claims = {"sub": "user_1", "v": 2, "sid": "sess_9", "o": {"id": "org_1", "rol": "admin", "slg": "acme"}}
    context = authorizer_module.identity_context(claims, identity)
    assert context == {
        "user_id": "user_1",
        "provider": "clerk",
        "org_id": "org_1",
        "org_role": "org:admin",
        "org_slug": "acme",
        "session_id": "sess_9",
    }


@pytest.mark.parametrize(
    ("issuer", "provider"),
    [
        ("https://dev-1.okta.com/oauth2/default", "okta"),
        ("https://corp.oktapreview.com", "okta"),
        ("https://clerk.example.com", "clerk"),
        ("https://happy-cat-12.clerk.accounts.dev", "clerk"),
        ("https://login.example.com/", "oidc"),
        ("https://evil-okta.com.example.net/", "oidc"),
    ],
)
def test_provider_is_inferred_from_the_issuer(
    authorizer_module: ModuleType, issuer: str, provider: str
) -> None:
    assert authorizer_module.provider_of_issuer(issuer) == provider


# --- the runtime half ---------------------------------------------------------------------------


def request_of(event: dict[str, Any]) -> Request:
    return Request(event, method="GET", path="/me")


def test_request_user_reads_both_payload_versions(
    authorizer_module: ModuleType, jwks: JWKSServer, keys: Keys
) -> None:
    authorize = authorizer_for(authorizer_module, jwks, OKTA_ISSUER)
    token = mint(keys.current, **OKTA_CLAIMS)
    expected = Caller(
        user_id="00u1abcd",
        email="ana@example.org",
        name="Ana Lima",
        groups=("admins", "eval-users"),
        provider="okta",
        environment="prod",
    )
    v2 = request_of(proxy_v2(authorize(v2_event(token))["context"])).user
    v1 = request_of(proxy_v1(authorize(v1_event(token)))).user
    assert v2 == expected
    assert v1 == expected
    assert v2.claims["cid"] == "0oa1client"
    assert v1.claims["principalId"] == "00u1abcd"
    assert v2.in_group("admins") and not v2.in_group("admin")


def test_request_user_through_the_router(authorizer_module: ModuleType, jwks: JWKSServer, keys: Keys) -> None:
    router = Router("Routes:\n- GET /me - Who am I\n", source="me.py")

    @router.route("GET /me")
    def me(request: Request) -> dict[str, Any]:
        user = request.user
        return {"id": user.user_id, "groups": list(user.groups), "org": user.org_id}

    handler = router.handler()
    authorize = authorizer_for(authorizer_module, jwks, CLERK_ISSUER)
    context = authorize(v2_event(mint(keys.current, **CLERK_CLAIMS)))["context"]
    event = proxy_v2(context)
    event["rawPath"], event["routeKey"] = "/me", "GET /me"
    event["requestContext"]["http"].update(method="GET", path="/me")
    response = handler(event, None)
    assert response["statusCode"] == 200
    assert response["body"] == '{"id":"user_2abcDEF","groups":[],"org":"org_2team"}'


def test_request_user_is_a_401_without_an_identity() -> None:
    with pytest.raises(HTTPError) as raised:
        _ = request_of(load_event(V2_PROXY_EVENT)).user
    assert raised.value.status == 401


@pytest.mark.parametrize(
    ("context", "user_id"),
    [
        ({"user_id": "u1", "principalId": "p", "email": "e", "sub": "s"}, "u1"),
        ({"principalId": "p", "email": "e", "sub": "s"}, "p"),
        ({"sub": "s", "email": "e"}, "s"),
        ({"sub": 42}, "42"),
        ({"email": "e"}, None),
        ({"user_id": "  ", "sub": ""}, None),
    ],
)
def test_caller_user_id_precedence(context: dict[str, Any], user_id: str | None) -> None:
    caller = caller_from_context(context)
    assert (caller.user_id if caller else None) == user_id


def test_caller_of_garbage_is_none() -> None:
    for event in (None, [], {"requestContext": []}, {"requestContext": {"authorizer": "x"}}):
        assert caller_of(event) is None


def test_groups_from_a_list_or_a_comma_string() -> None:
    assert caller_from_context({"sub": "s", "groups": " a, ,b "}) == Caller("s", groups=("a", "b"))
    assert caller_from_context({"sub": "s", "groups": ["a", 1, "b"]}) == Caller("s", groups=("a", "b"))
