"""CORA-A1/A2 (app separation) and CORA-R1/R2/R4 (routes), each rule alone on hand-written resources."""

from __future__ import annotations

from typing import Any

from cora_constructs.compliance.model import Status
from cora_constructs.compliance.rules import (
    infra_separation,
    routes_authorized,
    routes_documented,
    routes_wired,
    stack_separation,
)
from tests.compliance.helpers import cora_metadata, function, run, stack

A1, A2 = infra_separation.RULE, stack_separation.RULE
R1, R2, R4 = routes_documented.RULE, routes_wired.RULE, routes_authorized.RULE
MODULE_SOURCE = "packages/module-orders/backend/lambdas/orders"


class TestA1InfraSeparation:
    def test_compliance_1_authorizer_in_infra(self) -> None:
        fn = function(metadata=cora_metadata(**{"cora:app": "infra", "cora:source": "lambdas/authorizer"}))
        assert run(A1, stack({"Fn": fn}), "Fn").status is Status.COMPLIANT

    def test_compliance_2_module_in_stack(self) -> None:
        assert run(A1, stack({"Fn": function(metadata=cora_metadata())}), "Fn").status is Status.COMPLIANT

    def test_noncompliance_1_module_code_in_infra(self) -> None:
        fn = function(metadata=cora_metadata(**{"cora:app": "infra", "cora:source": MODULE_SOURCE}))
        result = run(A1, stack({"Fn": fn}), "Fn")
        assert result.status is Status.NON_COMPLIANT and MODULE_SOURCE in result.message

    def test_not_applicable_1_raw_function(self) -> None:
        assert run(A1, stack({"Fn": function()}), "Fn").status is Status.NOT_APPLICABLE


class TestA2StackSeparation:
    def test_compliance_1_module_in_stack(self) -> None:
        assert run(A2, stack({"Fn": function(metadata=cora_metadata())}), "Fn").status is Status.COMPLIANT

    def test_noncompliance_1_project_authorizer_in_stack(self) -> None:
        fn = function(metadata=cora_metadata(**{"cora:source": "lambdas/authorizer"}))
        assert run(A2, stack({"Fn": fn}), "Fn").status is Status.NON_COMPLIANT

    def test_noncompliance_2_packaged_authorizer_in_stack(self) -> None:
        source = ".venv/lib/python3.11/site-packages/cora_constructs/authorizer"
        fn = function(metadata=cora_metadata(**{"cora:source": source}))
        assert run(A2, stack({"Fn": fn}), "Fn").status is Status.NON_COMPLIANT

    def test_not_applicable_1_raw_function(self) -> None:
        assert run(A2, stack({"Fn": function()}), "Fn").status is Status.NOT_APPLICABLE


def route(
    key: str, *, integration: str | None = "Integration", auth: str = "CUSTOM", **extra: Any
) -> dict[str, Any]:
    properties: dict[str, Any] = {"RouteKey": key, "AuthorizationType": auth, **extra}
    if auth in ("CUSTOM", "JWT"):
        properties.setdefault("AuthorizerId", {"Ref": "Authorizer"})
    if integration is not None:
        properties["Target"] = {"Fn::Join": ["", ["integrations/", {"Ref": integration}]]}
    metadata = properties.pop("metadata", None)
    resource: dict[str, Any] = {"Type": "AWS::ApiGatewayV2::Route", "Properties": properties}
    if metadata:
        resource["Metadata"] = metadata
    return resource


def integration(uri: object, kind: str = "AWS_PROXY") -> dict[str, Any]:
    return {
        "Type": "AWS::ApiGatewayV2::Integration",
        "Properties": {"IntegrationType": kind, "IntegrationUri": uri},
    }


def declared(*keys: str) -> dict[str, Any]:
    routes = [{"method": k.split()[0], "path": k.split()[1], "auth": "org"} for k in keys]
    return function(metadata=cora_metadata(**{"cora:routes": routes}))


ALIAS = {
    "Type": "AWS::Lambda::Alias",
    "Properties": {"FunctionName": {"Ref": "Fn"}, "FunctionVersion": "1", "Name": "live"},
}


