"""The route docstring parser: realistic docstrings, every refusal, and any text at all."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from cora_runtime.routes import (
    DEFAULT_AUTH,
    PUBLIC,
    Route,
    RouteDocstringError,
    normalise_path,
    parse_docstring,
    parse_file,
    parse_source,
)

from tests.conftest import ROOT

SEED_FORMAT = '''"""
Module Name - Description

Routes - Category:
- GET /path - Description
- POST /path/{id} - Description
"""
'''


def keys(routes: list[Route]) -> list[str]:
    return [route.key for route in routes]


def test_the_seed_format_parses() -> None:
    routes = parse_source(SEED_FORMAT, "seed.py")
    assert keys(routes) == ["GET /path", "POST /path/{id}"]
    assert routes[0].category == "Category"
    assert routes[0].description == "Description"
    assert routes[0].auth == DEFAULT_AUTH
    assert (routes[0].filename, routes[0].line) == ("seed.py", 5)
    assert routes[1].line == 6


@pytest.mark.parametrize("header", ["Routes:", "Routes - Tasks:", "Endpoints:", "  Routes - Admin & Ops:"])
def test_section_headers(header: str) -> None:
    assert keys(parse_docstring(f"Title\n\n{header}\n- GET /x - X\n")) == ["GET /x"]


def test_express_params_are_normalised() -> None:
    (route,) = parse_docstring("Routes:\n- DELETE /projects/:project_id/members/:member_id - Remove\n")
    assert route.path == "/projects/{project_id}/members/{member_id}"


def test_tags_public_with_reason_and_named_authorizer() -> None:
    routes = parse_docstring(
        "Routes:\n"
        "- GET /health - Probe [public: uptime check]\n"
        "- POST /admin/reindex - Rebuild [auth: iam]\n"
        "- GET /me - Who am I\n"
    )
    assert [(r.auth, r.public_reason) for r in routes] == [
        (PUBLIC, "uptime check"),
        ("iam", None),
        (DEFAULT_AUTH, None),
    ]
    assert routes[0].is_public and routes[0].description == "Probe"


def test_module_then_handler_docstring_are_read() -> None:
    source = (
        '"""\nRoutes:\n- GET /a - A\n"""\n\n\n'
        'def lambda_handler(event, context):\n    """Endpoints:\n    - POST /b - B\n    """\n'
    )
    routes = parse_source(source, "m.py")
    assert keys(routes) == ["GET /a", "POST /b"]
    assert routes[1].line == 9


def test_text_outside_route_sections_is_ignored() -> None:
    doc = "Title\n\n- this is a bullet in prose\n\nRoutes:\n- GET /a - A\n\nNotes:\n- not a route at all\n"
    assert keys(parse_docstring(doc)) == ["GET /a"]


def test_no_docstring_means_no_routes() -> None:
    assert parse_source("def lambda_handler(e, c):\n    return 1\n", "w.py") == []


def test_a_tag_without_description() -> None:
    (route,) = parse_docstring("Routes:\n- GET /health [public: uptime check]\n")
    assert (route.key, route.auth, route.public_reason, route.description) == (
        "GET /health",
        "public",
        "uptime check",
        "",
    )


def test_description_may_contain_dashes_and_brackets() -> None:
    (route,) = parse_docstring("Routes:\n- GET /a - List - newest first [beta]\n")
    assert route.description == "List - newest first [beta]"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("- GTE /x - Typo", "unknown HTTP method 'GTE'"),
        ("- get /x - lower case", "unknown HTTP method 'get'"),
        ("- ANY /x - any", "unknown HTTP method 'ANY'"),
        ("- GET x - no slash", "invalid path 'x'"),
        ("- GET /a/{b - unbalanced", "invalid path '/a/{b'"),
        ("- GET /a/b} - unbalanced", "invalid path '/a/b}'"),
        ("- GET /a//b - empty segment", "invalid path '/a//b'"),
        ("- GET /a/ - trailing slash", "invalid path '/a/'"),
        ("- GET /a/{id}/{id} - twice", "invalid path '/a/{id}/{id}'"),
        ("- GET /a?x=1 - query", "invalid path '/a?x=1'"),
        ("- GET /{proxy+}/x - greedy in the middle", "invalid path '/{proxy+}/x'"),
        ("- GET /h - Probe [public: ]", "public route GET /h has no reason"),
        ("- GET /h - Probe [public]", "malformed tag"),
        ("- GET /h - Probe [auth: Not Valid]", "authorizer name 'Not Valid'"),
        ("- GET /h - Probe [auth: public]", "authorizer name 'public'"),
        ("- GET /h - Probe [owner: me]", "unknown tag [owner: ...]"),
        ("- GET /h - X [auth: iam] [public: why]", "more than one tag"),
        ("- GET", "cannot read route line"),
    ],
)
def test_bad_route_lines_name_file_line_and_what_is_accepted(line: str, message: str) -> None:
    with pytest.raises(RouteDocstringError) as caught:
        parse_docstring(f"Title\n\nRoutes:\n- GET /ok - fine\n{line}\n", "handler.py", first_line=10)
    assert caught.value.problems[0][:2] == ("handler.py", 14)
    assert message in str(caught.value)
    assert str(caught.value).startswith("handler.py:14: ")


def test_every_bad_line_is_reported_at_once() -> None:
    with pytest.raises(RouteDocstringError) as caught:
        parse_docstring("Routes:\n- GTE /a - x\n- GET b - y\n- GET /c - fine\n", "f.py")
    assert [p[1] for p in caught.value.problems] == [2, 3]


def test_duplicate_route_in_one_module() -> None:
    with pytest.raises(RouteDocstringError) as caught:
        parse_source('"""\nRoutes:\n- GET /a/{x} - one\n- GET /a/:y - two\n"""\n', "dup.py")
    assert "dup.py:4: route GET /a/{y} is declared twice (first as GET /a/{x} at dup.py:3)" in str(
        caught.value
    )


def test_duplicate_across_module_and_handler_docstrings() -> None:
    source = (
        '"""\nRoutes:\n- GET /a - A\n"""\n\n'
        'def lambda_handler(e, c):\n    """Routes:\n    - GET /a - again\n    """\n'
    )
    with pytest.raises(RouteDocstringError, match="declared twice"):
        parse_source(source, "m.py")


def test_syntax_error_is_a_route_error_with_line() -> None:
    with pytest.raises(RouteDocstringError) as caught:
        parse_source("def broken(:\n", "bad.py")
    assert caught.value.problems[0][:2] == ("bad.py", 1)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("/", "/"),
        ("/a", "/a"),
        ("/a/:b", "/a/{b}"),
        ("/a/{b}/c", "/a/{b}/c"),
        ("/files/{proxy+}", "/files/{proxy+}"),
        ("/v1/users.me", "/v1/users.me"),
        ("a", None),
        ("/a/{1b}", None),
        ("/a/{}", None),
    ],
)
def test_normalise_path(raw: str, normalised: str | None) -> None:
    assert normalise_path(raw) == normalised


def test_reference_modules_parse() -> None:
    handlers = sorted(ROOT.glob("packages/module-*/backend/lambdas/*/lambda_function.py"))
    assert len(handlers) >= 5
    total = sum(len(parse_file(str(h))) for h in handlers)
    assert total >= 12


route_ish = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.sampled_from(["Routes:", "Endpoints:", "Routes - X:", "", "  ", "- GET /a - b"]),
        st.builds(
            lambda m, p, d, t: f"- {m} {p} - {d} {t}",
            st.sampled_from(["GET", "POST", "GTE", "get", "", "DELETE"]),
            st.text(alphabet="/{}:ab+?", max_size=12),
            st.text(max_size=10),
            st.sampled_from(["", "[public: x]", "[public:]", "[auth: iam]", "[auth: ]", "[x: y]", "["]),
        ),
    ),
    max_size=12,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(route_ish)
def test_parser_raises_nothing_but_its_own_error(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        routes = parse_docstring(text, "fuzz.py")
    except RouteDocstringError as error:
        assert error.problems and all(p[0] == "fuzz.py" for p in error.problems)
        return
    for route in routes:
        assert route.path.startswith("/")
        assert normalise_path(route.path) == route.path


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parse_source_on_any_text(text: str) -> None:
    with contextlib.suppress(RouteDocstringError):
        parse_source(text, "any.py")
