"""The import check: every import of a Lambda's code resolves where Lambda looks, else CORA-L9."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cora_constructs.functions.imports import (
    ImportChecker,
    ImportRoot,
    check_imports,
    lambda_runtime,
    parse_runtime,
)


def write(path: Path, text: str | bytes = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


class Project:
    """A function folder, its installed requirements, the org layer and one module layer."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.fn = root / "lambdas" / "orders-api"
        self.installed = root / "cache" / "deps"
        self.org = root / "org" / "python"
        self.layer = root / "orders_common" / "python"
        write(self.installed / "requests" / "__init__.py")
        write(self.installed / "requests" / "adapters.py")
        write(self.org / "cora_runtime" / "__init__.py")
        write(self.org / "cora_runtime" / "routing.py")
        write(self.layer / "orders_common" / "__init__.py")
        write(self.layer / "orders_common" / "models.py")

    @property
    def roots(self) -> list[ImportRoot]:
        return [
            ImportRoot.function(self.fn),
            ImportRoot.layer("org layer", self.org, shown="layers/org_common"),
            ImportRoot.layer("module layer orders_common", self.layer, shown="layers/orders_common"),
            ImportRoot.dependencies(self.installed, self.fn / "requirements.txt"),
        ]

    def handler(self, source: str | bytes) -> Path:
        return write(self.fn / "lambda_function.py", source)

    def check(self, checker: ImportChecker | None = None) -> list[tuple[str, str]]:
        found = (checker or ImportChecker()).check(self.fn, self.roots)
        assert all(v.code == "CORA-L9" for v in found)
        return [(v.path, v.message) for v in found]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


GOOD_HANDLER = '''"""Orders."""
from __future__ import annotations

import json
import os.path
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError
from dateutil import parser
import requests.adapters
from cora_runtime.routing import Router
from orders_common.models import Order
from orders_common import models, not_a_module_but_an_attribute
import helpers
from pkg.sub import thing

try:
    import ujson
except ImportError:
    ujson = None
try:
    import orjson
except (ValueError, ModuleNotFoundError):
    orjson = None
try:
    import simdjson
except:
    simdjson = None
try:
    import rapidjson
except Exception:
    rapidjson = None

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def lambda_handler(event, context):
    import importlib
    importlib.import_module("json")
    return {}
'''


def test_a_function_whose_imports_all_resolve(project: Project) -> None:
    project.handler(GOOD_HANDLER)
    write(project.fn / "helpers.py", "import requests\n")
    write(project.fn / "pkg" / "__init__.py", "from . import sub\n")
    write(project.fn / "pkg" / "sub.py", "thing = 1\n")
    assert project.check() == []


def test_an_unresolved_import_names_file_line_module_where_it_looked_and_the_fix(project: Project) -> None:
    handler = project.handler("import json\n\nimport orders_commons\n")
    ((path, message),) = project.check()
    assert path == f"{handler}:3"
    assert message == (
        "`import orders_commons`: no module named 'orders_commons' in the function folder "
        f"({project.fn}), org layer (layers/org_common), module layer orders_common "
        "(layers/orders_common), the function's dependency layer (from "
        f"{project.fn / 'requirements.txt'}), nor in the python3.11 Lambda runtime (the standard "
        "library, boto3, botocore and their dependencies). Lambda would raise ImportError (a 502) "
        f"when this line runs. Fix: if it is your code, put it in {project.fn}; or add it to the org "
        f"layer ({project.org.parent / 'requirements.txt'}, or its code under layers/org_common/python/); "
        "or add it to the module layer orders_common "
        f"({project.layer.parent / 'requirements.txt'}, or its code under layers/orders_common/python/); "
        f"or add the package that provides it to {project.fn / 'requirements.txt'}."
    )


