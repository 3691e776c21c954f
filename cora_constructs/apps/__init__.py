"""The infra app and the stack app, as library code configured from cdk.json context.

Imported lazily: :mod:`cora_constructs.apps.discovery` loads without starting jsii.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cora_constructs.collector import bindings_loading

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
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cora_constructs.apps' has no attribute {name!r}")
    with bindings_loading():
        loaded = importlib.import_module(module)
    value = getattr(loaded, name)
    globals()[name] = value  # kept: the next lookup of the name does not come here again
    return value
