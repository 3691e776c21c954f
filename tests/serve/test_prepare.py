"""What `cora serve` says at start and refuses to serve (sockets bound on free ports, no worker
started)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from cora_constructs.assembly.errors import ToolError
from cora_constructs.serve import server
from cora_constructs.serve.plan import ServePlan, read_plan
from tests.conftest import ROOT, Synthesized


def prepared(plan: ServePlan, tmp_path: Path, **options: object) -> server.Service:
    defaults: dict[str, object] = {
        "host": "127.0.0.1",
        "port": 0,
        "overrides": [],
        "jwks_url": None,
        "jwks": {"keys": []},
        "watch": False,
        "cache_dir": tmp_path,
        "log": lambda line: None,
    }
    defaults.update(options)
    service = server.prepare(plan, **defaults)  # type: ignore[arg-type]
    service.api_socket.close()
    if service.jwks_socket:
        service.jwks_socket.close()
    if service.management_socket:
        service.management_socket.close()
    return service


def test_unresolved_variables_are_listed_unless_given(reference: Synthesized, tmp_path: Path) -> None:
    plan = read_plan(reference.outdir, ROOT)
    service = prepared(
        plan,
        tmp_path,
        overrides=[server.EnvOverride("TABLE_NAME", "t", "tracker")],
        deployed={"cora-dev-projects-project-service": {"TABLE_NAME": "from-cloudformation"}},
    )
    banner = "\n".join(service.banner)
    assert "cora-dev-documents-document-api: TABLE_NAME (TableCD117FA1 (AWS::DynamoDB::Table)" in banner
    assert "tracker" not in banner and "cora-dev-projects-project-service" not in banner
    assert (
        service.pools["cora-dev-projects-project-service"].environment["TABLE_NAME"] == "from-cloudformation"
    )
    assert service.pools["cora-dev-tracker-tracker-comments"].environment["TABLE_NAME"] == "t"
    authorizer = service.pools["cora-dev-authorizer-authorizer"].environment
    assert (
        authorizer["JWKS_URL"].startswith("http://127.0.0.1:")
        and authorizer["JWT_ISSUER"] == "https://auth.example.com/"
    )
    assert "(development key)" in banner


def test_a_real_identity_provider_replaces_the_development_jwks(
    reference: Synthesized, tmp_path: Path
) -> None:
    url = "https://idp.example.com/.well-known/jwks.json"
    service = prepared(read_plan(reference.outdir, ROOT), tmp_path, jwks_url=url, jwks=None)
    assert service.jwks_socket is None
    assert service.pools["cora-dev-authorizer-authorizer"].environment["JWKS_URL"] == url


def test_functions_that_cannot_run_as_deployed_stop_the_start(reference: Synthesized, tmp_path: Path) -> None:
    plan = read_plan(reference.outdir, ROOT)
    name = "cora-dev-tracker-tracker-api"
    broken = replace(plan.functions[name], problems=("layer 1 of x is not built in this cloud assembly",))
    routes = tuple(
        replace(r, function=broken) if r.function and r.function.function_name == name else r
        for r in plan.routes
    )
    with pytest.raises(ToolError, match="not built in this cloud assembly"):
        prepared(replace(plan, routes=routes), tmp_path)


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    sock = server.bind("127.0.0.1", 0)
    try:
        with pytest.raises(ToolError, match=r"cannot listen on 127\.0\.0\.1:\d+: .*try another --port"):
            server.bind("127.0.0.1", sock.getsockname()[1])
    finally:
        sock.close()


NOTIFICATIONS = "cora-dev-notifications-task-notifications"


def test_websocket_functions_post_to_the_local_management_endpoint(
    reference: Synthesized, tmp_path: Path
) -> None:
    plan = read_plan(reference.outdir, ROOT)
    service = prepared(plan, tmp_path, environ={"HOME": str(tmp_path)})  # no AWS credentials at all
    assert service.websocket is not None and service.websocket.stage == "dev"
    env = service.pools[NOTIFICATIONS].environment
    url = env["WEBSOCKET_API_URL"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/dev", url), url
    assert env["AWS_ACCESS_KEY_ID"] == server.LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"]  # botocore signs
    banner = "\n".join(service.banner)
    assert "WEBSOCKET_API_URL" not in banner.split("authorizer JWKS")[0]  # not listed as unresolved
    assert f"(WEBSOCKET_API_URL): {url}" in banner
    # Only the WebSocket functions get them: the HTTP API's functions are as they were.
    assert "WEBSOCKET_API_URL" not in service.pools["cora-dev-tracker-tracker-api"].environment


def test_your_credentials_and_an_explicit_env_win(reference: Synthesized, tmp_path: Path) -> None:
    plan = read_plan(reference.outdir, ROOT)
    service = prepared(
        plan,
        tmp_path,
        environ={"HOME": str(tmp_path), "AWS_PROFILE": "dev"},
        overrides=[server.EnvOverride("WEBSOCKET_API_URL", "http://elsewhere/dev", "notifications")],
    )
    env = service.pools[NOTIFICATIONS].environment
    assert env["WEBSOCKET_API_URL"] == "http://elsewhere/dev"
    assert "AWS_ACCESS_KEY_ID" not in env and env["AWS_PROFILE"] == "dev"


def test_an_app_without_websocket_routes_binds_no_management_socket(
    reference: Synthesized, tmp_path: Path
) -> None:
    plan = replace(read_plan(reference.outdir, ROOT), websocket_routes=())
    service = prepared(plan, tmp_path)
    assert service.websocket is None and service.management_socket is None
    assert NOTIFICATIONS not in service.pools
