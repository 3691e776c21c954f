"""The reference modules' own resource: one DynamoDB table per module (single-table design)."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb

from cora_constructs import StandardLambda
from cora_constructs.apps import ModuleLambda, ModuleStack


class TableModuleStack(ModuleStack):
    """A module whose Lambdas read and write one table (``pk``/``sk``) through ``TABLE_NAME``."""

    def add_resources(self) -> None:
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    def function_environment(self, item: ModuleLambda) -> Mapping[str, str]:
        return {"TABLE_NAME": self.table.table_name}

    def configure_function(self, function: StandardLambda) -> None:
        self.table.grant_read_write_data(function.function)
