"""The infra app's stack: the org common layer and the org authorizer, published through SSM."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cora_constructs import defaults
from cora_constructs.apps.settings import AppSettings, AuthorizerSettings
from cora_constructs.functions.standard_lambda import StandardLambda
from cora_constructs.layers.org_layer import OrgLayer
from cora_constructs.stack import CoraStack


class InfraStack(CoraStack):
    """``{project}-{env}-infra``: what every functional module relies on, owned by the infra repo.

    The authorizer is the project's ``lambdas/authorizer/`` when it has one, else the org
    authorizer shipped in cora-constructs. Its ARN (the ``live`` alias) and the org layer's
    version ARN are published as SSM parameters for the stack app.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, app_kind=defaults.APP_INFRA, **kwargs)
        settings = AppSettings.of(self)
        authorizer = AuthorizerSettings.of(self)
        self.org_layer = OrgLayer(self, "OrgLayer")
        self.authorizer = StandardLambda(
            self,
            "Authorizer",
            source=authorizer.source,
            module="authorizer",
            org_layer=self.org_layer,
            environment=authorizer.environment(),
            memory_size=256,
        )
        ssm.StringParameter(
            self,
            "OrgLayerArnParameter",
            parameter_name=settings.org_layer_arn_parameter,
            string_value=self.org_layer.layer_version.layer_version_arn,
            description="ARN of the current org common layer version (read by the stack app)",
        )
        ssm.StringParameter(
            self,
            "AuthorizerArnParameter",
            parameter_name=settings.authorizer_arn_parameter,
            string_value=self.authorizer.alias.function_arn,
            description="ARN of the org authorizer's live alias (read by the stack app's HTTP API)",
        )
