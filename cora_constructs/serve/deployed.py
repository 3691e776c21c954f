"""``cora serve --deployed``: the values that exist only after deploy, read from the deployed app.

An environment variable whose template value is a resource's ``Ref`` (a table's name, a queue's
URL, ...) gets that resource's physical id from CloudFormation (``DescribeStackResource`` of the
stack the assembly names); one that reads an SSM parameter no stack of the assembly publishes
gets the parameter's value. Read-only calls with the usual AWS environment (``AWS_PROFILE``,
``AWS_REGION``, ``AWS_ENDPOINT_URL``). What cannot be read is listed, never fatal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cora_constructs.serve.plan import LambdaFunction


def read_deployed(
    functions: Iterable[LambdaFunction],
    *,
    cloudformation: Any,
    ssm: Any,
    given: Callable[[LambdaFunction, str], bool] = lambda function, name: False,
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """``(values by function name, problems)`` for every unresolved variable that has a source
    and is not ``given`` otherwise (``--env``)."""
    values: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    cache: dict[tuple[str, str], str | None] = {}
    for function in functions:
        for missing in function.unresolved:
            if given(function, missing.name):
                continue
            value: str | None = None
            if missing.resource is not None:
                if missing.resource not in cache:
                    cache[missing.resource] = _physical_id(cloudformation, *missing.resource, problems)
                value = cache[missing.resource]
            elif missing.ssm_parameter is not None:
                key = ("ssm", missing.ssm_parameter)
                if key not in cache:
                    cache[key] = _parameter(ssm, missing.ssm_parameter, problems)
                value = cache[key]
            if value is not None:
                values.setdefault(function.function_name, {})[missing.name] = value
    return values, problems


def _error_text(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        detail = response.get("Error", {})
        return f"{detail.get('Code', type(error).__name__)}: {detail.get('Message', '')}".strip()
    return f"{type(error).__name__}: {error}"


def _physical_id(client: Any, stack: str, logical_id: str, problems: list[str]) -> str | None:
    try:
        detail = client.describe_stack_resource(StackName=stack, LogicalResourceId=logical_id)
        value = detail["StackResourceDetail"].get("PhysicalResourceId")
    except Exception as error:
        problems.append(
            f"{logical_id} of stack {stack} cannot be read from CloudFormation ({_error_text(error)})"
        )
        return None
    return value if isinstance(value, str) and value else None


def _parameter(client: Any, name: str, problems: list[str]) -> str | None:
    try:
        value = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except Exception as error:
        problems.append(f"SSM parameter {name} cannot be read ({_error_text(error)})")
        return None
    return value if isinstance(value, str) else None
