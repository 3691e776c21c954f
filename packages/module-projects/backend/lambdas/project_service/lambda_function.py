"""
Project service - projects, their members, and the service's health probe.

Routes - Projects:
- GET /projects - List projects the caller belongs to
- POST /projects - Create a project
- GET /projects/:project_id - Get a project
- PUT /projects/:project_id - Rename or archive a project
- GET /projects/{project_id}/members - List a project's members

Routes - Operations:
- GET /health - Liveness probe for the uptime monitor [public: uptime check, returns no data]
- POST /projects/{project_id}/reindex - Rebuild a project's search index [auth: iam]
"""

from __future__ import annotations

import os
import re
import time
import uuid
from typing import Any

from cora_runtime.responses import HTTPError, json_response
from cora_runtime.routing import Request, Router
from cora_runtime.tables import module_table

router = Router(__doc__, source=__file__)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{1,79}$")


def _get(project_id: str) -> dict[str, Any]:
    item = module_table().get_item(Key={"pk": f"PROJECT#{project_id}", "sk": "META"}).get("Item")
    if item is None:
        raise HTTPError(404, "project not found")
    return dict(item)


@router.route("GET /projects")
def list_projects(request: Request) -> dict[str, Any]:
    from boto3.dynamodb.conditions import Attr

    me = request.subject
    items = module_table().scan(FilterExpression=Attr("sk").eq(f"MEMBER#{me}")).get("Items", [])
    return {"projects": sorted(str(item["pk"]).removeprefix("PROJECT#") for item in items)}


@router.route("POST /projects")
def create_project(request: Request) -> dict[str, Any]:
    body = request.json()
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not NAME.match(name):
        raise HTTPError(400, "name must be 2-80 letters, digits, spaces, '_', '.' or '-'")
    project_id = uuid.uuid4().hex
    me = request.subject
    item = {
        "pk": f"PROJECT#{project_id}",
        "sk": "META",
        "project_id": project_id,
        "name": name,
        "owner": me,
        "archived": False,
        "created_at": int(time.time()),
    }
    module_table().put_item(Item=item)
    module_table().put_item(Item={"pk": f"PROJECT#{project_id}", "sk": f"MEMBER#{me}", "role": "owner"})
    return json_response(item, status=201)


@router.route("GET /projects/{project_id}")
def get_project(request: Request) -> dict[str, Any]:
    return _get(request.path_params["project_id"])


@router.route("PUT /projects/{project_id}")
def update_project(request: Request) -> dict[str, Any]:
    item = _get(request.path_params["project_id"])
    if item.get("owner") != request.subject:
        raise HTTPError(403, "only the project owner may change it")
    body = request.json()
    if "name" in body:
        if not isinstance(body["name"], str) or not NAME.match(body["name"]):
            raise HTTPError(400, "name must be 2-80 letters, digits, spaces, '_', '.' or '-'")
        item["name"] = body["name"]
    if "archived" in body:
        if not isinstance(body["archived"], bool):
            raise HTTPError(400, "archived must be true or false")
        item["archived"] = body["archived"]
    module_table().put_item(Item=item)
    return item


@router.route("GET /projects/{project_id}/members")
def list_members(request: Request) -> dict[str, Any]:
    from boto3.dynamodb.conditions import Key

    project_id = request.path_params["project_id"]
    _get(project_id)
    result = module_table().query(
        KeyConditionExpression=Key("pk").eq(f"PROJECT#{project_id}") & Key("sk").begins_with("MEMBER#")
    )
    members = [
        {"subject": str(i["sk"]).removeprefix("MEMBER#"), "role": i.get("role")}
        for i in result.get("Items", [])
    ]
    return {"project_id": project_id, "members": members}


@router.route("GET /health")
def health(request: Request) -> dict[str, Any]:
    return {"status": "ok", "service": os.environ.get("MODULE_NAME", "projects")}


@router.route("POST /projects/{project_id}/reindex")
def reindex(request: Request) -> dict[str, Any]:
    project_id = request.path_params["project_id"]
    _get(project_id)
    # The search index is rebuilt from the table by the indexer; this records the request.
    module_table().put_item(
        Item={"pk": f"PROJECT#{project_id}", "sk": "REINDEX", "requested_at": int(time.time())}
    )
    return json_response({"project_id": project_id, "reindex": "queued"}, status=202)


lambda_handler = router.handler()
