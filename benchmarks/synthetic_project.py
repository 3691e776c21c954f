"""Write a synthetic CORA project of N module Lambdas (for benchmarks and scale tests)."""

from __future__ import annotations

import json
from pathlib import Path

HANDLER = '''"""
{module} {name} - synthetic Lambda {index}.

Routes - Items:
- GET /{module}/{name} - List items
- POST /{module}/{name} - Create an item
- GET /{module}/{name}/{{item_id}} - Get an item
"""


def lambda_handler(event, context):
    return {{"statusCode": 200, "body": "{index}"}}
'''


def write_project(root: Path, functions: int, per_module: int = 10) -> Path:
    """A project with ``functions`` Lambdas, ``per_module`` per module, three routes each."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "cdk.json").write_text(json.dumps({"app": "python3 app.py"}))
    for index in range(functions):
        module = f"mod{index // per_module:03d}"
        name = f"fn{index:03d}"
        folder = root / "packages" / f"module-{module}" / "backend" / "lambdas" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "lambda_function.py").write_text(HANDLER.format(module=module, name=name, index=index))
    return root


def modules_of(root: Path) -> list[str]:
    """The module names of a project written by :func:`write_project`."""
    return sorted(p.name.removeprefix("module-") for p in (root / "packages").glob("module-*"))
