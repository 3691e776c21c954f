"""What cora-constructs ships for a project to deploy: the runtime, the org layer's pinned
requirements and the org authorizer, found wherever the package is installed (no CDK import).

A project never copies these: upgrading cora-constructs changes them, which changes the org
layer's asset hash (a new layer version) and the authorizer's code hash (a new function version).
"""

from __future__ import annotations

from functools import cache
from importlib import metadata
from pathlib import Path

import cora_runtime

PACKAGE_DIR = Path(__file__).resolve().parent
DISTRIBUTION = "cora-constructs"

RUNTIME_PACKAGE = Path(cora_runtime.__file__).resolve().parent
"""The ``cora_runtime`` package, placed in the org layer as ``python/cora_runtime``."""

ORG_LAYER_DIR = PACKAGE_DIR / "org_layer"
"""Holds ``requirements.txt``: the org layer's pinned third-party packages."""

AUTHORIZER_DIR = PACKAGE_DIR / "authorizer"
"""The org authorizer's source folder (``lambda_function.py``), deployed by the infra app."""

_INSTALL_DIRS = frozenset({"site-packages", "dist-packages"})


@cache
def version() -> str:
    """The installed cora-constructs version (``0+unknown`` when run from a bare source tree),
    read once per process (the distribution's metadata is found by a walk of ``sys.path``)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def is_installed_path(path: Path) -> bool:
    """True when ``path`` lies in an installed distribution (a site-packages folder), so it is
    not a source of the project even when the virtualenv sits inside the project folder."""
    return any(part in _INSTALL_DIRS for part in path.resolve().parts)


DEPENDENCY_FILES = (
    "requirements.txt",
    "requirements-dev.txt",
    "requirements-cdk.txt",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "Pipfile.lock",
    "poetry.lock",
    "uv.lock",
)
"""Files where a project declares (and pins) its cora-constructs version: a change to any of
them can upgrade what the package ships, so deploy workflows of packaged code watch them."""


def dependency_files(project_root: Path) -> list[str]:
    """The dependency declaration files the project really has, relative to its root."""
    return [name for name in DEPENDENCY_FILES if (project_root / name).is_file()]