class TestR1RoutesDocumented:
    def test_compliance_1_route_declared_by_its_target_through_the_alias(self) -> None:
        s = stack({"Fn": declared("GET /orders"), "Live": ALIAS, "Integration": integration({"Ref": "Live"}),
                   "Route": route("GET /orders")})  # fmt: skip
        assert run(R1, s, "Route").status is Status.COMPLIANT

    def test_compliance_2_bare_function_target(self) -> None:
        s = stack({"Fn": declared("GET /orders"), "Integration": integration({"Fn::GetAtt": ["Fn", "Arn"]}),
                   "Route": route("GET /orders")})  # fmt: skip
        assert run(R1, s, "Route").status is Status.COMPLIANT

    def test_noncompliance_1_route_not_in_the_docstring(self) -> None:
        s = stack({"Fn": declared("GET /orders"), "Live": ALIAS, "Integration": integration({"Ref": "Live"}),
                   "Route": route("DELETE /orders/{id}")})  # fmt: skip
        result = run(R1, s, "Route")
        assert result.status is Status.NON_COMPLIANT and "does not declare it" in result.message

    def test_noncompliance_2_target_is_a_raw_function(self) -> None:
        s = stack({"Fn": function(), "Integration": integration({"Fn::GetAtt": ["Fn", "Arn"]}),
                   "Route": route("GET /orders")})  # fmt: skip
        result = run(R1, s, "Route")
        assert result.status is Status.NON_COMPLIANT and "declares no routes" in result.message

    def test_not_applicable_1_http_integration(self) -> None:
        s = stack({"Integration": integration("https://example.com", "HTTP_PROXY"), "Route": route("GET /x")})
        assert run(R1, s, "Route").status is Status.NOT_APPLICABLE

    def test_unvalidated_1_imported_function_arn(self) -> None:
        s = stack({"Integration": integration({"Fn::ImportValue": "OrdersArn"}), "Route": route("GET /x")})
        assert run(R1, s, "Route").status is Status.UNVALIDATED


class TestR2RoutesWired:
    def test_compliance_1_every_declared_route_is_wired(self) -> None:
        s = stack({"Fn": declared("GET /orders", "POST /orders"), "Live": ALIAS,
                   "Integration": integration({"Ref": "Live"}), "Get": route("GET /orders"),
                   "Post": route("POST /orders")})  # fmt: skip
        assert run(R2, s, "Fn").status is Status.COMPLIANT

    def test_noncompliance_1_declared_route_missing_from_the_api(self) -> None:
        s = stack({"Fn": declared("GET /orders", "POST /orders"), "Live": ALIAS,
                   "Integration": integration({"Ref": "Live"}), "Get": route("GET /orders")})  # fmt: skip
        result = run(R2, s, "Fn")
        assert result.status is Status.NON_COMPLIANT and "POST /orders are not in the API" in result.message

    def test_noncompliance_2_declared_route_wired_to_another_function(self) -> None:
        s = stack({"Fn": declared("GET /orders"), "Other": function(),
                   "Integration": integration({"Fn::GetAtt": ["Other", "Arn"]}),
                   "Get": route("GET /orders")})  # fmt: skip
        result = run(R2, s, "Fn")
        assert result.status is Status.NON_COMPLIANT and "invoke another function" in result.message

    def test_not_applicable_1_no_declared_routes(self) -> None:
        assert run(R2, stack({"Fn": declared()}), "Fn").status is Status.NOT_APPLICABLE

    def test_unvalidated_1_a_route_target_cannot_be_followed(self) -> None:
        s = stack({"Fn": declared("GET /orders"), "Integration": integration({"Fn::ImportValue": "X"}),
                   "Get": route("GET /orders")})  # fmt: skip
        assert run(R2, s, "Fn").status is Status.UNVALIDATED


