"""One CloudFormation stack per functional module: its Lambdas, its table, its routes."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from cora_constructs import ApiRoutes, CoraStack, OrgLayer, StandardLambda, defaults
from cora_constructs.apps.discovery import ModuleLambda
from stacks.settings import AppSettings


def construct_id(lambda_name: str) -> str:
    """``tracker_api`` -> ``TrackerApi``."""
    return "".join(part[:1].upper() + part[1:] for part in lambda_name.replace("-", "_").split("_"))


class ModuleStack(CoraStack):
    """``{project}-{env}-{module}``: a module's StandardLambdas behind the shared HTTP API.

    Each module owns one DynamoDB table (single-table design, ``pk``/``sk``) that its Lambdas
    read and write through ``TABLE_NAME``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id_: str,
        *,
        module: str,
        lambdas: list[ModuleLambda],
        routes: ApiRoutes,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id_, app_kind=defaults.APP_STACK, **kwargs)
        settings = AppSettings.of(self)
        org_layer = OrgLayer.from_ssm(self, "OrgLayer", parameter_name=settings.org_layer_arn_parameter)
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
        self.functions: list[StandardLambda] = []
        for item in lambdas:
            function = StandardLambda(
                self,
                construct_id(item.lambda_name),
                source=item.source,
                module=module,
                org_layer=org_layer,
                environment={"TABLE_NAME": self.table.table_name, "MODULE_NAME": module},
            )
            self.table.grant_read_write_data(function.function)
            routes.add(function)
            self.functions.append(function)
