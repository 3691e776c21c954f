"""cora_runtime.cookies and cora_runtime.auth against the real API Gateway events."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cora_runtime.auth import extract_token, find_token
from cora_runtime.cookies import parse_cookies

from .support import (
    V1_AUTHORIZER_EVENT,
    V1_PROXY_EVENT,
    V2_AUTHORIZER_EVENT,
    V2_PROXY_AFTER_AUTHORIZER_EVENT,
    V2_PROXY_EVENT,
    load_event,
    with_cookie,
    with_header,
)


@pytest.mark.parametrize("name", [V2_PROXY_EVENT, V2_PROXY_AFTER_AUTHORIZER_EVENT, V2_AUTHORIZER_EVENT])
def test_v2_fixture_cookies_without_equals_are_skipped_not_fatal(name: str) -> None:
    event = load_event(name)
    assert event["cookies"] == ["cookie1", "cookie2"]  # the quirk this test is about
    assert parse_cookies(event) == {}
    event = with_cookie(event, "session=abc")
    assert parse_cookies(event) == {"session": "abc"}


@pytest.mark.parametrize("name", [V1_PROXY_EVENT, V1_AUTHORIZER_EVENT])
def test_v1_fixtures_have_no_cookies(name: str) -> None:
    assert parse_cookies(load_event(name)) == {}


def test_v1_cookie_header_any_case_and_multi_value_headers() -> None:
    event = load_event(V1_PROXY_EVENT)
    event["headers"]["COOKIE"] = "theme=dark; session=from-header"
    event["multiValueHeaders"]["cookie"] = ["lang=en", "session=from-multi; extra=1"]
    # multiValueHeaders holds every Cookie header in order, so it comes before `headers`.
    assert parse_cookies(event) == {
        "lang": "en",
        "session": "from-multi",
        "extra": "1",
        "theme": "dark",
    }


def test_v2_cookies_list_wins_over_headers_and_first_duplicate_wins() -> None:
    event = load_event(V2_PROXY_EVENT)
    event["cookies"] = ["cookie1", "a=1", "a=2", "b=x"]
    event["headers"]["Cookie"] = "a=3; c=4"
    assert parse_cookies(event) == {"a": "1", "b": "x", "c": "4"}


def test_empty_parts_quotes_whitespace_equals_in_value() -> None:
    event = {"headers": {"cookie": ' ;; a = 1 ;b="quoted value"; =nameless; c=x=y; d=; e="'}}
    assert parse_cookies(event) == {"a": "1", "b": "quoted value", "c": "x=y", "d": "", "e": '"'}


@pytest.mark.parametrize(
    "event",
    [
        None,
        "cookie: a=1",
        42,
        [],
        {"cookies": "a=1"},  # a bare string is tolerated as one entry
        {"cookies": [None, 3, {"a": 1}, ["a=1"], "ok=1"]},
        {"headers": None, "multiValueHeaders": "junk"},
        {"headers": {1: "a=1", "Cookie": 5, "cookie": ["a=1"]}},
        {"multiValueHeaders": {"Cookie": "ok=1", "cookie": [None, "x"]}},
    ],
)
def test_junk_never_raises(event: Any) -> None:
    result = parse_cookies(event)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in result.items())
    assert set(result) <= {"ok", "a"}


def test_does_not_mutate_the_event() -> None:
    event = with_cookie(load_event(V2_PROXY_EVENT), "s=1")
    before = copy.deepcopy(event)
    parse_cookies(event)
    extract_token(event, "s")
    assert event == before


# --- extract_token -------------------------------------------------------------------------


def test_v2_authorizer_fixture_authorization_without_bearer_is_not_a_token() -> None:
    event = load_event(V2_AUTHORIZER_EVENT)
    assert event["headers"]["Authorization"] == "value"
    assert extract_token(event, "session") is None
    assert extract_token(with_cookie(event, "session=tok"), "session") == "tok"


def test_bearer_header_any_case_wins_over_cookie() -> None:
    event = with_cookie(load_event(V2_AUTHORIZER_EVENT), "session=cookie-token")
    event["headers"]["Authorization"] = "bEaReR   header-token "
    assert find_token(event, "session") == ("header-token", "header")


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "token"])
def test_unusable_authorization_falls_back_to_the_cookie(value: str) -> None:
    event = with_header(load_event(V1_PROXY_EVENT), "AUTHORIZATION", value)
    event["multiValueHeaders"]["Cookie"] = ["session=cookie-token"]
    assert find_token(event, "session") == ("cookie-token", "cookie")


def test_v1_multi_value_authorization_and_cookie_header() -> None:
    event = load_event(V1_AUTHORIZER_EVENT)
    assert extract_token(event, "session") is None  # authorizationToken "user1,123" is not Bearer
    event["multiValueHeaders"]["authorization"] = ["Bearer multi-token"]
    assert extract_token(event, "session") == "multi-token"
    del event["multiValueHeaders"]["authorization"]
    event["headers"]["Cookie"] = "other=1; session=cookie-token"
    assert find_token(event, "session") == ("cookie-token", "cookie")


def test_token_authorizer_event_uses_authorization_token() -> None:
    event = {"type": "TOKEN", "authorizationToken": "Bearer tok", "methodArn": "arn:x"}
    assert extract_token(event, "session") == "tok"
    # Only TOKEN events: a REQUEST event's authorizationToken is not a header.
    assert extract_token({**event, "type": "REQUEST"}, "session") is None


def test_empty_cookie_or_empty_name_is_no_token() -> None:
    event = with_cookie(load_event(V2_PROXY_EVENT), "session=")
    assert extract_token(event, "session") is None
    assert extract_token(with_cookie(event, "x=1"), "") is None


def test_quoted_session_cookie_is_unquoted_in_both_sources() -> None:
    event = with_cookie(load_event(V2_PROXY_EVENT), 'session="a.b.c"')
    assert extract_token(event, "session") == "a.b.c"
    v1 = load_event(V1_PROXY_EVENT)
    v1["headers"]["Cookie"] = 'x=1; session = "a.b.c" '
    assert extract_token(v1, "session") == "a.b.c"