class TestR4RoutesAuthorized:
    def test_compliance_1_custom_authorizer(self) -> None:
        assert run(R4, stack({"R": route("GET /x")}), "R").status is Status.COMPLIANT

    def test_compliance_2_iam(self) -> None:
        assert run(R4, stack({"R": route("GET /x", auth="AWS_IAM")}), "R").status is Status.COMPLIANT

    def test_compliance_3_public_with_a_reason(self) -> None:
        r = route("GET /health", auth="NONE", metadata={"cora:publicReason": "uptime check"})
        assert run(R4, stack({"R": r}), "R").status is Status.COMPLIANT

    def test_noncompliance_1_no_authorizer(self) -> None:
        result = run(R4, stack({"R": route("GET /x", auth="NONE")}), "R")
        assert result.status is Status.NON_COMPLIANT and "GET /x has no authorizer" in result.message

    def test_noncompliance_2_public_with_an_empty_reason(self) -> None:
        r = route("GET /health", auth="NONE", metadata={"cora:publicReason": "  "})
        assert run(R4, stack({"R": r}), "R").status is Status.NON_COMPLIANT

    def test_noncompliance_3_custom_without_an_authorizer_id(self) -> None:
        r = route("GET /x", AuthorizerId=None)
        r["Properties"].pop("AuthorizerId")
        assert run(R4, stack({"R": r}), "R").status is Status.NON_COMPLIANT

    def test_noncompliance_4_authorization_type_absent(self) -> None:
        r = route("GET /x")
        r["Properties"].pop("AuthorizationType")
        assert run(R4, stack({"R": r}), "R").status is Status.NON_COMPLIANT

    def test_unvalidated_1_authorization_type_from_a_parameter(self) -> None:
        r = route("GET /x", auth="CUSTOM")
        r["Properties"]["AuthorizationType"] = {"Ref": "AuthType"}
        assert run(R4, stack({"R": r}), "R").status is Status.UNVALIDATED


WEBSOCKET_METADATA = {"cora:protocol": "websocket"}


def declared_keys(*keys: str) -> dict[str, Any]:
    routes = [{"method": "WEBSOCKET", "path": k, "auth": "org", "protocol": "websocket"} for k in keys]
    return function(metadata=cora_metadata(**{"cora:routes": routes}))


class TestWebSocketRouteKeys:
    def test_r4_compliance_connect_behind_the_authorizer(self) -> None:
        r = route("$connect", metadata=WEBSOCKET_METADATA)
        assert run(R4, stack({"R": r}), "R").status is Status.COMPLIANT

    def test_r4_noncompliance_connect_without_authorizer_or_reason(self) -> None:
        r = route("$connect", auth="NONE", metadata=WEBSOCKET_METADATA)
        result = run(R4, stack({"R": r}), "R")
        assert result.status is Status.NON_COMPLIANT and "$connect has no authorizer" in result.message

    def test_r4_compliance_public_connect_with_a_reason(self) -> None:
        r = route(
            "$connect", auth="NONE", metadata={**WEBSOCKET_METADATA, "cora:publicReason": "lobby screens"}
        )
        assert run(R4, stack({"R": r}), "R").status is Status.COMPLIANT

    def test_r4_not_applicable_message_keys_ride_the_connection(self) -> None:
        r = route("chat", auth="NONE", metadata=WEBSOCKET_METADATA)
        assert run(R4, stack({"R": r}), "R").status is Status.NOT_APPLICABLE

    def test_r4_noncompliance_an_unmarked_unauthorized_default_route(self) -> None:
        # a hand-made $default route (HTTP or WebSocket) without the library's metadata is checked
        assert run(R4, stack({"R": route("$default", auth="NONE")}), "R").status is Status.NON_COMPLIANT

    def test_r1_and_r2_read_route_keys(self) -> None:
        s = stack({"Fn": declared_keys("$connect", "chat"), "Live": ALIAS,
                   "Integration": integration({"Ref": "Live"}),
                   "Connect": route("$connect", metadata=WEBSOCKET_METADATA)})  # fmt: skip
        assert run(R1, s, "Connect").status is Status.COMPLIANT
        result = run(R2, s, "Fn")
        assert result.status is Status.NON_COMPLIANT and "route(s) chat are not in the API" in result.message

    def test_r1_a_key_the_docstring_does_not_declare(self) -> None:
        typing = route("typing", auth="NONE", metadata=WEBSOCKET_METADATA)
        s = stack({"Fn": declared_keys("$connect"), "Live": ALIAS,
                   "Integration": integration({"Ref": "Live"}), "Typing": typing})  # fmt: skip
        assert run(R1, s, "Typing").status is Status.NON_COMPLIANT
