"""
Tracker comments - the discussion thread of a task.

Routes - Comments:
- GET /tasks/{task_id}/comments - List a task's comments, oldest first
- POST /tasks/{task_id}/comments - Add a comment to a task
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from cora_runtime.responses import HTTPError, json_response
from cora_runtime.routing import Request, Router
from cora_runtime.tables import module_table

router = Router(__doc__, source=__file__)

MAX_COMMENT = 4000


@router.route("GET /tasks/{task_id}/comments")
def list_comments(request: Request) -> dict[str, Any]:
    from boto3.dynamodb.conditions import Key

    task_id = request.path_params["task_id"]
    result = module_table().query(
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
        "author": request.subject,
        "text": text.strip(),
        "created_at": now,
    }
    module_table().put_item(Item=item)
    return json_response(item, status=201)


lambda_handler = router.handler()
