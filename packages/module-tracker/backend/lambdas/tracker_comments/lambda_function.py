"""
Tracker comments - the discussion thread of a task.

Routes - Comments:
- GET /tasks/{task_id}/comments - List a task's comments, oldest first
- POST /tasks/{task_id}/comments - Add a comment to a task
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from org_common.responses import HTTPError, json_response
from org_common.routing import Request, Router

router = Router(__doc__, source=__file__)

MAX_COMMENT = 4000
_table: Any = None


def table() -> Any:
    global _table
    if _table is None:
        import boto3

        _table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    return _table


@router.route("GET /tasks/{task_id}/comments")
def list_comments(request: Request) -> dict[str, Any]:
    from boto3.dynamodb.conditions import Key

    task_id = request.path_params["task_id"]
    result = table().query(
        KeyConditionExpression=Key("pk").eq(f"TASK#{task_id}") & Key("sk").begins_with("COMMENT#")
    )
    return {"task_id": task_id, "comments": result.get("Items", [])}


@router.route("POST /tasks/{task_id}/comments")
def add_comment(request: Request) -> dict[str, Any]:
    body = request.json()
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise HTTPError(400, "text is required")
    if len(text) > MAX_COMMENT:
        raise HTTPError(400, f"text must be at most {MAX_COMMENT} characters")
    now = int(time.time())
    item = {
        "pk": f"TASK#{request.path_params['task_id']}",
        "sk": f"COMMENT#{now:012d}#{uuid.uuid4().hex[:8]}",
        "author": request.authorizer.get("sub", "unknown"),
        "text": text.strip(),
        "created_at": now,
    }
    table().put_item(Item=item)
    return json_response(item, status=201)


lambda_handler = router.handler()
