"""One request through the gateway, with functions faked: API Gateway's answers for every case
(routing, authorizer allow/deny/error/identity sources, IAM, function errors, timeouts)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cora_constructs.serve.events import HttpRequest
from cora_constructs.serve.gateway import Gateway
from cora_constructs.serve.matching import parse_route_key
from cora_constructs.serve.plan import AuthorizerConfig, LambdaFunction, ServedRoute
from cora_constructs.serve.workers import Invocation


def function(name: str, timeout_s: int = 29) -> LambdaFunction:
    return LambdaFunction(
        name, "stack", "Fn", "lambda_function.lambda_handler", Path(), (), {}, (), 256, timeout_s, ""
    )


HANDLER = function("handler")
AUTHORIZER = function("authorizer")
ORG = AuthorizerConfig("org-authorizer", AUTHORIZER, (), True, "2.0")


def route(
    key: str, auth: str = "NONE", authorizer: AuthorizerConfig | None = None, **extra: Any
) -> ServedRoute:
    return ServedRoute(parse_route_key(key), HANDLER, auth, authorizer, 30_000, "2.0", "stack", **extra)


class Functions:
    """Fake invocations: what each function answers, and every event it got."""

    def __init__(self, **answers: Invocation) -> None:
        self.answers = answers
        self.events: dict[str, list[Mapping[str, Any]]] = {}

    async def __call__(
        self, fn: LambdaFunction, event: Mapping[str, Any], request_id: str, timeout: float
    ) -> Invocation:
        self.events.setdefault(fn.function_name, []).append(event)
        return self.answers[fn.function_name]


def ok(value: object) -> Invocation:
    return Invocation("ok", payload=json.dumps(value))


ALLOW = ok({"isAuthorized": True, "context": {"sub": "alice", "groups": "a,b"}})
DENY = ok({"isAuthorized": False, "context": {}})
ECHO = ok({"statusCode": 200, "body": "hi", "headers": {"x-a": "1"}})


def serve(
    routes: list[ServedRoute], functions: Functions, request: HttpRequest
) -> tuple[int, dict[str, Any] | bytes, list[str]]:
    logged: list[str] = []
    gateway = Gateway(routes, functions, log=logged.append, region="eu-west-1")
    outcome = asyncio.run(gateway.handle(request))
    body: dict[str, Any] | bytes = outcome.response.body
    if dict(outcome.response.headers).get("content-type") == "application/json":
        body = json.loads(outcome.response.body)
    assert dict(outcome.response.headers)["apigw-requestid"]
    return outcome.response.status, body, logged


def test_an_unknown_path_or_method_is_api_gateways_404() -> None:
    routes = [route("GET /tasks/{id}")]
    for request in (HttpRequest("GET", "/nope"), HttpRequest("DELETE", "/tasks/1")):
        assert serve(routes, Functions(), request)[:2] == (404, {"message": "Not Found"})


def test_a_public_route_gets_the_event_without_authorizer() -> None:
    functions = Functions(handler=ECHO)
    status, body, _ = serve([route("GET /tasks/{id}")], functions, HttpRequest("GET", "/tasks/7", "a=1&a=2"))
    assert (status, body) == (200, b"hi")
    (event,) = functions.events["handler"]
    assert event["pathParameters"] == {"id": "7"} and event["queryStringParameters"] == {"a": "1,2"}
    assert event["routeKey"] == "GET /tasks/{id}" and "authorizer" not in event["requestContext"]


def test_the_authorizer_runs_first_and_its_context_reaches_the_handler() -> None:
    functions = Functions(handler=ECHO, authorizer=ALLOW)
    request = HttpRequest("GET", "/tasks/7", headers=(("Authorization", "Bearer t"),))
    assert serve([route("GET /tasks/{id}", "CUSTOM", ORG)], functions, request)[0] == 200
    (auth_event,) = functions.events["authorizer"]
    assert auth_event["type"] == "REQUEST" and auth_event["headers"]["authorization"] == "Bearer t"
    assert auth_event["routeArn"].startswith("arn:aws:execute-api:eu-west-1:")
    (event,) = functions.events["handler"]
    assert event["requestContext"]["authorizer"] == {"lambda": {"sub": "alice", "groups": "a,b"}}
    assert event["requestContext"]["requestId"] == auth_event["requestContext"]["requestId"]


@pytest.mark.parametrize(
    ("answer", "status", "message"),
    [
        (DENY, 403, "Forbidden"),
        (ok({"allow": True}), 500, "Internal Server Error"),
        (Invocation("error", error={"errorType": "KeyError"}), 500, "Internal Server Error"),
        (Invocation("timeout"), 500, "Internal Server Error"),
    ],
)
def test_authorizer_deny_and_failure(answer: Invocation, status: int, message: str) -> None:
    functions = Functions(handler=ECHO, authorizer=answer)
    result = serve([route("GET /x", "CUSTOM", ORG)], functions, HttpRequest("GET", "/x"))
    assert result[:2] == (status, {"message": message})
    assert "handler" not in functions.events


def test_a_missing_identity_source_is_401_without_calling_the_authorizer() -> None:
    config = replace(ORG, identity_sources=("$request.header.Authorization", "$request.querystring.tenant"))
    functions = Functions(handler=ECHO, authorizer=ALLOW)
    routes = [route("GET /x", "CUSTOM", config)]
    assert serve(routes, functions, HttpRequest("GET", "/x", "tenant=t"))[:2] == (
        401,
        {"message": "Unauthorized"},
    )
    assert "authorizer" not in functions.events
    request = HttpRequest("GET", "/x", "tenant=t", headers=(("authorization", "Bearer t"),))
    assert serve(routes, functions, request)[0] == 200
    assert functions.events["authorizer"][0]["identitySource"] == ["Bearer t", "t"]


def test_policy_responses_are_evaluated() -> None:
    config = replace(ORG, simple_responses=False)
    policy = {
        "principalId": "u",
        "policyDocument": {
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]
        },
        "context": {"sub": "u"},
    }
    functions = Functions(handler=ECHO, authorizer=ok(policy))
    assert serve([route("GET /x", "CUSTOM", config)], functions, HttpRequest("GET", "/x"))[0] == 200


def test_iam_routes_need_a_sigv4_header() -> None:
    functions = Functions(handler=ECHO)
    routes = [route("POST /x", "AWS_IAM")]
    assert serve(routes, functions, HttpRequest("POST", "/x"))[:2] == (403, {"message": "Forbidden"})
    signed = (
        (
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/execute-api/aws4_request, "
            "SignedHeaders=host, Signature=abc",
        ),
    )
    assert serve(routes, functions, HttpRequest("POST", "/x", headers=signed))[0] == 200
    assert functions.events["handler"][0]["requestContext"]["authorizer"]["iam"]["accessKey"] == "AKIDEXAMPLE"


@pytest.mark.parametrize(
    ("answer", "status", "body"),
    [
        (Invocation("error", error={"errorType": "ValueError"}), 500, {"message": "Internal Server Error"}),
        (Invocation("crash"), 500, {"message": "Internal Server Error"}),
        (ok({"statusCode": "x"}), 500, {"message": "Internal Server Error"}),
        (ok({"tasks": []}), 200, {"tasks": []}),
    ],
)
def test_function_errors_and_inferred_answers(answer: Invocation, status: int, body: object) -> None:
    assert serve([route("GET /x")], Functions(handler=answer), HttpRequest("GET", "/x"))[:2] == (status, body)


def test_timeouts_answer_as_api_gateway_does() -> None:
    # The function's own timeout first: a function error (500); the integration's first: 503.
    functions = Functions(handler=Invocation("timeout"))
    status, body, logged = serve([route("GET /x")], functions, HttpRequest("GET", "/x"))
    assert (status, body) == (500, {"message": "Internal Server Error"})
    assert any("Task timed out after 29.00 seconds" in line for line in logged)
    slow = replace(route("GET /x"), function=function("handler", timeout_s=60))
    status, body, logged = serve([slow], functions, HttpRequest("GET", "/x"))
    assert (status, body) == (503, {"message": "Service Unavailable"})


def test_a_route_whose_function_cannot_run_is_a_500_with_the_reason_logged() -> None:
    broken = replace(route("GET /x"), function=None, problem="route GET /x does not invoke a Lambda function")
    status, _, logged = serve([broken], Functions(), HttpRequest("GET", "/x"))
    assert status == 500 and "does not invoke a Lambda function" in logged[0]


def test_a_body_over_10_mb_is_413() -> None:
    request = HttpRequest("POST", "/x", body=b"x" * (10 * 1024 * 1024 + 1))
    assert serve([route("POST /x")], Functions(handler=ECHO), request)[:2] == (
        413,
        {"message": "Request Entity Too Large"},
    )
