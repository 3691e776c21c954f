"""
Tracker API - create, read, update and close the tasks of a project.

Routes - Tasks:
- GET /tasks - List the caller's tasks, newest first (?status=open|done)
- POST /tasks - Create a task
- GET /tasks/{task_id} - Get one task
- PATCH /tasks/{task_id} - Update a task's title, status or assignee
- DELETE /tasks/{task_id} - Delete a task
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from cora_runtime.responses import HTTPError, json_response
from cora_runtime.routing import Request, Router
from cora_runtime.tables import module_table

router = Router(__doc__, source=__file__)

STATUSES = ("open", "in_progress", "done")


def validate_task(body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Check a task payload; only known fields, the right types, a known status."""
    allowed = {"title", "status", "assignee", "due"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise HTTPError(400, f"unknown field(s): {', '.join(unknown)}")
    if not partial and not body.get("title"):
        raise HTTPError(400, "title is required")
    if "title" in body and (not isinstance(body["title"], str) or len(body["title"]) > 200):
        raise HTTPError(400, "title must be a string of at most 200 characters")
    if "status" in body and body["status"] not in STATUSES:
        raise HTTPError(400, f"status must be one of {', '.join(STATUSES)}")
    return {key: body[key] for key in allowed if key in body}


@router.route("GET /tasks")
def list_tasks(request: Request) -> dict[str, Any]:
    from boto3.dynamodb.conditions import Key

    result = module_table().query(KeyConditionExpression=Key("pk").eq(f"OWNER#{request.subject}"))
    tasks = [item for item in result.get("Items", []) if item.get("sk", "").startswith("TASK#")]
    status = request.query.get("status")
    if status:
        tasks = [task for task in tasks if task.get("status") == status]
    tasks.sort(key=lambda task: task.get("created_at", 0), reverse=True)
    return {"tasks": tasks}


@router.route("POST /tasks")
def create_task(request: Request) -> dict[str, Any]:
    fields = validate_task(request.json(), partial=False)
    task_id = uuid.uuid4().hex
    item = {
        "pk": f"OWNER#{request.subject}",
        "sk": f"TASK#{task_id}",
        "task_id": task_id,
        "status": "open",
        "created_at": int(time.time()),
        **fields,
    }
    module_table().put_item(Item=item)
    return json_response(item, status=201)


def _get(request: Request) -> dict[str, Any]:
    key = {"pk": f"OWNER#{request.subject}", "sk": f"TASK#{request.path_params['task_id']}"}
    item = module_table().get_item(Key=key).get("Item")
    if item is None:
        raise HTTPError(404, "task not found")
    return dict(item)


@router.route("GET /tasks/{task_id}")
def get_task(request: Request) -> dict[str, Any]:
    return _get(request)


@router.route("PATCH /tasks/{task_id}")
def update_task(request: Request) -> dict[str, Any]:
    item = _get(request)
    item.update(validate_task(request.json(), partial=True))
    item["updated_at"] = int(time.time())
    module_table().put_item(Item=item)
    return item


@router.route("DELETE /tasks/{task_id}")
def delete_task(request: Request) -> dict[str, Any]:
    item = _get(request)
    module_table().delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
    return None


lambda_handler = router.handler()
