"""Write a synthetic CORA project of N module Lambdas (for benchmarks and scale tests)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

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
    shutil.copytree(
        ROOT / "layers" / "org_common",
        root / "layers" / "org_common",
        ignore=shutil.ignore_patterns("__pycache__"),
        dirs_exist_ok=True,
    )
    shutil.copytree(ROOT / "lambdas" / "authorizer", root / "lambdas" / "authorizer", dirs_exist_ok=True)
    for index in range(functions):
        module = f"mod{index // per_module:03d}"
        name = f"fn{index:03d}"
        folder = root / "packages" / f"module-{module}" / "backend" / "lambdas" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "lambda_function.py").write_text(HANDLER.format(module=module, name=name, index=index))
    return root
