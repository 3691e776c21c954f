"""Hypothesis properties: parse_cookies, extract_token, the authorizer and the router.

- nothing raises, whatever the event;
- parse_cookies equals a first-wins model over the three sources, junk entries ignored, and
  cookie_value (the authorizer's single-cookie lookup) agrees with it;
- extract_token equals the Bearer header when there is one, else the session cookie;
- the authorizer allows exactly when the token it finds is a valid one; a valid token with any
  single-character change is denied.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cora_runtime.auth import extract_token
from cora_runtime.cookies import cookie_value, parse_cookies
from cora_runtime.routing import Request, Router

from .support import AUDIENCE, COOKIE, ISSUER, JWKSServer, Keys, mint, serving_jwks

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

RELEVANT_KEYS = [
    "cookies",
    "headers",
    "multiValueHeaders",
    "Cookie",
    "cookie",
    "COOKIE",
    "Authorization",
    "authorization",
    "type",
    "authorizationToken",
    "methodArn",
    "routeArn",
    "version",
    "requestContext",
    "http",
    "method",
    "rawPath",
    "path",
    "httpMethod",
    "resource",
    "routeKey",
    "body",
    "isBase64Encoded",
    "pathParameters",
    "queryStringParameters",
]
FRAGMENTS = [
    "TOKEN",
    "REQUEST",
    "1.0",
    "2.0",
    "GET",
    "/x",
    "Bearer ",
    "Bearer a.b.c",
    f"{COOKIE}=",
    f"{COOKIE}=a.b.c",
    "cookie1",
    "=v",
    ";;",
    "arn:aws:execute-api:r:1:a/s/GET/x",
]

leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.text(alphabet='ab=; "\t,.Bearer', max_size=20)
    | st.sampled_from(FRAGMENTS)
)
junk_events = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(RELEVANT_KEYS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=25,
)

TOKEN_CHARS = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
VALUE_CHARS = string.ascii_letters + string.digits + "!#$%&'()*+-./:<>?@[]^_`{|}~"
cookie_names = st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=8)
cookie_values = st.text(alphabet=VALUE_CHARS, max_size=12)
header_cases = st.sampled_from(["cookie", "Cookie", "COOKIE", "cOoKiE"])
junk_entries = st.sampled_from(["cookie1", "", " ", ";", "=x", " ; ;"])


@st.composite
def cookie_events(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, str]]:
    """An event with cookies spread over the three sources, and the first-wins expectation."""
    pairs = draw(st.lists(st.tuples(cookie_names, cookie_values, st.integers(0, 2)), max_size=10))
    entries: list[list[str]] = [[], [], []]
    for name, value, source in pairs:
        if draw(st.booleans()):
            entries[source].append(draw(junk_entries))
        quoted = f'"{value}"' if draw(st.booleans()) else value  # RFC 6265 allows DQUOTEs
        entries[source].append(f"{name}={quoted}")
    expected: dict[str, str] = {}
    for source in range(3):
        for name, value, where in pairs:
            if where == source:
                expected.setdefault(name, value)
    event: dict[str, Any] = {"cookies": entries[0]}
    if entries[1]:
        split = draw(st.integers(0, len(entries[1])))
        groups = [entries[1][:split], entries[1][split:]]
        event["multiValueHeaders"] = {draw(header_cases): ["; ".join(g) for g in groups]}
    if entries[2]:
        event["headers"] = {draw(header_cases): "; ".join(entries[2]), "X-Other": "a=b"}
    return event, expected


@SETTINGS
@given(junk_events)
def test_parse_cookies_never_raises(event: Any) -> None:
    result = parse_cookies(event)
    assert all(isinstance(k, str) and k and isinstance(v, str) for k, v in result.items())


@SETTINGS
@given(cookie_events())
def test_parse_cookies_is_first_wins_over_the_three_sources(
    case: tuple[dict[str, Any], dict[str, str]],
) -> None:
    event, expected = case
    assert parse_cookies(event) == expected


@SETTINGS
@given(st.one_of(cookie_events().map(lambda case: case[0]), junk_events), st.data())
def test_cookie_value_is_parse_cookies_lookup(event: Any, data: st.DataObject) -> None:
    cookies = parse_cookies(event)
    names = st.sampled_from(sorted(cookies)) | cookie_names if cookies else cookie_names
    name = data.draw(names | st.sampled_from(["", " ", "cookie1", ";", "a b"]), label="name")
    assert cookie_value(event, name) == cookies.get(name)


@SETTINGS
@given(junk_events, st.text(max_size=10))
def test_extract_token_never_raises(event: Any, cookie_name: str) -> None:
    token = extract_token(event, cookie_name)
    assert token is None or (isinstance(token, str) and token)


bearer_tokens = st.text(alphabet=string.ascii_letters + string.digits + "-_.~+/=", min_size=1, max_size=40)


@SETTINGS
@given(
    bearer=st.none() | bearer_tokens,
    scheme=st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", "Token"]),
    header_key=st.sampled_from(["Authorization", "authorization", "AUTHORIZATION"]),
    in_multi=st.booleans(),
    cookie=st.none() | cookie_values,
    cookie_in_header=st.booleans(),
)
def test_extract_token_prefers_a_bearer_header_then_the_cookie(
    bearer: str | None,
    scheme: str,
    header_key: str,
    in_multi: bool,
    cookie: str | None,
    cookie_in_header: bool,
) -> None:
    event: dict[str, Any] = {"headers": {}, "multiValueHeaders": {}, "cookies": ["cookie1"]}
    if bearer is not None:
        if in_multi:
            event["multiValueHeaders"][header_key] = [f"{scheme} {bearer}"]
        else:
            event["headers"][header_key] = f"{scheme}  {bearer}"
    if cookie is not None:
        if cookie_in_header:
            event["headers"]["Cookie"] = f"a=1; {COOKIE}={cookie}"
        else:
            event["cookies"].append(f"{COOKIE}={cookie}")
    if bearer is not None and scheme.lower() == "bearer":
        expected: str | None = bearer
    else:
        expected = cookie or None
    assert extract_token(event, COOKIE) == expected


# --- the authorizer -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jwks_for_properties(keys: Keys) -> Iterator[JWKSServer]:
    with serving_jwks(keys) as state:
        yield state


@pytest.fixture(scope="module")
def warm_authorizer(authorizer_module: ModuleType, jwks_for_properties: JWKSServer, keys: Keys) -> Any:
    config = authorizer_module.Config(jwks_for_properties.url, ISSUER, frozenset({AUDIENCE}), COOKIE)
    authorize = authorizer_module.Authorizer(config)
    assert authorize({"cookies": [f"{COOKIE}={mint(keys.current)}"]})["isAuthorized"]
    return authorize


@pytest.fixture(scope="module")
def valid_token(keys: Keys) -> str:
    return mint(keys.current)


def is_allowed(response: dict[str, Any]) -> bool:
    if "policyDocument" in response:
        effects = {s["Effect"] for s in response["policyDocument"]["Statement"]}
        assert effects in ({"Allow"}, {"Deny"})
        return effects == {"Allow"}
    assert set(response) == {"isAuthorized", "context"}
    return response["isAuthorized"] is True


@SETTINGS
@given(event=junk_events)
def test_authorizer_never_raises_and_denies_junk(warm_authorizer: Any, event: Any) -> None:
    assert not is_allowed(warm_authorizer(event))


B64URL = string.ascii_letters + string.digits + "-_"


@st.composite
def mutated(draw: st.DrawFn, token: str) -> str:
    """``token`` with one character replaced, inserted or deleted (always a different string)."""
    index = draw(st.integers(0, len(token) - 1))
    kind = draw(st.sampled_from(["replace", "insert", "delete"]))
    if kind == "delete":
        return token[:index] + token[index + 1 :]
    char = draw(st.sampled_from(B64URL + ".=").filter(lambda c: kind == "insert" or c != token[index]))
    return token[:index] + char + token[index + (kind == "replace") :]


@SETTINGS
@given(data=st.data(), v1=st.booleans(), place=st.sampled_from(["bearer", "cookies", "header", "multi"]))
def test_authorizer_allows_exactly_the_valid_token(
    warm_authorizer: Any, valid_token: str, data: st.DataObject, v1: bool, place: str
) -> None:
    token = data.draw(st.just(valid_token) | mutated(valid_token), label="token")
    other_cookies = data.draw(st.lists(st.tuples(cookie_names, cookie_values), max_size=4), label="cookies")
    cookie_list = [f"{n}={v}" for n, v in other_cookies] + ["cookie1"]
    event: dict[str, Any] = {"version": "2.0", "type": "REQUEST", "headers": {}, "cookies": []}
    if v1:
        event = {
            "version": "1.0",
            "type": "REQUEST",
            "methodArn": "arn:aws:execute-api:us-east-1:1:api/prod/GET/x",
            "headers": {},
            "multiValueHeaders": {},
        }
    if place == "bearer":
        event["headers"]["authorization"] = f"Bearer {token}"
        event["headers"]["cookie"] = "; ".join(cookie_list)
    elif place == "cookies" and not v1:
        event["cookies"] = [*cookie_list, f"{COOKIE}={token}"]
    elif place == "multi" and v1:
        event["multiValueHeaders"]["Cookie"] = [*cookie_list, f"{COOKIE}={token}"]
    else:
        event["headers"]["Cookie"] = "; ".join([*cookie_list, f"{COOKIE}={token}"])
    found = extract_token(event, COOKIE)
    allowed = is_allowed(warm_authorizer(event))
    assert allowed == (found == valid_token)
    if token == valid_token and COOKIE not in dict(other_cookies):
        assert allowed


# --- the router -----------------------------------------------------------------------------

ROUTER = Router(
    "Routes:\n- GET /x - X\n- POST /x/{id} - Y\n- GET /f/{rest+} - Z\n",
    source="properties.py",
)


@ROUTER.route("GET /x")
def _get_x(request: Request) -> dict[str, Any]:
    return {"q": request.query, "h": request.headers, "c": request.cookies, "claims": request.claims}


@ROUTER.route("POST /x/{id}")
def _post_x(request: Request) -> Any:
    return {"id": request.path_params["id"], "body": request.json()}


@ROUTER.route("GET /f/{rest+}")
def _get_f(request: Request) -> dict[str, str]:
    return {"rest": request.path_params["rest"], "text": request.body}


ROUTER_HANDLER = ROUTER.handler()


@SETTINGS
@given(junk_events)
def test_router_answers_every_event_with_a_json_response(event: Any) -> None:
    response = ROUTER_HANDLER(event, None)
    assert isinstance(response["statusCode"], int)
    assert 200 <= response["statusCode"] <= 599
    if response["statusCode"] >= 400:
        assert set(json.loads(response["body"])["error"]) == {"code", "message", "request_id"}
        assert response["statusCode"] != 500


@st.composite
def http_events(draw: st.DrawFn) -> dict[str, Any]:
    """Plausible proxy events, 1.0 or 2.0, with odd methods, paths, bodies and headers."""
    method = draw(st.sampled_from(["GET", "POST", "PUT", "HEAD", "OPTIONS", "get", "BREW"]))
    segments = st.sampled_from(["x", "f", "a b", "%2F", "%zz", "", "..", "é", "{id}", "x+y"])
    path = "/" + "/".join(draw(st.lists(segments, max_size=4)))
    body = draw(st.none() | st.text(max_size=30) | st.sampled_from(['{"a": 1}', "[1,", "bnVsbA==", "%%"]))
    headers = draw(st.dictionaries(st.sampled_from(["Cookie", "content-type", "X-A"]), leaves, max_size=3))
    event: dict[str, Any] = {"headers": headers, "body": body, "isBase64Encoded": draw(st.booleans())}
    event["queryStringParameters"] = draw(
        st.none() | st.dictionaries(st.text(max_size=3), leaves, max_size=2)
    )
    event["pathParameters"] = draw(
        st.none() | st.dictionaries(st.sampled_from(["id", "rest"]), leaves, max_size=2)
    )
    if draw(st.booleans()):
        event.update(
            version="2.0",
            rawPath=path,
            routeKey=draw(st.sampled_from(["$default", "GET /x", "POST /x/{id}"])),
        )
        event["requestContext"] = {
            "http": {"method": method, "path": path},
            "stage": "$default",
            "requestId": "r",
        }
        event["cookies"] = draw(st.lists(st.text(max_size=8), max_size=3))
    else:
        event.update(httpMethod=method, path=path, resource=draw(st.sampled_from(["/x", "/{proxy+}", path])))
        event["requestContext"] = {
            "requestId": "r",
            "authorizer": draw(leaves | st.dictionaries(st.text(max_size=3), leaves)),
        }
    return event


@SETTINGS
@given(http_events())
def test_router_never_answers_500_to_a_client_mistake(event: dict[str, Any]) -> None:
    response = ROUTER_HANDLER(event, None)
    assert response["statusCode"] in (200, 204, 400, 404, 405)
    if response["statusCode"] == 405:
        assert response["headers"]["Allow"]
    method = event.get("httpMethod") or event["requestContext"]["http"]["method"]
    if method.upper() == "HEAD":
        assert response["body"] == ""
    elif response["statusCode"] != 204:
        json.loads(response["body"])
