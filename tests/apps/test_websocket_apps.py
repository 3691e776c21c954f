"""WebSocket route keys in a team project: the WebSocket API beside the HTTP API, wired from the
docstrings, and every way a WebSocket docstring can be wrong refused before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cora_constructs import CoraApp, CoraValidationError
from tests.apps.test_apps import HANDLER, synth, team_project, write
from tests.cdk_helpers import new_app, resources

pytestmark = pytest.mark.synth

TRANSCRIPTS = '''"""
Interview transcripts - streamed to the browser as the bot hears them.

Routes - WebSocket:
- $connect - Client connection
- $disconnect - Client disconnection
- transcript - Receive transcript segment from bot
- status - Receive session status update from bot
"""


def lambda_handler(event, context):
    return {"statusCode": 200}
'''
LIVE = "packages/module-live/backend/lambdas/{}/lambda_function.py"


def live_project(root: Path, **lambdas: str) -> Path:
    team_project(root)
    for name, text in (lambdas or {"transcripts": TRANSCRIPTS}).items():
        write(root / LIVE.format(name), text)
    return root


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    root = live_project(tmp_path_factory.mktemp("live"))
    return synth(root, root / "cdk.out")


def parameter(template: dict[str, Any], value: Any) -> str:
    name: str = template["Parameters"][value["Ref"]]["Default"]
    return name


def test_the_api_stack_holds_a_websocket_api_beside_the_http_api(templates: dict[str, Any]) -> None:
    api = templates["shop-dev-api"]
    apis = {
        a["Properties"]["ProtocolType"]: a["Properties"]
        for a in resources(api, "AWS::ApiGatewayV2::Api").values()
    }
    assert apis["WEBSOCKET"] == {
        "Name": "shop-dev-websocket",
        "ProtocolType": "WEBSOCKET",
        "RouteSelectionExpression": "$request.body.action",
    }
    assert "HTTP" in apis
    stages = [
        s["Properties"]
        for s in resources(api, "AWS::ApiGatewayV2::Stage").values()
        if s["Properties"].get("StageName") == "dev"
    ]
    (stage,) = stages
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50}
    assert '"routeKey":"$context.routeKey"' in stage["AccessLogSettings"]["Format"]
    assert '"connectionId":"$context.connectionId"' in stage["AccessLogSettings"]["Format"]
    published = {p["Properties"]["Name"] for p in resources(api, "AWS::SSM::Parameter").values()}
    assert {
        "/shop/dev/websocket/api-id",
        "/shop/dev/websocket/org-authorizer-id",
        "/shop/dev/websocket/endpoint",
        "/shop/dev/websocket/management-endpoint",
    } <= published


def test_the_org_authorizer_has_no_identity_source_so_cookie_and_query_handshakes_reach_it(
    templates: dict[str, Any],
) -> None:
    api = templates["shop-dev-api"]
    (websocket_api,) = [
        k
        for k, a in resources(api, "AWS::ApiGatewayV2::Api").items()
        if a["Properties"]["ProtocolType"] == "WEBSOCKET"
    ]
    (authorizer,) = [
        a["Properties"]
        for a in resources(api, "AWS::ApiGatewayV2::Authorizer").values()
        if a["Properties"]["ApiId"] == {"Ref": websocket_api}
    ]
    assert authorizer["AuthorizerType"] == "REQUEST" and authorizer["Name"] == "org-authorizer"
    # Either identity source would make API Gateway refuse the other kind of handshake with 401.
    assert "IdentitySource" not in authorizer
    # WebSocket authorizers take the REST-style event and answer an IAM policy.
    assert "AuthorizerPayloadFormatVersion" not in authorizer and "EnableSimpleResponses" not in authorizer
    assert (
        parameter(api, authorizer["AuthorizerUri"]["Fn::Join"][1][-2]) == "/shop/dev/authorizer-function-arn"
    )
    permissions = [p["Properties"] for p in resources(api, "AWS::Lambda::Permission").values()]
    assert any({"Ref": websocket_api} in p["SourceArn"]["Fn::Join"][1] for p in permissions)


def test_connect_carries_the_org_authorizer_and_every_key_reaches_the_live_alias(
    templates: dict[str, Any],
) -> None:
    module = templates["shop-dev-live"]
    routes = {r["Properties"]["RouteKey"]: r for r in resources(module, "AWS::ApiGatewayV2::Route").values()}
    assert sorted(routes) == ["$connect", "$disconnect", "status", "transcript"]
    connect = routes["$connect"]["Properties"]
    assert connect["AuthorizationType"] == "CUSTOM"
    assert parameter(module, connect["AuthorizerId"]) == "/shop/dev/websocket/org-authorizer-id"
    for key in ("$disconnect", "status", "transcript"):
        assert routes[key]["Properties"]["AuthorizationType"] == "NONE"
        assert routes[key]["Metadata"]["cora:protocol"] == "websocket"
    (integration_id, integration) = next(iter(resources(module, "AWS::ApiGatewayV2::Integration").items()))
    assert len(resources(module, "AWS::ApiGatewayV2::Integration")) == 1  # one per Lambda
    assert {r["Properties"]["Target"]["Fn::Join"][1][1]["Ref"] for r in routes.values()} == {integration_id}
    assert parameter(module, integration["Properties"]["ApiId"]) == "/shop/dev/websocket/api-id"
    alias = integration["Properties"]["IntegrationUri"]["Fn::Join"][1][-2]["Ref"]
    assert module["Resources"][alias]["Type"] == "AWS::Lambda::Alias"
    assert module["Resources"][alias]["Properties"]["Name"] == "live"
    (permission,) = resources(module, "AWS::Lambda::Permission").values()
    assert permission["Properties"]["FunctionName"] == {"Ref": alias}


def test_the_lambda_gets_its_management_endpoint_and_may_manage_its_connections_only(
    templates: dict[str, Any],
) -> None:
    module = templates["shop-dev-live"]
    (function,) = resources(module, "AWS::Lambda::Function").values()
    url = function["Properties"]["Environment"]["Variables"]["WEBSOCKET_API_URL"]["Fn::Join"][1]
    assert url[0] == "https://" and url[-1] == "/dev" and url[-2] == {"Ref": "AWS::URLSuffix"}
    statements = [
        s
        for p in resources(module, "AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "execute-api:ManageConnections"
    ]
    (statement,) = statements
    parts = statement["Resource"]["Fn::Join"][1]
    assert parameter(module, parts[-2]) == "/shop/dev/websocket/api-id"
    assert parts[-1] == "/dev/*/@connections/*"


def test_an_app_without_route_keys_has_no_websocket_api(tmp_path: Path) -> None:
    root = team_project(tmp_path / "p")
    templates = synth(root, tmp_path / "out", context={"app": "stack"})
    kinds = [
        a["Properties"]["ProtocolType"]
        for a in resources(templates["shop-dev-api"], "AWS::ApiGatewayV2::Api").values()
    ]
    assert kinds == ["HTTP"]


def refused(tmp_path: Path, **lambdas: str) -> CoraValidationError:
    root = live_project(tmp_path / "p", **lambdas)
    app = new_app(tmp_path / "out", root, **{"cora:project": "shop", "app": "stack"})
    with pytest.raises(CoraValidationError) as caught:
        CoraApp(app)
    assert not (tmp_path / "out" / "manifest.json").exists()
    return caught.value


def test_mixing_an_http_route_and_connect_fails_with_file_and_line(tmp_path: Path) -> None:
    mixed = HANDLER.replace("- GET /orders/health - Probe [public: uptime check]\n", "- $connect - Connect\n")
    error = refused(tmp_path, mixed=mixed)
    (violation,) = error.violations
    assert violation.code == "CORA-R1"
    assert violation.path.endswith(LIVE.format("mixed") + ":6")
    assert "GET /orders at" in violation.message and "a Lambda serves one API" in violation.message


def test_a_public_connect_without_a_reason_cannot_synthesize(tmp_path: Path) -> None:
    error = refused(
        tmp_path, transcripts=TRANSCRIPTS.replace("Client connection", "Client connection [public: ]")
    )
    (violation,) = error.violations
    assert violation.code == "CORA-R1" and violation.path.endswith("transcripts/lambda_function.py:5")
    assert "public route $connect has no reason" in violation.message


def test_a_key_declared_by_two_lambdas_names_both_files(tmp_path: Path) -> None:
    second = TRANSCRIPTS.replace("- $connect - Client connection\n- $disconnect - Client disconnection\n", "")
    error = refused(tmp_path, transcripts=TRANSCRIPTS, bot=second)
    assert sorted(v.code for v in error.violations) == ["CORA-R2", "CORA-R2"], error.report()
    first = error.violations[0]  # the Lambdas are built in folder order: bot first
    assert first.path.endswith(LIVE.format("transcripts") + ":7")
    assert f"{LIVE.format('bot')}:5" in first.message and "transcript" in first.message


def test_route_keys_without_connect_anywhere_in_the_app_fail(tmp_path: Path) -> None:
    no_connect = TRANSCRIPTS.replace("- $connect - Client connection\n", "")
    error = refused(tmp_path, transcripts=no_connect)
    (violation,) = error.violations
    assert violation.code == "CORA-R6" and violation.path.endswith(LIVE.format("transcripts") + ":5")
    assert "no Lambda declares $connect" in violation.message


def test_connect_may_name_iam_but_no_http_authorizer(tmp_path: Path) -> None:
    error = refused(
        tmp_path, transcripts=TRANSCRIPTS.replace("Client connection", "Client connection [auth: jwt]")
    )
    (violation,) = error.violations
    assert violation.code == "CORA-R3" and "[auth: iam]" in violation.message


def test_the_nag_finding_id_is_written_as_cdk_nag_writes_it() -> None:
    from cora_constructs.routes.websocket_api import nag_text

    value = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":x:", {"Ref": "ApiId"}, "/dev/*"]]}
    assert nag_text(value) == "arn:<AWS::Partition>:x:<ApiId>/dev/*"
    assert nag_text({"Fn::GetAtt": ["Api", "ApiEndpoint"]}) == "<Api.ApiEndpoint>"


def test_the_library_exports_the_websocket_constructs() -> None:
    import cora_constructs
    from cora_constructs.routes.websocket_api import OrgWebSocketApi, WebSocketRoutes

    assert cora_constructs.OrgWebSocketApi is OrgWebSocketApi
    assert cora_constructs.WebSocketRoutes is WebSocketRoutes


def test_connect_authorization_follows_its_tag() -> None:
    from cora_constructs.routes.websocket_api import WebSocketRoutes
    from cora_runtime.routes import parse_docstring

    def kinds(connect_line: str) -> dict[str, tuple[str, str | None]]:
        routes = parse_docstring(f"Routes - WebSocket:\n{connect_line}\n- chat - Chat\n")
        return {r.key: WebSocketRoutes._authorization(r, "AUTH") for r in routes}

    assert kinds("- $connect - C") == {"$connect": ("CUSTOM", "AUTH"), "chat": ("NONE", None)}
    assert kinds("- $connect - C [auth: iam]")["$connect"] == ("AWS_IAM", None)
    assert kinds("- $connect - C [public: kiosk]")["$connect"] == ("NONE", None)


def test_a_bad_token_query_parameter_name_fails_the_synth(tmp_path: Path) -> None:
    root = team_project(tmp_path / "p")
    app = new_app(tmp_path / "out", root, **{"app": "infra", "cora:wsTokenQueryParam": "to ken"})
    with pytest.raises(CoraValidationError) as caught:
        CoraApp(app)
    (violation,) = caught.value.violations  # the settings check, before anything is built
    assert violation.code == "CORA-S1" and violation.path.endswith("cora:wsTokenQueryParam")
    assert "'to ken' is not a query-string parameter name" in violation.message


def test_the_token_query_parameter_reaches_the_authorizer(tmp_path: Path) -> None:
    root = team_project(tmp_path / "p")
    templates = synth(
        root, tmp_path / "out", context={"app": "infra", "cora:wsTokenQueryParam": "access_token"}
    )
    (authorizer,) = resources(templates["shop-dev-infra"], "AWS::Lambda::Function").values()
    assert authorizer["Properties"]["Environment"]["Variables"]["WS_TOKEN_QUERY_PARAM"] == "access_token"
