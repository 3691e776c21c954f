"""The events `cora serve` builds have the shape of API Gateway's real ones (the fixture events,
read unchanged), and Lambda answers map back as API Gateway maps them (payload 2.0)."""

from __future__ import annotations

import base64
import json

import pytest

from cora_constructs.serve import events
from cora_constructs.serve.events import HttpRequest, MalformedResponseError, RequestContext
from tests.runtime.support import V2_AUTHORIZER_EVENT, V2_PROXY_EVENT, load_event

REQUEST = HttpRequest(
    method="POST",
    raw_path="/my/path",
    raw_query="parameter1=value1&parameter1=value2&parameter2=value",
    headers=(
        ("Host", "localhost"),
        ("Header1", "value1"),
        ("header2", "value1"),
        ("Header2", "value2"),
        ("Cookie", "cookie1; cookie2"),
        ("User-Agent", "agent"),
        ("Content-Type", "application/json"),
    ),
    body=b'{"message": "hello world", "username": "tom"}',
    source_ip="192.168.0.1",
)
CONTEXT = RequestContext(request_id="id", time_epoch_ms=1583348638390, domain_name="localhost")
# What the fixtures carry that a local request cannot have: a client certificate (mTLS) and
# stage variables (the reference app's $default stage has none).
NOT_LOCAL = {"authentication", "stageVariables"}


