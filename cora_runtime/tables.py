"""The module's DynamoDB table, opened once per container on first use.

Each functional module owns one table, passed to its Lambdas as ``TABLE_NAME``. boto3 comes with
the Lambda runtime; it is imported on first use so that cold starts of routes that never touch
the table stay short.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

TABLE_NAME_VARIABLE = "TABLE_NAME"


def module_table() -> Any:
    """The ``boto3`` Table named by ``$TABLE_NAME`` (a clear error when it is not set)."""
    name = os.environ.get(TABLE_NAME_VARIABLE)
    if not name:
        raise RuntimeError(f"{TABLE_NAME_VARIABLE} is not set: the module stack passes its table's name")
    return _table(name)


@cache
def _table(name: str) -> Any:
    import boto3

    return boto3.resource("dynamodb").Table(name)
