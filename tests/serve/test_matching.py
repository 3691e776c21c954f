"""API Gateway's route selection for HTTP APIs: most specific first, greedy last, $default."""

from __future__ import annotations

import pytest

from cora_constructs.serve.matching import RouteKeyError, match_route, parse_route_key

ROUTES = [
    parse_route_key(key)
    for key in (
        "GET /pets",
        "GET /pets/dog/1",
        "GET /pets/dog/{id}",
        "GET /pets/{proxy+}",
        "ANY /pets/{kind}/{id}",
        "ANY /{proxy+}",
        "GET /",
    )
]


@pytest.mark.parametrize(
    ("method", "path", "route_key", "params"),
    [
        ("GET", "/pets/dog/1", "GET /pets/dog/1", {}),
        ("GET", "/pets/dog/2", "GET /pets/dog/{id}", {"id": "2"}),
        ("GET", "/pets/cat/7", "ANY /pets/{kind}/{id}", {"kind": "cat", "id": "7"}),
        ("GET", "/pets/cat/7/toys", "GET /pets/{proxy+}", {"proxy": "cat/7/toys"}),
        ("POST", "/pets/dog/1", "ANY /pets/{kind}/{id}", {"kind": "dog", "id": "1"}),
        ("POST", "/pets", "ANY /{proxy+}", {"proxy": "pets"}),
        ("GET", "/pets", "GET /pets", {}),
        ("GET", "/", "GET /", {}),
        ("GET", "/a%20b/c", "ANY /{proxy+}", {"proxy": "a b/c"}),
        ("GET", "/pets/dog/caf%C3%A9", "GET /pets/dog/{id}", {"id": "café"}),
    ],
)
def test_the_most_specific_route_wins(method: str, path: str, route_key: str, params: dict[str, str]) -> None:
    found = match_route(ROUTES, method, path)
    assert found is not None
    assert (found.route.route_key, found.path_parameters) == (route_key, params)


def test_no_match_without_default_and_default_catches_the_rest() -> None:
    routes = [parse_route_key("GET /tasks/{task_id}")]
    assert match_route(routes, "GET", "/tasks") is None
    assert match_route(routes, "POST", "/tasks/1") is None  # HTTP APIs answer 404, never 405
    assert match_route(routes, "GET", "/Tasks/1") is None  # case-sensitive
    found = match_route([*routes, parse_route_key("$default")], "POST", "/tasks/1")
    assert found is not None and found.route.route_key == "$default" and found.path_parameters == {}


def test_a_greedy_variable_needs_at_least_one_segment() -> None:
    routes = [parse_route_key("GET /files/{path+}")]
    assert match_route(routes, "GET", "/files") is None
    assert match_route(routes, "GET", "/files/") is None
    found = match_route(routes, "GET", "/files/a/b.txt")
    assert found is not None and found.path_parameters == {"path": "a/b.txt"}


@pytest.mark.parametrize(
    "key",
    ["GET", "get /x", "GET x", "GET /a/{p+}/b", "GET /a//b", "GET /a/x{id}", "GET /{}", "$connect"],
)
def test_bad_route_keys_are_refused(key: str) -> None:
    with pytest.raises(RouteKeyError, match="route key"):
        parse_route_key(key)
