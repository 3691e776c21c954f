"""The route docstring parser: realistic docstrings, every refusal, and any text at all."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cora_runtime.routes import (
    DEFAULT_AUTH,
    PUBLIC,
    Route,
    RouteDocstringError,
    SourceReadError,
    decode_source,
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


def handler_module(module_routes: str | None, handler_routes: str | None) -> str:
    """A handler module whose module and lambda_handler docstrings hold the given sections."""
    module_doc = f'"""\nTitle.\n{module_routes or ""}\n"""\n' if module_routes is not None else ""
    handler_doc = f'    """Handle it.\n\n{handler_routes}\n    """\n' if handler_routes is not None else ""
    return f"{module_doc}\n\ndef lambda_handler(event, context):\n{handler_doc}    return {{}}\n"


def test_the_module_docstring_is_the_source() -> None:
    source = handler_module("Routes:\n- GET /a - A", None)
    assert keys(parse_source(source, "m.py")) == ["GET /a"]


def test_the_handler_docstring_is_read_when_the_module_declares_no_route() -> None:
    source = handler_module("No routes here.", "    Endpoints:\n    - POST /b - B\n    - GET /c - C")
    routes = parse_source(source, "m.py")
    assert keys(routes) == ["POST /b", "GET /c"]
    assert [r.line for r in routes] == [11, 12]
    assert keys(parse_source(handler_module(None, "    Routes:\n    - GET /x - X"), "m.py")) == ["GET /x"]


def test_an_async_or_redefined_handler_docstring_is_read() -> None:
    source = (
        'def lambda_handler(e, c):\n    """Routes:\n    - GET /old - stale\n    """\n\n'
        'async def lambda_handler(e, c):\n    """Routes:\n    - GET /new - kept\n    """\n'
    )
    assert keys(parse_source(source, "m.py")) == ["GET /new"]


def test_routes_in_both_docstrings_name_both_lines_and_the_difference() -> None:
    source = handler_module(
        "Routes:\n- GET /a - A\n- GET /b - B", "    Routes:\n    - GET /a - A\n    - POST /c - C"
    )
    with pytest.raises(RouteDocstringError) as caught:
        parse_source(source, "m.py")
    assert caught.value.problems == [
        (
            "m.py",
            12,
            "routes are declared in both the module docstring (m.py:3) and lambda_handler's "
            "docstring (m.py:12); they differ: only in lambda_handler's: POST /c; only in the "
            "module's: GET /b. The module docstring is the source of routes (the CORA API tracer "
            "reads lambda_handler's only when the module's declares none): move every route into "
            "the module docstring and delete the route section of lambda_handler's docstring",
        )
    ]


def test_routes_in_both_docstrings_are_an_error_even_when_equal() -> None:
    source = handler_module("Routes:\n- GET /a - A", "    Routes:\n    - GET /a - A")
    with pytest.raises(RouteDocstringError) as caught:
        parse_source(source, "m.py")
    (problem,) = caught.value.problems
    assert problem[:2] == ("m.py", 11)
    assert "(m.py:3) and lambda_handler's docstring (m.py:11); they list the same routes." in problem[2]


def test_a_handler_docstring_without_routes_is_ignored() -> None:
    source = handler_module("Routes:\n- GET /a - A", "    Returns a dict. Routes are in the module.")
    assert keys(parse_source(source, "m.py")) == ["GET /a"]


def test_tracer_style_header_and_lines_without_dash_and_em_dash() -> None:
    doc = (
        "Document API.\n\n"
        "Routes (via API Gateway proxy):\n"
        "    GET /api/v1/documents/{documentId} \u2014 retrieve\n"
        "    PUT /api/v1/documents/{documentId} \u2013 replace [auth: iam]\n"
        "    DELETE /api/v1/documents/:documentId\n"
    )
    routes = parse_docstring(doc, "doc.py")
    assert [(r.key, r.description, r.auth, r.category, r.line) for r in routes] == [
        ("GET /api/v1/documents/{documentId}", "retrieve", DEFAULT_AUTH, None, 4),
        ("PUT /api/v1/documents/{documentId}", "replace", "iam", None, 5),
        ("DELETE /api/v1/documents/{documentId}", "", DEFAULT_AUTH, None, 6),
    ]


def test_a_route_section_ends_at_unindented_prose() -> None:
    doc = "Routes:\n- GET /a - A\n  (paginated)\nGET /b - B\nSee the guide.\nGET /c - C\n"
    assert keys(parse_docstring(doc)) == ["GET /a", "GET /b"]


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
        ("- GET /{proxy+}/x - greedy in the middle", "invalid path '/{proxy+}/x'"),
        ("- GET /h - Probe [public: ]", "public route GET /h has no reason"),
        ("- GET /h - Probe [public]", "malformed tag"),
        ("- GET /h - Probe [auth: Not Valid]", "authorizer name 'Not Valid'"),
        ("- GET /h - Probe [auth: public]", "authorizer name 'public'"),
        ("- GET /h - Probe [owner: me]", "unknown tag [owner: ...]"),
        ("- GET /h - X [auth: iam] [public: why]", "more than one tag"),
        ("- GET", "cannot read route line '- GET': expected `- GET /path/{id} - Description`;"),
        ("- GET /a get all", "rewrite it as `- GET /a - get all`"),
        ("GET /a \u2014", "cannot read route line 'GET /a \u2014'"),
        ("get /x \u2014 lower case without dash", "unknown HTTP method 'get'"),
        ("ANY /x", "unknown HTTP method 'ANY'"),
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


@pytest.mark.parametrize(
    "line",
    ["- GET /items?limit=10&cursor=x - List items", "GET /items?limit=10&cursor=x \u2014 List items"],
)
def test_a_query_string_says_routes_have_none_and_how_to_read_it(line: str) -> None:
    with pytest.raises(RouteDocstringError) as caught:
        parse_docstring(f"Routes:\n{line}\n", "q.py")
    assert caught.value.problems == [
        (
            "q.py",
            2,
            f"route path '/items?limit=10&cursor=x' in {line!r} has a query string: API Gateway "
            "routes match the path only, never a query part. Declare `- GET /items - <description>` "
            'and read limit, cursor in the handler from event["queryStringParameters"]["limit"] '
            '(request.query["limit"] with the cora_runtime Router)',
        )
    ]


def test_a_section_with_no_readable_route_names_its_first_line_and_the_format() -> None:
    doc = "Title.\n\nRoutes (via API Gateway proxy):\n    * GET: /api/v1/documents/{documentId}: retrieve\n"
    with pytest.raises(RouteDocstringError) as caught:
        parse_docstring(doc, "d.py", first_line=7)
    assert caught.value.problems == [
        (
            "d.py",
            10,
            "the route section 'Routes (via API Gateway proxy):' (line 9) has no route line that "
            "can be read; the first line it could not read is "
            "'* GET: /api/v1/documents/{documentId}: retrieve': expected "
            "`- GET /path/{id} - Description`: rewrite it as "
            "`- GET /api/v1/documents/{documentId} - retrieve`",
        )
    ]


def test_an_unreadable_line_without_method_gets_the_format() -> None:
    with pytest.raises(RouteDocstringError) as caught:
        parse_docstring("Endpoints:\nSee the wiki for the endpoints.\n", "e.py")
    assert caught.value.problems == [
        (
            "e.py",
            2,
            "the route section 'Endpoints:' (line 1) has no route line that can be read; the first "
            "line it could not read is 'See the wiki for the endpoints.': expected "
            "`- GET /path/{id} - Description`",
        )
    ]


@pytest.mark.parametrize("doc", ["Title\n\nRoutes - Tasks:\n", "Routes:\n\n\n"])
def test_an_empty_route_section_is_an_error_at_its_header(doc: str) -> None:
    with pytest.raises(RouteDocstringError) as caught:
        parse_docstring(doc, "h.py")
    header = doc.strip().splitlines()[-1]
    assert caught.value.problems == [
        (
            "h.py",
            doc.splitlines().index(header) + 1,
            f"the route section {header!r} lists no route: add one line per route below it, like "
            "`- GET /path/{id} - Description`, or delete the header",
        )
    ]


def test_a_second_empty_section_is_reported_beside_a_good_one() -> None:
    with pytest.raises(RouteDocstringError) as caught:
        parse_docstring("Routes - A:\n- GET /a - A\n\nRoutes - B:\n", "two.py")
    assert [p[:2] for p in caught.value.problems] == [("two.py", 4)]


def test_non_utf8_source_is_a_route_error_with_its_line(tmp_path: Path) -> None:
    handler = tmp_path / "lambda_function.py"
    handler.write_bytes(b'"""\nRoutes:\n- GET /caf\xe9 - Latin-1\n"""\n')
    with pytest.raises(RouteDocstringError) as caught:
        parse_file(str(handler))
    assert caught.value.problems == [
        (
            str(handler),
            3,
            "the handler module is not utf-8 text (byte 0xe9 on line 3); Python reads source files "
            "as UTF-8: save the file as UTF-8",
        )
    ]


def test_a_coding_cookie_is_honoured_as_python_does() -> None:
    source = b'# -*- coding: latin-1 -*-\n"""\nRoutes:\n- GET /a - caf\xe9\n"""\n'
    (route,) = parse_source(source, "l.py")
    assert route.description == "caf\u00e9"
    assert decode_source(b"x = 1\n") == "x = 1\n"
    assert decode_source(b"\xef\xbb\xbfx = 1\n") == "x = 1\n"
    with pytest.raises(SourceReadError) as first_line:
        decode_source(b"x = 'caf\xe9'\n")
    assert (first_line.value.line, first_line.value.message) == (
        1,
        "is not utf-8 text (byte 0xe9 on line 1); Python reads source files as UTF-8: save the file as UTF-8",
    )
    with pytest.raises(SourceReadError) as caught:
        decode_source(b"# coding: nonsense\n")
    assert caught.value.line == 1 and "nonsense" in caught.value.message


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
        st.sampled_from(
            [
                "Routes:",
                "Endpoints:",
                "Routes - X:",
                "Routes (via proxy):",
                "",
                "  ",
                "- GET /a - b",
                "GET /c \u2014 d",
                "  POST /e?x=1 \u2013 f",
                "prose",
            ]
        ),
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
        if route.is_websocket:  # a route key such as ``$connect``: the key is the path
            assert route.path and route.path == route.path.strip() and route.key == route.path
            continue
        assert route.path.startswith("/")
        assert normalise_path(route.path) == route.path
    headers = [line for line in lines if line.strip() in {"Routes:", "Endpoints:", "Routes - X:"}]
    # Never a silent zero: a docstring with a route section that parses has routes.
    assert not headers or routes


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parse_source_on_any_text(text: str) -> None:
    with contextlib.suppress(RouteDocstringError):
        parse_source(text, "any.py")
