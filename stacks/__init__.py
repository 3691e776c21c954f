"""What is specific to the reference app's modules: each one keeps its data in a DynamoDB table."""

from __future__ import annotations

from stacks.module import TableModuleStack

MODULE_STACKS = {module: TableModuleStack for module in ("documents", "projects", "tracker")}
"""Module name -> its ModuleStack subclass, passed to the library's StackApp."""
