"""The stack app's shared HTTP API and its org authorizer."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from cora_constructs import defaults
from cora_constructs.apps.settings import AppSettings
from cora_constructs.routes.http_api import OrgHttpApi
from cora_constructs.routes.websocket_api import OrgWebSocketApi
from cora_constructs.stack import CoraStack


class ApiStack(CoraStack):
    """``{project}-{env}-api``: one HTTP API for every module, the org authorizer attached to it;
    with ``websocket=True`` (some module declares WebSocket route keys) the WebSocket API beside it.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, websocket: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, app_kind=defaults.APP_STACK, **kwargs)
        settings = AppSettings.of(self)
        self.api = OrgHttpApi(
            self,
            "Api",
            api_name=f"{settings.project}-{settings.environment}-api",
            authorizer_arn_parameter=settings.authorizer_arn_parameter,
            api_id_parameter=settings.api_id_parameter,
            authorizer_id_parameter=settings.authorizer_id_parameter,
        )
        self.websocket_api: OrgWebSocketApi | None = None
        if websocket:
            self.websocket_api = OrgWebSocketApi(
                self,
                "WebSocket",
                api_name=f"{settings.project}-{settings.environment}-websocket",
                stage_name=settings.websocket_stage,
                authorizer_arn_parameter=settings.authorizer_arn_parameter,
                api_id_parameter=settings.websocket_api_id_parameter,
                authorizer_id_parameter=settings.websocket_authorizer_id_parameter,
                endpoint_parameter=settings.websocket_endpoint_parameter,
                management_endpoint_parameter=settings.websocket_management_endpoint_parameter,
            )
