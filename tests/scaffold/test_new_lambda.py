"""Where `cora new lambda` puts a Lambda, and every reason it refuses (nothing is written)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cora_constructs.scaffold.new_lambda import Layout, NewLambdaError, plan_new_lambda

EXISTING = '''"""
Invoices.

Routes - Billing:
- GET /invoices - List invoices
- GET /invoices/{invoice_id} - Get one
"""
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    handler = tmp_path / "packages/module-billing/backend/lambdas/invoice-api/lambda_function.py"
    handler.parent.mkdir(parents=True)
    handler.write_text(EXISTING)
    return tmp_path


def problems(root: Path, module: str, name: str, routes: list[str], **context: object) -> list[str]:
    with pytest.raises(NewLambdaError) as error:
        plan_new_lambda(root, module, name, routes, context)
    return error.value.problems


def test_a_new_module(project: Path) -> None:
    plan = plan_new_lambda(project, "shipping", "label-api", ["GET /labels"], {})
    assert plan.module_is_new and plan.module_folder == "packages/module-shipping"
    assert sorted(plan.files) == [
        "packages/module-shipping/backend/lambdas/label-api/lambda_function.py",
        "packages/module-shipping/backend/tests/test_shipping_label_api.py",
    ]
    assert [route.key for route in plan.routes] == ["GET /labels"]


def test_a_new_lambda_in_an_existing_module(project: Path) -> None:
    plan = plan_new_lambda(project, "billing", "payment_api", ["POST /payments"], {})
    assert not plan.module_is_new
    assert plan.lambda_folder == "packages/module-billing/backend/lambdas/payment_api"


def test_an_existing_lambda_is_one_line(project: Path) -> None:
    assert problems(project, "billing", "invoice-api", ["GET /invoices"]) == [
        "Lambda 'invoice-api' of module 'billing' already exists: "
        "packages/module-billing/backend/lambdas/invoice-api"
    ]


def test_a_lambda_folder_that_differs_by_dash_or_underscore(project: Path) -> None:
    (found,) = problems(project, "billing", "invoice_api", ["GET /other"])
    assert found.startswith(
        "Lambda 'invoice_api' collides with packages/module-billing/backend/lambdas/invoice-api"
    )


def test_a_lambda_folder_that_differs_by_case(project: Path) -> None:
    (project / "packages/module-billing/backend/lambdas/Refund-API").mkdir()
    (found,) = problems(project, "billing", "refund-api", ["GET /other"])
    assert found.startswith(
        "Lambda 'refund-api' collides with packages/module-billing/backend/lambdas/Refund-API"
    )


def test_a_module_folder_that_differs_by_case(project: Path) -> None:
    (project / "packages/module-Shipping").mkdir()
    (found,) = problems(project, "shipping", "label-api", ["GET /labels"])
    assert "collides with the existing module folder packages/module-Shipping" in found
    assert "cora new lambda Shipping" in found


def test_a_route_another_lambda_declares_names_its_file_and_line(project: Path) -> None:
    (found,) = problems(project, "shipping", "label-api", ["GET /labels", "GET /invoices/{id}"])
    assert found.startswith(
        "route GET /invoices/{id} is already declared by "
        "packages/module-billing/backend/lambdas/invoice-api/lambda_function.py:6 "
        "as GET /invoices/{invoice_id}"
    )


def test_every_problem_at_once(project: Path) -> None:
    found = problems(project, "Bad Module", "x y", ["GET /z"])
    assert [p.split(" is not valid")[0] for p in found] == ["module name 'Bad Module'", "Lambda name 'x y'"]


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("api", "module name 'api' is reserved"),
        ("infra", "module name 'infra' is reserved"),
        ("authorizer", "module name 'authorizer' is reserved"),
        ("module-shipping", "pass the name without the folder prefix, e.g. 'shipping'"),
        ("Shipping", "like 'shipping'"),
    ],
)
def test_reserved_and_malformed_module_names(project: Path, module: str, expected: str) -> None:
    found = problems(project, module, "label-api", ["GET /labels"])
    assert any(expected in p for p in found), found


def test_an_existing_test_file_is_not_overwritten(project: Path) -> None:
    test = project / "packages/module-billing/backend/tests/test_billing_refund_api.py"
    test.parent.mkdir(parents=True)
    test.write_text("# mine\n")
    (found,) = problems(project, "billing", "refund-api", ["POST /refunds"])
    assert found.startswith("packages/module-billing/backend/tests/test_billing_refund_api.py already exists")


def test_a_folder_without_a_handler(project: Path) -> None:
    (project / "packages/module-billing/backend/lambdas/refund-api").mkdir()
    (found,) = problems(project, "billing", "refund-api", ["POST /refunds"])
    assert "already exists but holds no lambda_function.py" in found


def test_the_modules_pattern_decides_the_folders(tmp_path: Path) -> None:
    context = {"cora:modules": "services/*/functions/*"}
    plan = plan_new_lambda(tmp_path, "billing", "invoice-api", ["GET /invoices"], context)
    assert sorted(plan.files) == [
        "services/billing/functions/invoice-api/lambda_function.py",
        "services/billing/tests/test_billing_invoice_api.py",
    ]


@pytest.mark.parametrize("pattern", ["packages/*", "src/**/lambdas/*", "a/*-*/l/*", "a/*/b/*/c"])
def test_a_pattern_it_cannot_fill_is_refused(tmp_path: Path, pattern: str) -> None:
    (found,) = problems(tmp_path, "billing", "invoice-api", ["GET /invoices"], **{"cora:modules": pattern})
    assert f"cora:modules is {pattern!r}" in found


def test_layout_of_the_default_pattern() -> None:
    layout = Layout.of("packages/module-*/backend/lambdas/*")
    assert layout.module_folder("billing") == "packages/module-billing"
    assert layout.lambdas_folder("billing") == "packages/module-billing/backend/lambdas"
    assert layout.tests_folder("billing") == "packages/module-billing/backend/tests"
    assert layout.module_of("module-billing") == "billing" and layout.module_of("billing") is None
