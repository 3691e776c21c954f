"""`cora serve` on the reference app, as a user runs it: a subprocess on a free port, real HTTP
requests, the real org authorizer in front, the reference handlers on moto's DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT, Synthesized
from tests.moto_server import running_moto_server
from tests.serve.support import (
    ServeProcess,
    aws_env,
    cora_token,
    create_table,
    deploy_documents_table,
)

pytestmark = pytest.mark.bundling  # the served assembly bundles the org layer (pip on a cold cache)


@dataclass
class Served:
    serve: ServeProcess
    token: str


@pytest.fixture(scope="module")
def served(served_reference: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with running_moto_server() as endpoint:
        for table in ("projects-table", "tracker-table"):
            create_table(endpoint, table)
        deploy_documents_table(endpoint, "documents-deployed")
        env = aws_env(endpoint, tmp_path_factory.mktemp("cache"))
        serve = ServeProcess.start(
            [
                "--cdk-out",
                str(served_reference.outdir),
                "--project-root",
                str(ROOT),
                "--env",
                "projects:TABLE_NAME=projects-table",
                "--env",
                "tracker:TABLE_NAME=tracker-table",
                "--env",  # the WebSocket module's table, so every variable is resolved at start
                "notifications:TABLE_NAME=connections-table",
                "--deployed",  # documents: its table's name from the "deployed" stack in moto
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            yield Served(serve, cora_token("--sub", "alice", cwd=ROOT, env=env))
        finally:
            serve.stop()


def test_the_start_lists_the_routes_and_every_variable_is_resolved(served: Served) -> None:
    lines = "\n".join(served.serve.lines)
    assert "GET /health" in lines and "cora-dev-projects-project-service" in lines
    assert "warning: --deployed" not in lines, lines  # nothing it had to read failed
    assert "unresolved environment variables" not in lines  # --env for two modules, --deployed for one


def test_a_public_route_answers_without_a_token(served: Served) -> None:
    response = served.serve.request("GET", "/health")
    assert (response.status, response.json()) == (200, {"status": "ok", "service": "projects"})
    assert response.headers["apigw-requestid"]
    served.serve.wait_for(r"^GET /health cora-dev-projects-project-service 200 \d+\.\dms$")


def test_an_org_route_without_a_token_is_forbidden_as_api_gateway_answers(served: Served) -> None:
    # The org authorizer has no identity source (cookie-only requests must reach it), so API
    # Gateway calls it and answers its deny with 403, not 401.
    response = served.serve.request("GET", "/projects")
    assert (response.status, response.json()) == (403, {"message": "Forbidden"})
    bad = served.serve.request("GET", "/projects", headers={"Authorization": "Bearer not.a.token"})
    assert bad.status == 403


def test_a_cora_token_works_as_bearer_header_and_as_session_cookie(served: Served) -> None:
    created = served.serve.request(
        "POST", "/projects", body={"name": "Apollo"}, headers={"Authorization": f"Bearer {served.token}"}
    )
    assert created.status == 201, created.body
    project = created.json()
    assert project["name"] == "Apollo" and project["owner"] == "alice"  # the token's sub, via the authorizer
    fetched = served.serve.request(
        "GET", f"/projects/{project['project_id']}", headers={"Cookie": f"theme=dark; session={served.token}"}
    )
    assert (fetched.status, fetched.json()["name"]) == (200, "Apollo")
    members = served.serve.request(
        "GET",
        f"/projects/{project['project_id']}/members",
        headers={"Authorization": f"Bearer {served.token}"},
    )
    assert members.json() == {
        "project_id": project["project_id"],
        "members": [{"subject": "alice", "role": "owner"}],
    }


def test_query_strings_and_json_bodies_reach_the_handler(served: Served) -> None:
    auth = {"Authorization": f"Bearer {served.token}"}
    for title, status in (("write docs", "open"), ("ship", "done")):
        created = served.serve.request("POST", "/tasks", body={"title": title}, headers=auth)
        assert created.status == 201, created.body
        if status != "open":
            task_id = created.json()["task_id"]
            patched = served.serve.request(
                "PATCH", f"/tasks/{task_id}", body={"status": status}, headers=auth
            )
            assert patched.json()["status"] == "done"
    done = served.serve.request("GET", "/tasks?status=done", headers=auth).json()["tasks"]
    assert [task["title"] for task in done] == ["ship"]
    invalid = served.serve.request("POST", "/tasks", body={"title": "x", "colour": "red"}, headers=auth)
    assert invalid.status == 400 and "colour" in invalid.json()["error"]["message"]


def test_an_unknown_path_gets_api_gateways_answer(served: Served) -> None:
    for method, path in (("GET", "/nope"), ("DELETE", "/health"), ("GET", "/tasks/1/2/3")):
        response = served.serve.request(method, path)
        assert (response.status, response.body) == (404, b'{"message":"Not Found"}')


def test_an_iam_route_without_a_signature_is_forbidden(served: Served) -> None:
    response = served.serve.request(
        "POST", "/projects/p1/reindex", headers={"Authorization": f"Bearer {served.token}"}
    )
    assert (response.status, response.json()) == (403, {"message": "Forbidden"})


def test_deployed_values_reach_the_handler(served: Served) -> None:
    auth = {"Authorization": f"Bearer {served.token}"}
    document = {
        "project_id": "p1",
        "title": "Plan",
        "content_type": "application/pdf",
        "uri": "s3://b/plan.pdf",
    }
    created = served.serve.request("POST", "/documents", body=document, headers=auth)
    assert created.status == 201, created.body
    listed = served.serve.request("GET", "/documents", headers=auth)
    assert listed.status == 200 and [d["title"] for d in listed.json()["documents"]] == ["Plan"]
