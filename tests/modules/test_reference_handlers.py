"""The reference module Lambdas: they load (routes match handlers) and serve real-shaped events."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.conftest import ROOT, SHARED, load_module

HANDLERS = sorted(ROOT.glob("packages/module-*/backend/lambdas/*/lambda_function.py"))
V2_EVENT = json.loads((SHARED / "fixtures" / "events" / "apiGatewayProxyV2Event.json").read_text())
V1_EVENT = json.loads((SHARED / "fixtures" / "events" / "apiGatewayProxyEvent.json").read_text())


def load(path: Path) -> ModuleType:
    return load_module(path, f"cora_test_module_{path.parent.name}")


def handler_named(name: str) -> ModuleType:
    (path,) = [p for p in HANDLERS if p.parent.name == name]
    return load(path)


def v2(method: str, path: str, body: Any = None, sub: str | None = "user-1") -> dict[str, Any]:
    """The real v2 fixture, re-aimed at ``method path`` with a Lambda authorizer context."""
    event = copy.deepcopy(V2_EVENT)
    event["routeKey"] = "$default"
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["requestContext"]["authorizer"] = {"lambda": {"sub": sub}} if sub else {}
    event["pathParameters"] = {}
    event["queryStringParameters"] = {}
    event["body"] = json.dumps(body) if body is not None else None
    return event


def call(module: ModuleType, event: dict[str, Any]) -> tuple[int, Any]:
    response = module.lambda_handler(event, None)
    body = response.get("body") or ""
    return response["statusCode"], json.loads(body) if body else None


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("TABLE_NAME", "module-table")
    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        created = resource.create_table(
            TableName="module-table",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield created


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.parent.name)
def test_every_reference_handler_loads(path: Path) -> None:
    module = load(path)
    assert callable(module.lambda_handler)


def test_tracker_task_lifecycle(table: Any) -> None:
    tracker = handler_named("tracker_api")
    status, created = call(tracker, v2("POST", "/tasks", {"title": "Write the guide"}))
    assert status == 201 and created["status"] == "open"
    task_id = created["task_id"]
    status, fetched = call(tracker, v2("GET", f"/tasks/{task_id}"))
    assert status == 200 and fetched["title"] == "Write the guide"
    status, updated = call(tracker, v2("PATCH", f"/tasks/{task_id}", {"status": "done"}))
    assert status == 200 and updated["status"] == "done"
    status, listed = call(tracker, v2("GET", "/tasks"))
    assert status == 200 and [t["task_id"] for t in listed["tasks"]] == [task_id]
    assert call(tracker, v2("DELETE", f"/tasks/{task_id}"))[0] == 204
    assert call(tracker, v2("GET", f"/tasks/{task_id}"))[0] == 404


def test_tracker_refuses_bad_input_with_the_error_shape(table: Any) -> None:
    tracker = handler_named("tracker_api")
    status, body = call(tracker, v2("POST", "/tasks", {"title": "x", "colour": "red"}))
    assert status == 400
    assert body["error"]["code"] == "bad_request" and "colour" in body["error"]["message"]
    assert call(tracker, v2("POST", "/tasks", {"title": "x", "status": "someday"}))[0] == 400
    assert call(tracker, v2("GET", "/tasks", sub=None))[0] == 401


def test_unknown_path_is_404_and_wrong_method_is_405(table: Any) -> None:
    tracker = handler_named("tracker_api")
    assert call(tracker, v2("GET", "/nope"))[0] == 404
    response = tracker.lambda_handler(v2("PUT", "/tasks"), None)
    assert response["statusCode"] == 405
    allow = {k.lower(): v for k, v in response["headers"].items()}["allow"]
    assert set(allow.replace(" ", "").split(",")) >= {"GET", "POST"}


def test_comments_share_the_tasks_prefix(table: Any) -> None:
    comments = handler_named("tracker_comments")
    status, created = call(comments, v2("POST", "/tasks/t1/comments", {"text": " first! "}))
    assert status == 201 and created["text"] == "first!" and created["author"] == "user-1"
    status, listed = call(comments, v2("GET", "/tasks/t1/comments"))
    assert status == 200 and [c["text"] for c in listed["comments"]] == ["first!"]


def test_documents_versions(table: Any) -> None:
    documents = handler_named("document_api")
    doc = {"project_id": "p1", "title": "Spec", "content_type": "text/markdown", "uri": "s3://b/spec.md"}
    status, created = call(documents, v2("POST", "/documents", doc))
    assert status == 201
    document_id = created["document_id"]
    replaced = {**doc, "uri": "s3://b/spec-v2.md"}
    status, body = call(documents, v2("PUT", f"/documents/{document_id}", replaced))
    assert status == 200 and body["version"] == 2
    status, versions = call(documents, v2("GET", f"/documents/{document_id}/versions"))
    assert [v["uri"] for v in versions["versions"]] == ["s3://b/spec.md", "s3://b/spec-v2.md"]
    bad = {**doc, "uri": "https://example.com/x"}
    assert call(documents, v2("POST", "/documents", bad))[0] == 400


def test_projects_membership_and_public_health(table: Any) -> None:
    projects = handler_named("project_service")
    status, created = call(projects, v2("POST", "/projects", {"name": "Apollo"}))
    assert status == 201
    project_id = created["project_id"]
    status, mine = call(projects, v2("GET", "/projects"))
    assert mine == {"projects": [project_id]}
    status, members = call(projects, v2("GET", f"/projects/{project_id}/members"))
    assert members["members"] == [{"subject": "user-1", "role": "owner"}]
    other = v2("PUT", f"/projects/{project_id}", {"name": "Hijack"}, sub="user-2")
    assert call(projects, other)[0] == 403
    assert call(projects, v2("GET", "/health", sub=None)) == (200, {"status": "ok", "service": "projects"})


def test_v1_events_are_served_too(table: Any) -> None:
    projects = handler_named("project_service")
    event = copy.deepcopy(V1_EVENT)
    event.update(httpMethod="GET", path="/health", resource="/health", body=None)
    event["requestContext"]["path"] = "/health"
    response = projects.lambda_handler(event, None)
    assert response["statusCode"] == 200


def test_digest_counts_open_tasks_per_owner() -> None:
    digest = handler_named("tracker_digest")
    items = [
        {"pk": "OWNER#a", "sk": "TASK#1", "status": "open"},
        {"pk": "OWNER#a", "sk": "TASK#2", "status": "done"},
        {"pk": "OWNER#b", "sk": "TASK#3", "status": "in_progress"},
        {"pk": "TASK#3", "sk": "COMMENT#1"},
    ]
    assert digest.summarise(items) == {"a": 1, "b": 1}


def test_digest_handler_scans_the_table(table: Any, capsys: pytest.CaptureFixture[str]) -> None:
    table.put_item(Item={"pk": "OWNER#a", "sk": "TASK#1", "status": "open"})
    table.put_item(Item={"pk": "OWNER#b", "sk": "TASK#2", "status": "done"})
    digest = handler_named("tracker_digest")
    assert digest.lambda_handler({"source": "aws.events"}, None) == {"open_tasks_by_owner": {"a": 1}}
    line = json.loads(capsys.readouterr().out.strip())
    assert line == {"event": "tracker_digest", "owners": 1, "open_tasks": 1}


def test_module_table_needs_table_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from cora_runtime.tables import module_table

    monkeypatch.delenv("TABLE_NAME", raising=False)
    with pytest.raises(RuntimeError, match="TABLE_NAME is not set"):
        module_table()


WS_EVENTS = SHARED / "fixtures" / "events"


def ws_event(
    name: str, route_key: str, connection_id: str, body: Any = None, sub: str = "user-1"
) -> dict[str, Any]:
    """A real WebSocket event (connect, message or disconnect), re-aimed at ``route_key`` on
    ``connection_id``, with the org authorizer's context as API Gateway passes it on."""
    event: dict[str, Any] = json.loads((WS_EVENTS / name).read_text())
    event["requestContext"]["routeKey"] = route_key
    event["requestContext"]["connectionId"] = connection_id
    event["requestContext"]["authorizer"] = {"sub": sub, "principalId": sub}
    if body is not None:
        event["body"] = json.dumps(body)
    return event


