"""The cora-constructs wheel, built once per session, and a virtualenv of the test's own holding it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.example.wheel_env import CDK_BIN, Installed, build_wheel, install


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (CDK_BIN / "cdk").exists():
        pytest.fail("the CDK CLI is not installed: run `npm ci` (scripts/setup_and_synth.sh does)")
    return build_wheel(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def layer_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("layer-cache")


@pytest.fixture(scope="session")
def installed(wheel: Path, layer_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel in a virtualenv of this interpreter (Python 3.11 in CI)."""
    return install(sys.executable, wheel, tmp_path_factory.mktemp("wheel") / "venv", layer_cache)
