"""
Document API - project documents: metadata in the module table, content by reference.

Routes - Documents:
- GET /documents - List documents (?project_id=...)
- POST /documents - Register a document
- GET /documents/{document_id} - Get a document's metadata
- PUT /documents/{document_id} - Replace a document's metadata
- DELETE /documents/{document_id} - Delete a document
- GET /documents/{document_id}/versions - List a document's versions
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from cora_runtime.responses import HTTPError, json_response
from cora_runtime.routing import Request, Router
from cora_runtime.tables import module_table

router = Router(__doc__, source=__file__)

CONTENT_TYPES = ("application/pdf", "text/markdown", "text/plain", "image/png", "image/jpeg")


def validate_document(body: dict[str, Any]) -> dict[str, Any]:
    required = ("project_id", "title", "content_type", "uri")
    missing = [key for key in required if not isinstance(body.get(key), str) or not body.get(key)]
    if missing:
        raise HTTPError(400, f"missing or empty: {', '.join(missing)}")
    if body["content_type"] not in CONTENT_TYPES:
        raise HTTPError(400, f"content_type must be one of {', '.join(CONTENT_TYPES)}")
    if not body["uri"].startswith("s3://"):
        raise HTTPError(400, "uri must be an s3:// location")
    return {key: body[key] for key in required}


def _get(document_id: str) -> dict[str, Any]:
    item = module_table().get_item(Key={"pk": f"DOC#{document_id}", "sk": "META"}).get("Item")
    if item is None:
        raise HTTPError(404, "document not found")
    return dict(item)


@router.route("GET /documents")
def list_documents(request: Request) -> dict[str, Any]:
    from boto3.dynamodb.conditions import Attr

    project_id = request.query.get("project_id")
    scan: dict[str, Any] = {"FilterExpression": Attr("sk").eq("META")}
    if project_id:
        scan["FilterExpression"] = scan["FilterExpression"] & Attr("project_id").eq(project_id)
    return {"documents": module_table().scan(**scan).get("Items", [])}


@router.route("POST /documents")
def create_document(request: Request) -> dict[str, Any]:
    fields = validate_document(request.json())
    document_id = uuid.uuid4().hex
    now = int(time.time())
    item = {
        "pk": f"DOC#{document_id}",
        "sk": "META",
        "document_id": document_id,
        "version": 1,
        "created_at": now,
        **fields,
    }
    module_table().put_item(Item=item)
    module_table().put_item(
        Item={"pk": f"DOC#{document_id}", "sk": "VERSION#0001", "uri": fields["uri"], "created_at": now}
    )
    return json_response(item, status=201)


@router.route("GET /documents/{document_id}")
def get_document(request: Request) -> dict[str, Any]:
    return _get(request.path_params["document_id"])


@router.route("PUT /documents/{document_id}")
def replace_document(request: Request) -> dict[str, Any]:
    item = _get(request.path_params["document_id"])
    fields = validate_document(request.json())
    version = int(item.get("version", 1)) + 1
    item.update(fields, version=version, updated_at=int(time.time()))
    module_table().put_item(Item=item)
    module_table().put_item(
        Item={
            "pk": item["pk"],
            "sk": f"VERSION#{version:04d}",
            "uri": fields["uri"],
            "created_at": item["updated_at"],
        }
    )
    return item


@router.route("DELETE /documents/{document_id}")
def delete_document(request: Request) -> dict[str, Any]:
    item = _get(request.path_params["document_id"])
    module_table().delete_item(Key={"pk": item["pk"], "sk": "META"})
    return None


@router.route("GET /documents/{document_id}/versions")
def list_versions(request: Request) -> dict[str, Any]:
    from boto3.dynamodb.conditions import Key

    document_id = request.path_params["document_id"]
    result = module_table().query(
        KeyConditionExpression=Key("pk").eq(f"DOC#{document_id}") & Key("sk").begins_with("VERSION#")
    )
    return {"document_id": document_id, "versions": result.get("Items", [])}


lambda_handler = router.handler()
