"""
Orders API - place and read the caller's orders.

Routes - Orders:
- GET /orders - List the caller's orders
- POST /orders - Place an order
- GET /orders/{order_id} - Get one order
- GET /orders/health - Liveness probe [public: uptime check]
"""

from __future__ import annotations

import uuid
from typing import Any

from cora_runtime.responses import HTTPError
from cora_runtime.routing import Request, Router
from cora_runtime.tables import module_table

router = Router(__doc__, source=__file__)


@router.route("GET /orders")
def list_orders(request: Request) -> Any:
    items = module_table().query(
        KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": f"user#{request.subject}"}
    )["Items"]
    return {"orders": items}


@router.route("POST /orders")
def place_order(request: Request) -> Any:
    body = request.json()
    if not isinstance(body, dict) or not body.get("items"):
        raise HTTPError(400, "bad_request", "an order needs a non-empty 'items' list")
    order = {"pk": f"user#{request.subject}", "sk": f"order#{uuid.uuid4()}", "items": body["items"]}
    module_table().put_item(Item=order)
    return order


@router.route("GET /orders/{order_id}")
def get_order(request: Request) -> Any:
    key = {"pk": f"user#{request.subject}", "sk": f"order#{request.path_params['order_id']}"}
    item = module_table().get_item(Key=key).get("Item")
    if item is None:
        raise HTTPError(404, "not_found", "no such order")
    return item


@router.route("GET /orders/health")
def health(request: Request) -> Any:
    return {"ok": True}


lambda_handler = router.handler()
