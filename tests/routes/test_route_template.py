"""The routes include's template, as plain data (no CDK): one integration and one permission per
function, one route per docstring route, under the logical ids the route constructs had."""

from __future__ import annotations

from cora_constructs.routes.logical_ids import logical_id
from cora_constructs.routes.route_template import (
    API_ID,
    API_SOURCE_ARN,
    AUTHORIZER_ID,
    WiredFunction,
    alias_parameter,
    http_routes_template,
    route_construct_id,
    route_id,
)
from cora_runtime.routes import PUBLIC, Route

ORG = Route("GET", "/tasks/{task_id}")
PUBLIC_ROUTE = Route("GET", "/health", auth=PUBLIC, public_reason="probes carry no token")
LISTING = Route("GET", "/tasks")


def template_of(*functions: WiredFunction, path: str | None = None) -> dict[str, dict[str, dict]]:
    template, _ = http_routes_template(functions, "stackOrgHttpApiRefHttpApi0A1B2C3D", path)
    return template  # type: ignore[return-value]


def test_a_route_id_is_readable_and_unique_per_route_key() -> None:
    assert route_id(ORG).startswith("GETTasksTask_id")
    assert route_construct_id(Route("GET", "/")).startswith("RouteGETRoot")
    assert route_id(Route("GET", "/a/{id}")) != route_id(Route("GET", "/a/id"))


def test_an_org_route_has_the_org_authorizer_and_targets_its_function_integration() -> None:
    template = template_of(WiredFunction(("Tasks",), "stackTasksLive12345678", (ORG, LISTING)))
    first = route_construct_id(ORG)
    integration = logical_id(("Tasks", first, "Integration", "Resource"))
    route = template["Resources"][logical_id(("Tasks", first, "Resource"))]
    assert route == {
        "Type": "AWS::ApiGatewayV2::Route",
        "Properties": {
            "ApiId": {"Ref": API_ID},
            "AuthorizationType": "CUSTOM",
            "RouteKey": "GET /tasks/{task_id}",
            "Target": {"Fn::Join": ["", ["integrations/", {"Ref": integration}]]},
            "AuthorizerId": {"Ref": AUTHORIZER_ID},
        },
    }
    assert template["Resources"][integration]["Properties"] == {
        "ApiId": {"Ref": API_ID},
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": {"Ref": alias_parameter(0)},
        "PayloadFormatVersion": "2.0",
    }
    assert sorted(template["Parameters"]) == sorted(
        [API_ID, AUTHORIZER_ID, API_SOURCE_ARN, alias_parameter(0)]
    )


def test_one_permission_per_function_named_as_the_cdk_names_it() -> None:
    template = template_of(WiredFunction(("Tasks",), "stackTasksLive12345678", (ORG, LISTING, PUBLIC_ROUTE)))
    permissions = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Lambda::Permission"}
    name = "ApiPermission.ApiScoped.stackTasksLive12345678.stackOrgHttpApiRefHttpApi0A1B2C3D"
    assert list(permissions) == [logical_id(("Tasks", route_construct_id(ORG), name))]
    (permission,) = permissions.values()
    assert permission["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Ref": alias_parameter(0)},
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": {"Ref": API_SOURCE_ARN},
    }


def test_a_public_route_has_no_authorizer_and_keeps_its_reason() -> None:
    template = template_of(WiredFunction(("Status",), "stackStatusLive12345678", (PUBLIC_ROUTE,)))
    route = template["Resources"][logical_id(("Status", route_construct_id(PUBLIC_ROUTE), "Resource"))]
    assert route["Properties"]["AuthorizationType"] == "NONE"
    assert "AuthorizerId" not in route["Properties"]
    assert route["Metadata"] == {"cora:publicReason": "probes carry no token"}


def test_with_path_metadata_each_resource_records_its_path_in_the_include() -> None:
    template = template_of(
        WiredFunction(("Status",), "stackStatusLive12345678", (PUBLIC_ROUTE,)), path="stack/CoraHttpRoutes"
    )
    for name, resource in template["Resources"].items():
        assert resource["Metadata"]["aws:cdk:path"] == f"stack/CoraHttpRoutes/{name}"
    (route,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Route"]
    assert list(route["Metadata"]) == ["aws:cdk:path", "cora:publicReason"]


def test_each_function_gets_its_own_alias_parameter_and_routes_are_listed_with_their_function() -> None:
    template, included = http_routes_template(
        [
            WiredFunction(("A",), "sALive00000000", (ORG,)),
            WiredFunction(("B",), "sBLive00000000", ()),
            WiredFunction(("C",), "sCLive00000000", (LISTING, PUBLIC_ROUTE)),
        ],
        "api",
    )
    assert [(r.function, r.route.key) for r in included] == [
        (0, "GET /tasks/{task_id}"),
        (2, "GET /tasks"),
        (2, "GET /health"),
    ]
    assert alias_parameter(1) not in template["Parameters"]  # type: ignore[operator]
    assert {alias_parameter(0), alias_parameter(2)} <= set(template["Parameters"])  # type: ignore[arg-type]
