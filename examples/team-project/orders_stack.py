"""The orders module's own resource, added through the library's one extension point."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_dynamodb as dynamodb

from cora_constructs import StandardLambda
from cora_constructs.apps import ModuleLambda, ModuleStack


class OrdersStack(ModuleStack):
    """The module stack of ``packages/module-orders``, plus a table its Lambdas read and write."""

    def add_resources(self) -> None:
        key = dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING)
        sort = dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING)
        self.table = dynamodb.TableV2(self, "Orders", partition_key=key, sort_key=sort)

    def function_environment(self, item: ModuleLambda) -> Mapping[str, str]:
        return {"TABLE_NAME": self.table.table_name}

    def configure_function(self, function: StandardLambda) -> None:
        self.table.grant_read_write_data(function.function)
