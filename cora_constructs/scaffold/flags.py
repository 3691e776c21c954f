"""The CDK feature flags a new project's cdk.json carries: those `cdk init` writes for the
aws-cdk-lib version cora-constructs pins, shipped as package data (no aws_cdk import)."""

from __future__ import annotations

import importlib.util
import json
import tarfile
from pathlib import Path
from typing import Any

FLAGS_FILE = Path(__file__).resolve().parents[1] / "data" / "cdk_feature_flags.json"
_RECOMMENDED_MEMBER = "package/recommended-feature-flags.json"


def recommended_flags() -> dict[str, Any]:
    """The shipped flags, name -> recommended value, in aws-cdk-lib's order."""
    document = json.loads(FLAGS_FILE.read_text(encoding="utf-8"))
    flags: dict[str, Any] = document["flags"]
    return flags


def flags_lib_version() -> str:
    """The aws-cdk-lib version the shipped flags were read from."""
    return str(json.loads(FLAGS_FILE.read_text(encoding="utf-8"))["aws-cdk-lib"])


def render_flags_file(version: str, flags: dict[str, Any]) -> str:
    return json.dumps({"aws-cdk-lib": version, "flags": flags}, indent=2) + "\n"


def installed_recommended_flags() -> tuple[str, dict[str, Any]]:
    """(version, flags) read from the installed aws-cdk-lib's jsii bundle, without importing it."""
    spec = importlib.util.find_spec("aws_cdk")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("aws-cdk-lib is not installed")
    jsii_dir = Path(next(iter(spec.submodule_search_locations))) / "_jsii"
    (bundle,) = sorted(jsii_dir.glob("aws-cdk-lib@*.jsii.tgz"))
    version = bundle.name.removeprefix("aws-cdk-lib@").removesuffix(".jsii.tgz")
    with tarfile.open(bundle) as archive:
        member = archive.extractfile(_RECOMMENDED_MEMBER)
        if member is None:
            raise FileNotFoundError(f"{bundle} has no {_RECOMMENDED_MEMBER}")
        flags: dict[str, Any] = json.loads(member.read())
    return version, flags
