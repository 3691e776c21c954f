"""The infra app and the stack app, as library code configured from cdk.json context.

Imported lazily: :mod:`cora_constructs.apps.discovery` loads without starting jsii.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cora_constructs.collector import lazy_name

if TYPE_CHECKING:
    from cora_constructs.apps.app import CoraApp, InfraApp, StackApp, main
    from cora_constructs.apps.discovery import ModuleLambda
    from cora_constructs.apps.module import ModuleStack

_LAZY = {
    "CoraApp": "cora_constructs.apps.app",
    "InfraApp": "cora_constructs.apps.app",
    "StackApp": "cora_constructs.apps.app",
    "main": "cora_constructs.apps.app",
    "ModuleLambda": "cora_constructs.apps.discovery",
    "ModuleStack": "cora_constructs.apps.module",
}

__all__ = ["CoraApp", "InfraApp", "ModuleLambda", "ModuleStack", "StackApp", "main"]


def __getattr__(name: str) -> Any:
    return lazy_name(__name__, globals(), _LAZY, name)
