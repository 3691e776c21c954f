"""The notifications module's own resource: the table of open WebSocket connections."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb

from cora_constructs import StandardLambda
from cora_constructs.apps import ModuleLambda, ModuleStack


class ConnectionsModuleStack(ModuleStack):
    """A real-time module: its WebSocket Lambda keeps connections and their watches in one table
    (``pk``/``sk``, passed as ``TABLE_NAME``), whose items expire through ``expires_at`` so a
    connection that vanished without a ``$disconnect`` does not stay forever."""

    def add_resources(self) -> None:
        self.connections = dynamodb.Table(
            self,
            "Connections",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute="expires_at",
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )

    def function_environment(self, item: ModuleLambda) -> Mapping[str, str]:
        return {"TABLE_NAME": self.connections.table_name}

    def configure_function(self, function: StandardLambda) -> None:
        self.connections.grant_read_write_data(function.function)
