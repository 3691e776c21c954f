"""A new Lambda's handler and test (pure rendering), checked by running them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cora_constructs.scaffold.lambda_files import (
    RouteSpecError,
    function_name,
    render_handler,
    render_lambda,
    route_line,
)
from cora_runtime.routes import RouteDocstringError, parse_source
from tests.conftest import SHARED, load_module

HANDLER = "packages/module-billing/backend/lambdas/invoice-api/lambda_function.py"
ROUTES = [
    "GET /invoices",
    "POST /invoices - Create an invoice",
    "GET /invoices/:invoice_id",
    "GET /invoices/health - Probe [public: uptime check]",
]


def write(root: Path, module: str, name: str, routes: list[str]) -> Path:
    files = render_lambda(module, name, routes, "x.py")
    backend = root / f"module-{module}" / "backend"
    (backend / "lambdas" / name).mkdir(parents=True)
    (backend / "tests").mkdir()
    (backend / "lambdas" / name / "lambda_function.py").write_text(files.handler)
    test = backend / "tests" / f"test_{module}_{name}.py".replace("-", "_")
    test.write_text(files.test)
    return test


def test_the_handler_declares_the_routes_in_its_docstring() -> None:
    files = render_lambda("billing", "invoice-api", ROUTES, HANDLER)
    assert [(r.key, r.description, r.auth) for r in files.routes] == [
        ("GET /invoices", "Served by invoice-api", "org"),
        ("POST /invoices", "Create an invoice", "org"),
        ("GET /invoices/{invoice_id}", "Served by invoice-api", "org"),
        ("GET /invoices/health", "Probe", "public"),
    ]
    assert "Routes - Billing:\n- GET /invoices - Served by invoice-api\n" in files.handler
    assert '@router.route("GET /invoices/{invoice_id}")\ndef get_invoices_by_invoice_id(' in files.handler
    assert files.handler.endswith("lambda_handler = router.handler()\n")
    assert parse_source(files.handler, HANDLER) == [
        route.__class__(**{**route.__dict__, "filename": HANDLER}) for route in files.routes
    ]


def test_the_generated_test_passes_against_the_generated_handler(tmp_path: Path) -> None:
    test = write(tmp_path, "billing", "invoice-api", ROUTES)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout  # 4 routes and a 405


def test_the_generated_test_fails_when_the_handler_breaks_its_route(tmp_path: Path) -> None:
    test = write(tmp_path, "billing", "invoice-api", ["GET /invoices"])
    handler = tmp_path / "module-billing/backend/lambdas/invoice-api/lambda_function.py"
    handler.write_text(handler.read_text().replace('"route": "GET /invoices"', '"route": "oops"'))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1 and "1 failed, 1 passed" in result.stdout


def test_a_lambda_without_routes_is_a_plain_handler(tmp_path: Path) -> None:
    files = render_lambda("jobs", "nightly", [], "x.py")
    assert files.routes == () and "Router" not in files.handler
    test = write(tmp_path, "jobs", "nightly", [])
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("FETCH /x", "unknown HTTP method 'FETCH'"),
        ("GET invoices", "--route"),
        ("GET /a/{id}/{id}", "--route"),
    ],
)
def test_a_route_the_parser_refuses_is_refused_with_its_message(spec: str, message: str) -> None:
    with pytest.raises(RouteSpecError) as error:
        render_lambda("billing", "invoice-api", [spec], HANDLER)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_route_given_twice_is_refused() -> None:
    with pytest.raises(RouteSpecError, match="GET /invoices"):
        render_lambda("billing", "invoice-api", ["GET /invoices", "GET /invoices - again"], HANDLER)


def test_route_keys_go_in_a_websocket_section_and_the_parser_decides() -> None:
    """`$connect` style keys are written as the runtime's parser reads WebSocket routes; whether
    they are accepted is the parser's decision, never this renderer's."""
    draft = render_handler("live", "socket", ["$connect", "transcript - A segment from the bot"])
    assert (
        "Routes - WebSocket:\n- $connect - Served by socket\n- transcript - A segment from the bot\n" in draft
    )
    try:
        expected = [route.key for route in parse_source(draft, "x.py")]
    except RouteDocstringError as refused:
        with pytest.raises(RouteSpecError) as error:
            render_lambda("live", "socket", ["$connect", "transcript - A segment from the bot"], "x.py")
        assert refused.problems[0][2] in str(error.value)
    else:
        files = render_lambda("live", "socket", ["$connect", "transcript - A segment from the bot"], "x.py")
        assert [route.key for route in files.routes] == expected
        assert '@router.route("$connect")\ndef on_connect(' in files.handler


def test_route_lines_and_function_names() -> None:
    assert route_line("GET  /invoices", "invoice-api") == "- GET /invoices - Served by invoice-api"
    assert route_line("GET /health [public: probe]", "x") == "- GET /health [public: probe]"
    used: set[str] = set()
    assert function_name("GET /invoices/{invoice_id}/lines/{line+}", used) == (
        "get_invoices_by_invoice_id_lines_by_line"
    )
    assert function_name("GET /2fa", used) == "get_2fa"
    assert function_name("GET /2fa", used) == "get_2fa_2"
    assert function_name("$default", used) == "on_default"


def test_the_test_event_has_the_shape_of_a_real_payload_2_event(tmp_path: Path) -> None:
    """The event the generated test sends is shaped like API Gateway's (the shared fixture)."""
    real = json.loads((SHARED / "fixtures" / "events" / "apiGatewayProxyV2Event.json").read_text())
    test = write(tmp_path, "billing", "invoice-api", ["GET /invoices/{invoice_id}"])
    module = load_module(test, "generated_billing_invoice_api_test")
    event = module.http_event("GET", "/invoices/7", "GET /invoices/{invoice_id}", {"invoice_id": "7"})
    assert set(event) <= set(real) and {"version", "routeKey", "rawPath", "requestContext"} <= set(event)
    assert set(event["requestContext"]) <= set(real["requestContext"])
    assert set(event["requestContext"]["http"]) == set(real["requestContext"]["http"])
    assert event["version"] == real["version"] == "2.0"
    assert module.lambda_handler(event, None)["statusCode"] == 200
