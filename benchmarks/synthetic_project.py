"""Write a synthetic CORA project of N module Lambdas (for benchmarks and scale tests)."""

from __future__ import annotations

import hashlib
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


def write_project(root: Path, functions: int, per_module: int = 10, function_kb: int = 0) -> Path:
    """A project with ``functions`` Lambdas, ``per_module`` per module, three routes each;
    ``function_kb``: each folder also holds that many KiB of data (``reference_data.json``,
    different in every folder), as real functions carry vendored code and data files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "cdk.json").write_text(json.dumps({"app": "python3 app.py"}))
    for index in range(functions):
        module = f"mod{index // per_module:03d}"
        name = f"fn{index:03d}"
        folder = root / "packages" / f"module-{module}" / "backend" / "lambdas" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "lambda_function.py").write_text(HANDLER.format(module=module, name=name, index=index))
        if function_kb:
            (folder / "reference_data.json").write_text(_data(index, function_kb * 1024))
    return root


def _data(seed: int, size: int) -> str:
    """``size`` bytes of JSON, deterministic per ``seed`` and unlike any other seed's."""
    rows, total, counter = [], 2, 0
    while total < size:
        row = hashlib.sha256(f"{seed}:{counter}".encode()).hexdigest()
        rows.append(row)
        total += len(row) + 4  # the quotes and the ", " between rows
        counter += 1
    return json.dumps(rows)


def modules_of(root: Path) -> list[str]:
    """The module names of a project written by :func:`write_project`."""
    return sorted(p.name.removeprefix("module-") for p in (root / "packages").glob("module-*"))
