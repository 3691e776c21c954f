"""``infrastructure/lambda_workflow_manifest.json``: the workflow manifest, seed-schema compatible.

The seed team's coverage guard reads a top-level ``functions`` list whose entries carry
``function_name``, ``lambda_dir`` and ``workflow_file``; each entry here adds where the Lambda
comes from in the app. The JSON Schema ships next to this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from typing import TypeAlias

from manifest_gen.generated import JSON_MARKER_KEY, MARKER, GeneratedFile
from manifest_gen.model import EXPECTED_RUNTIME, MANIFEST_PATH, ProductionLambda

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
    text = json.dumps(manifest_document(lambdas), indent=2, ensure_ascii=False) + "\n"
    return GeneratedFile(MANIFEST_PATH, text)


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
    text = resources.files("manifest_gen").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, JsonValue] = json.loads(text)
    return schema


def _entry(fn: ProductionLambda) -> dict[str, JsonValue]:
    return {
        "function_name": fn.function_name,
        "lambda_dir": fn.lambda_dir,
        "workflow_file": fn.workflow_file,
        "app": fn.app,
        "stack": fn.stack,
        "module": fn.module,
        "construct_path": fn.construct_path,
        "handler": fn.handler,
        "layers": list(fn.layers),
        "routes": [
            {
                "method": route.method,
                "path": route.path,
                "auth": route.auth,
                "public_reason": route.public_reason,
                "description": route.description,
                "category": route.category,
            }
            for route in fn.routes
        ],
    }