def keys(value: object, prefix: str = "") -> set[str]:
    """Every key path of a JSON object (``requestContext.http.method``)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}{key}"
            found.add(path)
            if key not in ("headers", "queryStringParameters", "pathParameters", "lambda", "claims"):
                found |= keys(item, path + ".")
    return found


def without(paths: set[str], *prefixes: str) -> set[str]:
    return {p for p in paths if not any(p == x or p.startswith(x + ".") for x in prefixes)}


def test_the_proxy_event_has_the_real_events_structure_and_values() -> None:
    fixture = load_event(V2_PROXY_EVENT)
    built = events.proxy_event(
        REQUEST,
        route_key="$default",
        path_parameters={"parameter1": "value1"},
        context=CONTEXT,
        authorizer={"lambda": {"sub": "tom"}},
    )
    expected = without(
        keys(fixture), *NOT_LOCAL, "requestContext.authentication", "requestContext.authorizer.jwt"
    )
    assert without(keys(built), "requestContext.authorizer.lambda") == expected
    for name in ("version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers", "body"):
        if name == "headers":
            assert {k: built[name][k] for k in fixture[name]} == fixture[name]
        else:
            assert built[name] == fixture[name], name
    assert built["queryStringParameters"] == fixture["queryStringParameters"]
    assert built["pathParameters"] == fixture["pathParameters"]
    assert built["isBase64Encoded"] is False
    context = built["requestContext"]
    assert context["http"] == {**fixture["requestContext"]["http"], "sourceIp": "192.168.0.1"}
    assert context["time"] == "04/Mar/2020:19:03:58 +0000"  # the fixture's timeEpoch, formatted
    assert (context["stage"], context["routeKey"], context["requestId"]) == ("$default", "$default", "id")
    assert context["authorizer"] == {"lambda": {"sub": "tom"}}
    assert "cookie" not in built["headers"]  # the cookies travel in ``cookies`` only
    assert all(name == name.lower() for name in built["headers"])


def test_the_authorizer_event_has_the_real_events_structure() -> None:
    fixture = load_event(V2_AUTHORIZER_EVENT)
    request = HttpRequest(
        method="GET",
        raw_path="/merchants",
        raw_query=REQUEST.raw_query,
        headers=(("Authorization", "value"), ("Cookie", "cookie1; cookie2"), ("User-Agent", "agent")),
    )
    built = events.authorizer_event(
        request,
        route_key="GET /merchants",
        path_parameters={"parameter1": "value1"},
        context=CONTEXT,
        identity_source=["user1", "123"],
    )
    assert without(keys(built)) == without(keys(fixture), *NOT_LOCAL, "requestContext.authentication")
    assert built["type"] == "REQUEST" and built["version"] == "2.0"
    assert built["routeArn"] == "arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/merchants"
    assert built["headers"]["authorization"] == "value"
    assert built["cookies"] == fixture["cookies"]
    assert "body" not in built  # API Gateway sends no body to a REQUEST authorizer


def test_the_runtime_finds_the_token_where_the_built_event_puts_it() -> None:
    from cora_runtime.auth import find_token

    request = HttpRequest("GET", "/x", headers=(("Cookie", "a=1; session=tok"),))
    built = events.authorizer_event(request, route_key="GET /x", path_parameters={}, context=CONTEXT)
    assert find_token(built, "session") == ("tok", "cookie")
    request = HttpRequest("GET", "/x", headers=(("AUTHORIZATION", "Bearer abc"),))
    built = events.authorizer_event(request, route_key="GET /x", path_parameters={}, context=CONTEXT)
    assert find_token(built, "session") == ("abc", "header")


def test_empty_parts_are_left_out_as_api_gateway_leaves_them_out() -> None:
    built = events.proxy_event(
        HttpRequest("GET", "/health"), route_key="GET /health", path_parameters={}, context=CONTEXT
    )
    assert built["rawQueryString"] == ""
    for absent in ("cookies", "queryStringParameters", "pathParameters", "body"):
        assert absent not in built
    assert "authorizer" not in built["requestContext"]


@pytest.mark.parametrize(
    ("content_type", "body", "encoded"),
    [
        ("application/json", b'{"a": 1}', False),
        ("text/plain; charset=utf-8", "héllo".encode(), False),
        ("application/vnd.api+json", b"{}", False),
        ("application/x-www-form-urlencoded", b"a=1&b=2", True),
        ("image/png", b"\x89PNG\r\n", True),
        (None, b"raw", True),
        ("text/plain", b"\xff\xfe", True),  # not UTF-8: binary whatever the type says
    ],
)
def test_binary_bodies_are_base64_encoded(content_type: str | None, body: bytes, encoded: bool) -> None:
    headers = (("content-type", content_type),) if content_type else ()
    built = events.proxy_event(
        HttpRequest("POST", "/x", headers=headers, body=body),
        route_key="POST /x",
        path_parameters={},
        context=CONTEXT,
    )
    assert built["isBase64Encoded"] is encoded
    assert (base64.b64decode(built["body"]) if encoded else built["body"].encode()) == body


def test_query_strings_are_decoded_and_repeats_joined() -> None:
    assert events.query_parameters("a=1&a=2&b=x%20y&c&d=") == {"a": "1,2", "b": "x y", "c": "", "d": ""}


def test_a_structured_response_maps_status_headers_cookies_and_base64() -> None:
    payload = json.dumps(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "image/png", "X-Count": 3},
            "multiValueHeaders": {"X-Many": ["a", "b"]},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
        }
    )
    response = events.map_lambda_response(payload)
    assert response.status == 201
    assert response.body == b"\x89PNG"
    assert ("content-type", "image/png") in response.headers
    assert ("x-count", "3") in response.headers
    assert ("x-many", "a,b") in response.headers
    assert [v for k, v in response.headers if k == "set-cookie"] == ["a=1; Path=/", "b=2"]


@pytest.mark.parametrize("output", [{"tasks": []}, "hello", [1, 2], None, {"status": "ok"}])
def test_anything_without_status_code_is_an_inferred_200_json(output: object) -> None:
    payload = json.dumps(output)
    response = events.map_lambda_response(payload)
    assert (response.status, response.body) == (200, payload.encode())
    assert response.headers == (("content-type", "application/json"),)


@pytest.mark.parametrize(
    "output",
    [
        {"statusCode": "200"},
        {"statusCode": 700},
        {"statusCode": 200, "body": {"a": 1}},
        {"statusCode": 200, "headers": ["x"]},
        {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
        {"statusCode": 200, "cookies": "a=1"},
    ],
)
def test_what_api_gateway_cannot_map_is_refused(output: object) -> None:
    with pytest.raises(MalformedResponseError):
        events.map_lambda_response(json.dumps(output))


def test_authorizer_answers() -> None:
    assert events.read_simple_response('{"isAuthorized": true, "context": {"sub": "u"}}').context == {
        "sub": "u"
    }
    assert events.read_simple_response('{"isAuthorized": false}').authorized is False
    with pytest.raises(MalformedResponseError):
        events.read_simple_response('{"isAuthorized": "yes"}')
    arn = "arn:aws:execute-api:us-east-1:123456789012:local/$default/GET/x"
    policy = {
        "principalId": "u",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn.rsplit("/", 2)[0] + "/*"}
            ],
        },
        "context": {"sub": "u"},
    }
    assert events.read_policy_response(json.dumps(policy), arn).authorized is True
    policy["policyDocument"]["Statement"].append({"Action": "*", "Effect": "Deny", "Resource": "*"})  # type: ignore[index]
    assert events.read_policy_response(json.dumps(policy), arn).authorized is False


def test_gateway_errors_are_api_gateways_bodies() -> None:
    response = events.gateway_error(*events.NOT_FOUND)
    assert (response.status, response.body) == (404, b'{"message":"Not Found"}')
    assert events.gateway_error(*events.FORBIDDEN).body == b'{"message":"Forbidden"}'
    assert events.gateway_error(*events.UNAUTHORIZED).status == 401
    assert events.gateway_error(*events.INTERNAL_ERROR).body == b'{"message":"Internal Server Error"}'
    assert events.gateway_error(*events.SERVICE_UNAVAILABLE).status == 503