def test_a_missing_submodule_of_a_found_package(project: Project) -> None:
    handler = project.handler("from orders_common.schemas import Order\n")
    ((path, message),) = project.check()
    assert path == f"{handler}:1"
    assert message == (
        "`from orders_common.schemas import Order`: 'orders_common' is found in module layer "
        "orders_common (layers/orders_common) but has no module 'schemas' (looked "
        "for schemas.py, schemas/ and schemas.*.so). Lambda would raise ImportError (a 502) when "
        "this line runs. Fix: correct the name, or add orders_common/schemas.py (add it to the "
        f"module layer orders_common ({project.layer.parent / 'requirements.txt'}, or its code "
        "under layers/orders_common/python/))."
    )


def test_imports_inside_functions_and_unguarded_try_are_checked(project: Project) -> None:
    handler = project.handler(
        "def lambda_handler(event, context):\n"
        "    import pandas\n"
        "    return pandas\n"
        "\n"
        "try:\n"
        "    import yaml\n"
        "except ValueError:\n"
        "    yaml = None\n"
        "try:\n"
        "    import ujson\n"
        "except ImportError:\n"
        "    import missing_fallback\n"
    )
    found = project.check()
    assert [path for path, _ in found] == [f"{handler}:2", f"{handler}:6", f"{handler}:12"]
    assert "no module named 'yaml' (on PyPI: PyYAML)" in found[1][1]


def test_local_modules_are_followed_transitively_and_relative_imports_resolve_in_them(
    project: Project,
) -> None:
    project.handler("import helpers\nfrom pkg import sub\n")
    write(project.fn / "helpers.py", "\n\nimport not_installed\n")
    write(project.fn / "pkg" / "__init__.py", "from .inner import deep\n")
    write(project.fn / "pkg" / "inner" / "__init__.py", "from . import deep\n")
    write(project.fn / "pkg" / "inner" / "deep.py", "from ..sub import x\nfrom ...up import y\nimport gone\n")
    write(project.fn / "pkg" / "sub.py", "from .missing import z\n")
    found = project.check()
    assert [path for path, _ in found] == [
        f"{project.fn / 'helpers.py'}:3",
        f"{project.fn / 'pkg' / 'inner' / 'deep.py'}:2",
        f"{project.fn / 'pkg' / 'inner' / 'deep.py'}:3",
        f"{project.fn / 'pkg' / 'sub.py'}:1",
    ]
    assert found[1][1] == (
        "`from ...up import y` goes above the top-level package 'pkg': it raises ImportError "
        "(attempted relative import beyond top-level package)."
    )
    assert found[3][1].startswith("`from .missing import z`: 'pkg' is found in the function folder")


def test_a_relative_import_in_the_handler_is_an_error(project: Project) -> None:
    handler = project.handler("from . import helpers\n")
    write(project.fn / "helpers.py")
    assert project.check() == [
        (
            f"{handler}:1",
            f"`from . import helpers` is a relative import in a top-level module: Lambda imports "
            f"{handler} as a top-level module, so it raises ImportError (attempted relative import "
            "with no known parent package). Import it absolutely (`import x` / `from x import y`).",
        )
    ]


def test_namespace_packages_merge_across_roots(project: Project) -> None:
    write(project.installed / "google" / "protobuf" / "__init__.py")
    write(project.layer / "google" / "cloud" / "storage" / "__init__.py")
    handler = project.handler(
        "import google.protobuf\nfrom google.cloud import storage\nimport google.nothing\n"
    )
    ((path, message),) = project.check()
    assert path == f"{handler}:3"
    assert (
        "'google' is found in module layer orders_common (layers/orders_common) but has no module 'nothing'"
    ) in message


def test_extension_modules_load_by_linux_suffix_only(project: Project) -> None:
    write(project.layer / "fast.cpython-311-x86_64-linux-gnu.so", b"\x7fELF")
    write(project.layer / "abi.abi3.so", b"\x7fELF")
    write(project.layer / "mac.cpython-311-darwin.so", b"\xcf\xfa\xed\xfe")
    write(project.layer / "orders_common" / "_speed.so", b"\x7fELF")
    project.handler("import fast\nimport abi\nimport orders_common._speed\nimport mac\n")
    assert [p.rsplit(":", 1)[1] for p, _ in project.check()] == ["4"]


