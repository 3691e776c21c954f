"""``infrastructure/lambda_workflow_manifest.json``: the workflow manifest, seed-schema compatible.

The seed team's coverage guard reads a top-level ``functions`` list whose entries carry
``function_name``, ``lambda_dir`` and ``workflow_file``; each entry here adds where the Lambda
comes from in the app. The JSON Schema ships next to this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TypeAlias

from manifest_gen.generated import JSON_MARKER_KEY, MARKER, GeneratedFile
from manifest_gen.model import EXPECTED_RUNTIME, MANIFEST_PATH, ProductionLambda, Route

_STRING = json.encoder.encode_basestring  # the C string encoder json.dumps uses
SCHEMA_RESOURCE = "lambda_workflow_manifest.schema.json"
SOURCE_OF_TRUTH = "app.py: the synthesized CDK app (cora:* metadata of each StandardLambda in cdk.out)"

JsonValue: TypeAlias = "str | int | bool | list[JsonValue] | dict[str, JsonValue] | None"


def manifest_document(lambdas: Iterable[ProductionLambda]) -> dict[str, JsonValue]:
    """The manifest as a JSON-ready dict: keys in a fixed order, functions sorted by name."""
    functions: list[JsonValue] = [_entry(fn) for fn in sorted(lambdas, key=lambda fn: fn.function_name)]
    return {
        JSON_MARKER_KEY: MARKER,
        "source_of_truth": SOURCE_OF_TRUTH,
        "expected_runtime": EXPECTED_RUNTIME,
        "functions": functions,
    }


def render_manifest(lambdas: Iterable[ProductionLambda]) -> GeneratedFile:
    """The manifest file: two-space indented JSON, UTF-8, one trailing newline."""
    return GeneratedFile(MANIFEST_PATH, dump_json(manifest_document(lambdas)) + "\n")


def dump_json(value: JsonValue, level: int = 0) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``, byte for byte, several times faster.

    With ``indent`` the standard library falls back to its pure-Python encoder; `check` renders
    the manifest on every run, so this plain recursion keeps it cheap.
    """
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = "\n" + "  " * (level + 1)
        items = (f"{_STRING(key)}: {dump_json(item, level + 1)}" for key, item in value.items())
        return "{" + inner + ("," + inner).join(items) + "\n" + "  " * level + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = "\n" + "  " * (level + 1)
        return (
            "["
            + inner
            + ("," + inner).join(dump_json(item, level + 1) for item in value)
            + "\n"
            + "  " * level
            + "]"
        )
    if isinstance(value, str):
        return _STRING(value)
    return json.dumps(value)


def manifest_function_names(document: object) -> list[str] | None:
    """The ``function_name`` of every entry of a parsed manifest, or None if it has no list."""
    if not isinstance(document, dict):
        return None
    functions = document.get("functions")
    if not isinstance(functions, list):
        return None
    return [
        entry["function_name"]
        for entry in functions
        if isinstance(entry, dict) and isinstance(entry.get("function_name"), str)
    ]


def manifest_schema() -> dict[str, JsonValue]:
    """The JSON Schema (draft 2020-12) of the manifest, as shipped in the package."""
    from importlib import resources  # only tests and tools read the schema: keep `check` light

    text = resources.files("manifest_gen").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, JsonValue] = json.loads(text)
    return schema


def _route(route: Route) -> dict[str, JsonValue]:
    entry: dict[str, JsonValue] = {
        "method": route.method,
        "path": route.path,
        "auth": route.auth,
        "public_reason": route.public_reason,
        "description": route.description,
        "category": route.category,
    }
    if route.protocol != "http":  # HTTP entries stay as they were: no drift on upgrade
        entry["protocol"] = route.protocol
    return entry


def _entry(fn: ProductionLambda) -> dict[str, JsonValue]:
    entry: dict[str, JsonValue] = {
        "function_name": fn.function_name,
        "lambda_dir": fn.lambda_dir,
        "workflow_file": fn.workflow_file,
        "app": fn.app,
        "stack": fn.stack,
        "module": fn.module,
        "construct_path": fn.construct_path,
        "handler": fn.handler,
        "layers": list(fn.layers),
        "dependency_files": list(fn.dependency_files),
        "routes": [_route(route) for route in fn.routes],
    }
    if fn.source_package:
        entry["source_package"] = fn.source_package
    return entry
