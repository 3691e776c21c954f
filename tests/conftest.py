"""Shared test setup: the project root, and quiet, fast jsii for every test session."""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

# Set before aws_cdk starts its Node process: quiet the Node 20 notice, skip CDK's own
# template validation (about 2 s a synth; the main job keeps it on).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_VALIDATION", "false")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def load_module(path: Path, name: str) -> ModuleType:
    """Execute the module at ``path`` under ``name``.

    Every Lambda in the repo is a ``lambda_function`` module: loading each by file under its own
    name keeps one from shadowing another in ``sys.modules``.
    """
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]  # a module that failed to load is not left behind
        raise
    return module


@dataclass(frozen=True)
class Synthesized:
    """The reference app (both apps) synthesized once: its cloud assembly and templates."""

    outdir: Path
    templates: dict[str, dict[str, Any]]


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from cora_constructs.apps import CoraApp
    from stacks import MODULE_STACKS
    from tests.cdk_helpers import new_app, read_templates

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir)
    CoraApp(app, module_stacks=MODULE_STACKS)
    app.synth()
    return Synthesized(outdir, read_templates(outdir))