def test_python_precedence_a_module_beats_a_later_namespace_and_a_plain_module_ends_the_check(
    project: Project,
) -> None:
    write(project.installed / "vendored.py")
    write(project.layer / "vendored" / "real.py")
    project.handler("import vendored.moves.anything\n")
    assert project.check() == []  # vendored.py wins; below a plain module nothing is required


def test_a_package_earlier_on_the_path_shadows_later_ones(project: Project) -> None:
    write(project.fn / "orders_common" / "__init__.py")
    handler = project.handler("from orders_common.models import Order\n")
    ((path, message),) = project.check()
    assert path == f"{handler}:1" and "'orders_common' is found in the function folder" in message


def test_dynamic_imports_with_a_literal_name_are_checked(project: Project) -> None:
    handler = project.handler(
        "import importlib\n"
        "name = 'x'\n"
        "importlib.import_module(name)\n"
        "importlib.import_module('.rel', package='pkg')\n"
        "importlib.import_module('plugins.csv_export')\n"
        "__import__('json')\n"
    )
    ((path, message),) = project.check()
    assert path == f"{handler}:5"
    assert message.startswith("`import_module('plugins.csv_export')`: no module named 'plugins'")


@pytest.mark.parametrize(
    ("source", "line", "why"),
    [
        (b"def broken(:\n", 1, "does not parse (invalid syntax)"),
        (b"x = 'caf\xe9'\n", 1, "is not utf-8 text (byte 0xe9 on line 1); Python reads source files"),
    ],
)
def test_an_unparseable_handler_is_a_violation_not_a_crash(
    project: Project, source: bytes, line: int, why: str
) -> None:
    handler = project.handler(source)
    ((path, message),) = project.check()
    assert path == f"{handler}:{line}"
    assert message.startswith(f"{handler} {why}")
    assert message.endswith(
        "its imports cannot be checked, and Lambda would fail to import it. Fix the file."
    )


def test_a_broken_local_module_is_reported_where_it_breaks(project: Project) -> None:
    project.handler("import helpers\n")
    write(project.fn / "helpers.py", "\n\ndef f(:\n")
    assert [p for p, _ in project.check()] == [f"{project.fn / 'helpers.py'}:3"]


def test_the_runtime_data_is_python_311s_stdlib_and_the_sdk() -> None:
    runtime = lambda_runtime()
    assert sys.version_info[:2] != (3, 11) or runtime.stdlib == frozenset(sys.stdlib_module_names)
    for name in ("asyncio", "tomllib", "distutils", "__future__", "json", "boto3", "dateutil", "six"):
        assert runtime.provides(name), name
    for name in ("pip", "requests", "yaml", "pydantic", "setuptools"):
        assert not runtime.provides(name), name
    assert runtime.distributions == frozenset(
        {"boto3", "botocore", "jmespath", "python-dateutil", "s3transfer", "six", "urllib3"}
    )
    with pytest.raises(ValueError, match="outside a"):
        parse_runtime("json\n")


def test_display_root_shortens_paths(project: Project) -> None:
    project.handler("import nope\n")
    (violation,) = check_imports(project.fn, project.roots[:1], display_root=project.root)
    assert violation.path == "lambdas/orders-api/lambda_function.py:1"
    assert "in the function folder (lambdas/orders-api)" in violation.message


def test_one_scandir_per_folder_across_functions(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    project.handler("import requests\nimport orders_common.models\nimport cora_runtime\n")
    other = project.root / "lambdas" / "other"
    write(other / "lambda_function.py", "import orders_common\nimport requests.adapters\n")
    scanned: list[str] = []
    real = os.scandir

    def counting(path: str | os.PathLike[str]) -> Iterator[os.DirEntry[str]]:
        scanned.append(os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", counting)
    checker = ImportChecker()
    assert project.check(checker) == []
    roots = [ImportRoot.function(other), *project.roots[1:]]
    assert checker.check(other, roots) == []
    assert len(scanned) == len(set(scanned))
    assert str(project.layer) in scanned and str(project.layer / "orders_common") in scanned
