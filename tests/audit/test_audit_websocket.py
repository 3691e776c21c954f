"""`cora audit` on a WebSocket module, against moto's apigatewayv2 API (moto's CloudFormation
skips ApiGatewayV2, so the API is created with the calls the stack would make): each route key in
the WebSocket API, integrated with the function's live alias, $connect behind the org authorizer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.audit.conftest import (
    ENVIRONMENT,
    PROJECT,
    REGION,
    Deployment,
    MotoServer,
    Project,
    audit_lambdas,
    deploy,
    deploy_api,
    make_audit_project,
    problems,
    run_audit,
)
from tests.manifest_gen.conftest import SyntheticLambda, route

LIVE_KEYS = ("$connect", "$disconnect", "transcript")
TRANSCRIPTS = SyntheticLambda(
    "live",
    "transcripts",
    (
        route("WEBSOCKET", "$connect", "Client connection", category="WebSocket"),
        route("WEBSOCKET", "$disconnect", "Client disconnection", category="WebSocket"),
        route("WEBSOCKET", "transcript", "Receive a transcript segment", category="WebSocket"),
    ),
)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_audit_project(tmp_path / "project", [*audit_lambdas(), TRANSCRIPTS])


def deploy_websocket(deployment: Deployment, *, connect_auth: str = "org") -> dict[str, str]:
    """The WebSocket API as the api stack and the module stack create it; route key -> route id."""
    gw = deployment.apigw
    api_id = gw.create_api(
        Name=f"{PROJECT}-{ENVIRONMENT}-websocket",
        ProtocolType="WEBSOCKET",
        RouteSelectionExpression="$request.body.action",
    )["ApiId"]
    authorizer_id = gw.create_authorizer(
        ApiId=api_id,
        Name="org-authorizer",
        AuthorizerType="REQUEST",
        AuthorizerUri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:{REGION}:123456789012:function:cora-dev-authorizer-authorizer:live/invocations",
        IdentitySource=[],
    )["AuthorizerId"]
    deployment.ssm.put_parameter(
        Name=f"/{PROJECT}/{ENVIRONMENT}/websocket/api-id", Value=api_id, Type="String"
    )
    deployment.ssm.put_parameter(
        Name=f"/{PROJECT}/{ENVIRONMENT}/websocket/org-authorizer-id", Value=authorizer_id, Type="String"
    )
    integration = gw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationMethod="POST",
        IntegrationUri=deployment.function_arn(TRANSCRIPTS),
    )["IntegrationId"]
    ids = {}
    for key in LIVE_KEYS:
        auth: dict[str, Any] = {"AuthorizationType": "NONE"}
        if key == "$connect" and connect_auth == "org":
            auth = {"AuthorizationType": "CUSTOM", "AuthorizerId": authorizer_id}
        ids[key] = gw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}", **auth)[
            "RouteId"
        ]
    ids["api"] = api_id
    return ids


@pytest.fixture
def websocket_deployed(moto_server: MotoServer, project: Project, aws_env: dict[str, str]) -> Deployment:
    moto_server.reset()
    deployment = deploy(moto_server.endpoint, project, api=False)
    deploy_api(deployment, [fn for fn in project.lambdas if fn is not TRANSCRIPTS])
    return deployment


def websocket_rows(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {row["path"]: row["checks"] for row in report["routes"] if row["method"] == "WEBSOCKET"}


def test_a_compliant_websocket_module_audits_clean(websocket_deployed: Deployment, project: Project) -> None:
    deploy_websocket(websocket_deployed)
    code, report = run_audit(websocket_deployed, project)
    assert report["findings"] == [] and code == 0
    rows = websocket_rows(report)
    assert sorted(rows) == sorted(LIVE_KEYS)
    assert rows["$connect"] == {"route": "ok", "authorizer": "ok", "integration": "ok"}
    for key in ("$disconnect", "transcript"):  # authorized with the connection, on $connect
        assert rows[key] == {"route": "ok", "authorizer": "-", "integration": "ok"}


def test_connect_without_the_org_authorizer_is_drift(
    websocket_deployed: Deployment, project: Project
) -> None:
    deploy_websocket(websocket_deployed, connect_auth="none")
    code, report = run_audit(websocket_deployed, project)
    assert code == 1
    assert problems(report) == {("authorizer", "DRIFT", "$connect")}
    (finding,) = report["findings"]
    assert "missing authorizer attachment" in finding["message"] and "WebSocket API" in finding["where"]


def test_a_missing_key_and_an_integration_off_the_alias_are_reported(
    websocket_deployed: Deployment, project: Project
) -> None:
    ids = deploy_websocket(websocket_deployed)
    gw = websocket_deployed.apigw
    gw.delete_route(ApiId=ids["api"], RouteId=ids["transcript"])
    latest = gw.create_integration(
        ApiId=ids["api"],
        IntegrationType="AWS_PROXY",
        IntegrationUri=websocket_deployed.function_arn(TRANSCRIPTS, qualifier=None),
    )["IntegrationId"]
    gw.update_route(ApiId=ids["api"], RouteId=ids["$disconnect"], Target=f"integrations/{latest}")
    gw.create_route(ApiId=ids["api"], RouteKey="typing", Target=f"integrations/{latest}")
    code, report = run_audit(websocket_deployed, project)
    assert code == 1
    assert problems(report) == {
        ("route", "MISSING", "transcript"),
        ("integration", "DRIFT", "$disconnect"),
        ("route", "UNDOCUMENTED", "typing"),
    }


def test_an_undeployed_websocket_api_is_one_infra_finding(
    websocket_deployed: Deployment, project: Project
) -> None:
    code, report = run_audit(websocket_deployed, project)
    assert code == 1
    assert problems(report) == {("infra", "MISSING", f"{PROJECT}-{ENVIRONMENT}-websocket")}
    assert set(websocket_rows(report)) == set(LIVE_KEYS)
