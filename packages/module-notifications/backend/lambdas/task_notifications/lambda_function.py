"""
Task notifications - a browser watches tracker tasks and hears of every change, live.

A client connects to the WebSocket API (the session cookie, or ``?token=<jwt>``, authenticates
it on $connect), sends ``{"action": "watch", "task_ids": ["t1", "t2"]}``, and receives
``{"type": "task.changed", ...}`` whenever anyone sends ``{"action": "notify", "task_id": "t1",
"change": "status"}`` about a watched task. Connections and their watches live in the module's
connections table and expire after a day.

Routes - WebSocket:
- $connect - Client connection: remember the connection and who opened it
- $disconnect - Client disconnection: forget the connection and its watches
- watch - Watch tasks: send their changes to this connection
- notify - Announce a task change to every connection watching the task
"""

from __future__ import annotations

import time
from typing import Any

from cora_runtime.responses import HTTPError
from cora_runtime.routing import Request, Router
from cora_runtime.tables import module_table
from cora_runtime.websocket import post_to_connection

router = Router(__doc__, source=__file__)

CONNECTION_TTL_SECONDS = 24 * 3600
MAX_WATCHED = 50
MAX_ID = 128


def _connection(request: Request) -> str:
    connection_id = request.connection_id
    if not connection_id:
        raise HTTPError(400, "not a WebSocket event: no connection id")
    return connection_id


def _ids(value: object, name: str) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_WATCHED:
        raise HTTPError(400, f"{name} must be a list of 1 to {MAX_WATCHED} task ids")
    if not all(isinstance(item, str) and 0 < len(item) <= MAX_ID for item in value):
        raise HTTPError(400, f"every entry of {name} must be a task id of 1 to {MAX_ID} characters")
    return sorted(set(value))


@router.route("$connect")
def connect(request: Request) -> None:
    now = int(time.time())
    module_table().put_item(
        Item={
            "pk": f"CONN#{_connection(request)}",
            "sk": "CONNECTION",
            "user": request.subject,
            "connected_at": now,
            "expires_at": now + CONNECTION_TTL_SECONDS,
        }
    )


@router.route("$disconnect")
def disconnect(request: Request) -> None:
    from boto3.dynamodb.conditions import Key

    connection_id = _connection(request)
    table = module_table()
    items = table.query(KeyConditionExpression=Key("pk").eq(f"CONN#{connection_id}")).get("Items", [])
    with table.batch_writer() as batch:
        for item in items:
            batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
            if str(item["sk"]).startswith("WATCH#"):
                batch.delete_item(Key={"pk": f"TASK#{item['sk'][6:]}", "sk": f"CONN#{connection_id}"})


@router.route("watch")
def watch(request: Request) -> dict[str, Any]:
    body = request.json()
    task_ids = _ids(body.get("task_ids") if isinstance(body, dict) else None, "task_ids")
    connection_id = _connection(request)
    expires_at = int(time.time()) + CONNECTION_TTL_SECONDS
    with module_table().batch_writer() as batch:
        for task_id in task_ids:
            batch.put_item(
                Item={"pk": f"TASK#{task_id}", "sk": f"CONN#{connection_id}", "expires_at": expires_at}
            )
            batch.put_item(
                Item={"pk": f"CONN#{connection_id}", "sk": f"WATCH#{task_id}", "expires_at": expires_at}
            )
    return {"watching": task_ids}


@router.route("notify")
def notify(request: Request) -> dict[str, Any]:
    from boto3.dynamodb.conditions import Key

    body = request.json()
    if not isinstance(body, dict):
        raise HTTPError(400, "send a JSON object with task_id and change")
    task_id = _ids([body.get("task_id")], "task_id")[0]
    change = body.get("change")
    if not isinstance(change, str) or not change or len(change) > MAX_ID:
        raise HTTPError(400, f"change must be a word of 1 to {MAX_ID} characters, e.g. 'status'")
    table = module_table()
    watchers = table.query(KeyConditionExpression=Key("pk").eq(f"TASK#{task_id}")).get("Items", [])
    message = {"type": "task.changed", "task_id": task_id, "change": change, "by": request.subject}
    delivered = gone = 0
    for item in watchers:
        connection_id = str(item["sk"])[5:]
        if post_to_connection(connection_id, message):
            delivered += 1
        else:  # the client went away without a $disconnect we saw: forget it
            gone += 1
            table.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
    return {"task_id": task_id, "delivered": delivered, "gone": gone}


lambda_handler = router.handler()
