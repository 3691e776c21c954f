"""Shared test setup: the project root, and quiet, fast jsii for every test session."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Set before aws_cdk starts its Node process: quiet the Node 20 notice, skip CDK's own
# template validation (about 2 s a synth; the main job keeps it on).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_VALIDATION", "false")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@dataclass(frozen=True)
class Synthesized:
    """The reference app (both apps) synthesized once: its cloud assembly and templates."""

    outdir: Path
    templates: dict[str, dict[str, Any]]


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from stacks import build_apps
    from tests.cdk_helpers import new_app, read_templates

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir)
    build_apps(app)
    app.synth()
    return Synthesized(outdir, read_templates(outdir))
