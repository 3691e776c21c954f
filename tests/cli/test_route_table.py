"""`cora routes` is what the API serves: route resources joined with docstrings, disagreements reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cora_constructs.assembly.api_routes import read_api_routes, route_table
from cora_constructs.assembly.reader import read_cloud_assembly
from cora_constructs.cli.main import main
from tests.conftest import Synthesized


def mutated(reference: Synthesized, tmp_path: Path, stack: str, change: Any) -> Path:
    copy = tmp_path / "cdk.out"
    shutil.copytree(reference.outdir, copy, ignore=shutil.ignore_patterns("asset.*"))
    template_file = copy / f"{stack}.template.json"
    template = json.loads(template_file.read_text())
    change(template["Resources"])
    template_file.write_text(json.dumps(template))
    return copy


def route_named(resources: dict[str, Any], key: str) -> str:
    return next(
        logical_id
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::ApiGatewayV2::Route" and r["Properties"]["RouteKey"] == key
    )


def problems_of(cdk_out: Path) -> list[str]:
    return route_table(read_api_routes(cdk_out), read_cloud_assembly(cdk_out))[1]


def test_the_reference_api_serves_exactly_its_docstrings(reference: Synthesized) -> None:
    rows, problems = route_table(read_api_routes(reference.outdir), read_cloud_assembly(reference.outdir))
    assert problems == []
    assert len(rows) == 24
    health = next(row for row in rows if row.path == "/health")
    assert (health.auth, health.lambda_name) == ("public", "project_service")
    assert health.public_reason == "uptime check, returns no data"
    assert {row.auth for row in rows if row.protocol == "http"} == {"org", "public", "iam"}
    assert {row.auth for row in rows if row.protocol == "websocket"} == {"org", "via $connect"}


def test_a_websocket_route_key_without_its_api_route_is_an_error(
    reference: Synthesized, tmp_path: Path
) -> None:
    copy = mutated(reference, tmp_path, "cora-dev-notifications", lambda r: r.pop(route_named(r, "watch")))
    (problem,) = problems_of(copy)
    assert problem.startswith("watch is declared by packages/module-notifications/backend/lambdas/")


def test_a_connect_route_without_its_authorizer_is_an_error(reference: Synthesized, tmp_path: Path) -> None:
    def drop_authorizer(resources: dict[str, Any]) -> None:
        properties = resources[route_named(resources, "$connect")]["Properties"]
        properties["AuthorizationType"] = "NONE"
        del properties["AuthorizerId"]

    (problem,) = problems_of(mutated(reference, tmp_path, "cora-dev-notifications", drop_authorizer))
    assert problem.startswith("$connect (cora-dev-notifications, ")
    assert "asks for auth 'org' but the API route has 'public'" in problem


def test_a_docstring_route_without_an_api_route_is_an_error(reference: Synthesized, tmp_path: Path) -> None:
    copy = mutated(reference, tmp_path, "cora-dev-tracker", lambda r: r.pop(route_named(r, "GET /tasks")))
    (problem,) = problems_of(copy)
    assert problem.startswith("GET /tasks is declared by packages/module-tracker/backend/lambdas/tracker_api")
    assert "no API route serves it" in problem


def test_a_route_without_its_authorizer_is_an_error(reference: Synthesized, tmp_path: Path) -> None:
    def drop_authorizer(resources: dict[str, Any]) -> None:
        properties = resources[route_named(resources, "GET /tasks")]["Properties"]
        properties["AuthorizationType"] = "NONE"
        properties.pop("AuthorizerId")

    (problem,) = problems_of(mutated(reference, tmp_path, "cora-dev-tracker", drop_authorizer))
    assert "GET /tasks (cora-dev-tracker" in problem
    assert "the docstring asks for auth 'org' but the API route has 'public'" in problem


def test_a_route_no_docstring_declares_is_an_error(
    reference: Synthesized, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def rename(resources: dict[str, Any]) -> None:
        resources[route_named(resources, "GET /tasks")]["Properties"]["RouteKey"] = "PUT /tasks"

    copy = mutated(reference, tmp_path, "cora-dev-tracker", rename)
    problems = problems_of(copy)
    assert any("PUT /tasks" in p and "does not declare it" in p for p in problems)
    assert any(p.startswith("GET /tasks is declared by") for p in problems)
    assert main(["routes", "--cdk-out", str(copy)]) == 1
    err = capsys.readouterr().err
    assert "cora routes: error: PUT /tasks" in err
