"""What is specific to the reference app's modules: each one keeps its data in a DynamoDB table."""

from __future__ import annotations

from typing import Any

from stacks.module import TableModuleStack
from stacks.notifications import ConnectionsModuleStack

MODULE_STACKS: dict[str, Any] = {
    **{module: TableModuleStack for module in ("documents", "projects", "tracker")},
    "notifications": ConnectionsModuleStack,
}
"""Module name -> its ModuleStack subclass, passed to the library's StackApp."""
