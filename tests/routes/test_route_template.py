"""The routes include's template, as plain data (no CDK): one integration and one permission per
function, one route per docstring route, under the logical ids the route constructs had, with
the stack's values (tokens) written in and properties in the order the CDK's L1 classes write."""

from __future__ import annotations

from cora_constructs.routes.logical_ids import logical_id
from cora_constructs.routes.route_template import (
    RouteValues,
    WiredFunction,
    http_routes_template,
    route_construct_id,
    route_id,
)
from cora_runtime.routes import PUBLIC, Route

ORG = Route("GET", "/tasks/{task_id}")
PUBLIC_ROUTE = Route("GET", "/health", auth=PUBLIC, public_reason="probes carry no token")
LISTING = Route("GET", "/tasks")
VALUES = RouteValues("${Token[API]}", "${Token[AUTHORIZER]}", "arn:aws:execute-api:r:a:${Token[API]}/*/*/*")


def wired(path: str, routes: tuple[Route, ...]) -> WiredFunction:
    return WiredFunction((path,), f"stack{path}Live12345678", routes, f"${{Token[{path}Alias]}}")


def template_of(*functions: WiredFunction, path: str | None = None) -> dict[str, dict[str, dict]]:
    template, _ = http_routes_template(functions, VALUES, "stackOrgHttpApiRefHttpApi0A1B2C3D", path)
    return template  # type: ignore[return-value]


def test_a_route_id_is_readable_and_unique_per_route_key() -> None:
    assert route_id(ORG).startswith("GETTasksTask_id")
    assert route_construct_id(Route("GET", "/")).startswith("RouteGETRoot")
    assert route_id(Route("GET", "/a/{id}")) != route_id(Route("GET", "/a/id"))


def test_an_org_route_has_the_org_authorizer_and_targets_its_function_integration() -> None:
    template = template_of(wired("Tasks", (ORG, LISTING)))
    first = route_construct_id(ORG)
    integration = logical_id(("Tasks", first, "Integration", "Resource"))
    route = template["Resources"][logical_id(("Tasks", first, "Resource"))]
    assert route == {
        "Type": "AWS::ApiGatewayV2::Route",
        "Properties": {
            "ApiId": "${Token[API]}",
            "AuthorizationType": "CUSTOM",
            "AuthorizerId": "${Token[AUTHORIZER]}",
            "RouteKey": "GET /tasks/{task_id}",
            "Target": {"Fn::Join": ["", ["integrations/", {"Ref": integration}]]},
        },
    }
    assert template["Resources"][integration]["Properties"] == {
        "ApiId": "${Token[API]}",
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": "${Token[TasksAlias]}",
        "PayloadFormatVersion": "2.0",
    }
    assert list(template) == ["Resources"]  # no parameters: the values are written in


def test_properties_are_in_the_order_the_cdk_writes_them() -> None:
    template = template_of(wired("Tasks", (ORG, PUBLIC_ROUTE)))
    for resource in template["Resources"].values():
        assert list(resource["Properties"]) == sorted(resource["Properties"])


def test_one_permission_per_function_named_as_the_cdk_names_it() -> None:
    template = template_of(wired("Tasks", (ORG, LISTING, PUBLIC_ROUTE)))
    permissions = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::Lambda::Permission"}
    name = "ApiPermission.ApiScoped.stackTasksLive12345678.stackOrgHttpApiRefHttpApi0A1B2C3D"
    assert list(permissions) == [logical_id(("Tasks", route_construct_id(ORG), name))]
    (permission,) = permissions.values()
    assert permission["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": "${Token[TasksAlias]}",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": "arn:aws:execute-api:r:a:${Token[API]}/*/*/*",
    }


def test_a_public_route_has_no_authorizer_and_keeps_its_reason() -> None:
    template = template_of(wired("Status", (PUBLIC_ROUTE,)))
    route = template["Resources"][logical_id(("Status", route_construct_id(PUBLIC_ROUTE), "Resource"))]
    assert route["Properties"]["AuthorizationType"] == "NONE"
    assert "AuthorizerId" not in route["Properties"]
    assert route["Metadata"] == {"cora:publicReason": "probes carry no token"}


def test_with_path_metadata_each_resource_records_its_path_in_the_include() -> None:
    template = template_of(wired("Status", (PUBLIC_ROUTE,)), path="stack/Default")
    for name, resource in template["Resources"].items():
        assert resource["Metadata"]["aws:cdk:path"] == f"stack/Default/{name}"
    (route,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Route"]
    assert list(route["Metadata"]) == ["aws:cdk:path", "cora:publicReason"]


def test_each_function_is_invoked_through_its_own_alias_and_routes_are_listed_with_their_function() -> None:
    template, included = http_routes_template(
        [wired("A", (ORG,)), wired("B", ()), wired("C", (LISTING, PUBLIC_ROUTE))], VALUES, "api"
    )
    assert [(r.function, r.route.key) for r in included] == [
        (0, "GET /tasks/{task_id}"),
        (2, "GET /tasks"),
        (2, "GET /health"),
    ]
    resources = template["Resources"].values()  # type: ignore[union-attr]
    integrations = [r for r in resources if r["Type"] == "AWS::ApiGatewayV2::Integration"]
    assert [r["Properties"]["IntegrationUri"] for r in integrations] == [
        "${Token[AAlias]}",
        "${Token[CAlias]}",
    ]