@pytest.fixture
def notifications(table: Any, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    import cora_runtime.websocket as websocket

    monkeypatch.setenv("WEBSOCKET_API_URL", "https://abc123.execute-api.us-east-1.amazonaws.com/dev")
    monkeypatch.setattr(websocket, "_clients", {})  # a client made inside this test's mock
    return handler_named("task_notifications")


def test_notifications_connect_watch_notify_disconnect(notifications: ModuleType, table: Any) -> None:
    connect = "apiGatewayWebSocketApiConnect.json"
    message = "apiGatewayWebSocketApiMessage.json"
    for connection in ("c-ada", "c-bob"):
        assert call(notifications, ws_event(connect, "$connect", connection))[0] == 200
    status, body = call(
        notifications, ws_event(message, "watch", "c-ada", {"action": "watch", "task_ids": ["t1"]})
    )
    assert (status, body) == (200, {"watching": ["t1"]})
    notify = {"action": "notify", "task_id": "t1", "change": "status"}
    status, body = call(notifications, ws_event(message, "notify", "c-bob", notify, sub="user-2"))
    assert (status, body) == (200, {"task_id": "t1", "delivered": 1, "gone": 0})
    disconnect = ws_event("apiGatewayWebSocketApiDisconnect.json", "$disconnect", "c-ada")
    assert call(notifications, disconnect)[0] == 200
    assert [item["pk"] for item in table.scan()["Items"]] == ["CONN#c-bob"]


def test_notifications_forget_a_gone_connection(
    notifications: ModuleType, table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = "apiGatewayWebSocketApiMessage.json"
    call(notifications, ws_event(message, "watch", "c-gone", {"action": "watch", "task_ids": ["t1"]}))
    monkeypatch.setattr(notifications, "post_to_connection", lambda connection_id, data: False)
    notify = {"action": "notify", "task_id": "t1", "change": "title"}
    status, body = call(notifications, ws_event(message, "notify", "c-other", notify))
    assert (status, body) == (200, {"task_id": "t1", "delivered": 0, "gone": 1})
    assert not any(item["pk"] == "TASK#t1" for item in table.scan()["Items"])


def test_notifications_refuse_bad_messages(notifications: ModuleType, table: Any) -> None:
    message = "apiGatewayWebSocketApiMessage.json"
    status, body = call(notifications, ws_event(message, "watch", "c1", {"action": "watch", "task_ids": []}))
    assert status == 400 and "task_ids" in body["error"]["message"]
    status, body = call(
        notifications, ws_event(message, "notify", "c1", {"action": "notify", "task_id": "t1"})
    )
    assert status == 400 and "change" in body["error"]["message"]
