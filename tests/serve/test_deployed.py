"""--deployed: a Ref's physical id from CloudFormation, an SSM parameter's value from SSM (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cora_constructs.serve.deployed import read_deployed
from cora_constructs.serve.plan import StackTemplate, build_plan

TABLE = {
    "Type": "AWS::DynamoDB::Table",
    "Properties": {
        "TableName": "orders-dev",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    },
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield {"cloudformation": boto3.client("cloudformation"), "ssm": boto3.client("ssm")}


def stack() -> StackTemplate:
    template = {
        "Parameters": {"Secret": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/team/api-key"}},
        "Resources": {
            "Table": TABLE,
            "Missing": {"Type": "AWS::SQS::Queue"},
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Metadata": {"aws:asset:path": "asset.fn", "aws:asset:property": "Code"},
                "Properties": {
                    "FunctionName": "orders",
                    "Environment": {
                        "Variables": {
                            "TABLE_NAME": {"Ref": "Table"},
                            "API_KEY": {"Ref": "Secret"},
                            "QUEUE_URL": {"Ref": "Missing"},
                            "TABLE_ARN": {"Fn::GetAtt": ["Table", "Arn"]},
                        }
                    },
                },
            },
            "Integration": {
                "Type": "AWS::ApiGatewayV2::Integration",
                "Properties": {
                    "IntegrationType": "AWS_PROXY",
                    "IntegrationUri": {"Fn::GetAtt": ["Fn", "Arn"]},
                },
            },
            "Route": {
                "Type": "AWS::ApiGatewayV2::Route",
                "Properties": {
                    "RouteKey": "GET /orders",
                    "Target": {"Fn::Join": ["", ["integrations/", {"Ref": "Integration"}]]},
                },
            },
        },
    }
    return StackTemplate("orders-dev", template, Path("/out"))


def test_refs_and_ssm_parameters_are_read_from_the_deployed_app(aws: dict[str, Any]) -> None:
    aws["cloudformation"].create_stack(
        StackName="orders-dev", TemplateBody=json.dumps({"Resources": {"Table": TABLE}})
    )
    aws["ssm"].put_parameter(Name="/team/api-key", Value="k-123", Type="SecureString")
    plan = build_plan([stack()])
    function = plan.functions["orders"]
    by_name = {u.name: u for u in function.unresolved}
    assert by_name["API_KEY"].reason == "SSM parameter /team/api-key"
    assert by_name["TABLE_NAME"].resource == ("orders-dev", "Table")
    values, problems = read_deployed(plan.functions.values(), **aws)
    assert values == {"orders": {"TABLE_NAME": "orders-dev", "API_KEY": "k-123"}}
    # The queue is not deployed; GetAtt has no deployed source: listed, never fatal.
    assert (
        len(problems) == 1 and "Missing of stack orders-dev cannot be read from CloudFormation" in problems[0]
    )


def test_nothing_deployed_is_a_list_of_problems(aws: dict[str, Any]) -> None:
    values, problems = read_deployed(build_plan([stack()]).functions.values(), **aws)
    assert values == {}
    assert any("SSM parameter /team/api-key cannot be read (ParameterNotFound" in p for p in problems)
