"""cora-constructs: AWS CDK v2 constructs that make the CORA Lambda standards impossible to break.

The constructs are imported lazily, so pure modules (``cora_constructs.dependencies.binaries``,
``cora_constructs.naming``, the CLI) load without starting jsii's Node process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cora_constructs.collector import lazy_name
from cora_constructs.errors import CoraValidationError, Violation

if TYPE_CHECKING:
    from cora_constructs.apps import CoraApp, InfraApp, ModuleStack, StackApp
    from cora_constructs.functions.standard_lambda import StandardLambda
    from cora_constructs.layers.org_layer import OrgLayer, OrgLayerRef
    from cora_constructs.routes.http_api import ApiRoutes, OrgHttpApi
    from cora_constructs.routes.websocket_api import OrgWebSocketApi, WebSocketRoutes
    from cora_constructs.stack import CoraStack

__version__ = "0.2.0"

_LAZY = {
    "CoraApp": "cora_constructs.apps",
    "InfraApp": "cora_constructs.apps",
    "StackApp": "cora_constructs.apps",
    "ModuleStack": "cora_constructs.apps",
    "StandardLambda": "cora_constructs.functions.standard_lambda",
    "OrgLayer": "cora_constructs.layers.org_layer",
    "OrgLayerRef": "cora_constructs.layers.org_layer",
    "OrgHttpApi": "cora_constructs.routes.http_api",
    "ApiRoutes": "cora_constructs.routes.http_api",
    "OrgWebSocketApi": "cora_constructs.routes.websocket_api",
    "WebSocketRoutes": "cora_constructs.routes.websocket_api",
    "CoraStack": "cora_constructs.stack",
}

__all__ = [
    "ApiRoutes",
    "CoraApp",
    "CoraStack",
    "CoraValidationError",
    "InfraApp",
    "ModuleStack",
    "OrgHttpApi",
    "OrgLayer",
    "OrgLayerRef",
    "OrgWebSocketApi",
    "StackApp",
    "StandardLambda",
    "Violation",
    "WebSocketRoutes",
    "__version__",
]


def __getattr__(name: str) -> Any:
    return lazy_name(__name__, globals(), _LAZY, name)
