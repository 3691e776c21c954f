"""The feature flags and toolchain pins `cora init` ships match what they are copied from."""

from __future__ import annotations

import json
import tomllib

import pytest

from cora_constructs.scaffold.flags import flags_lib_version, installed_recommended_flags, recommended_flags
from cora_constructs.scaffold.toolchain import (
    AWS_CDK_LIB_VERSION,
    CDK_CLI_VERSION,
    MINIMUM_CDK_CLI,
    cdk_cli_problem,
    parse_version,
)
from tests.conftest import ROOT, Synthesized


def test_the_shipped_flags_are_those_the_installed_aws_cdk_lib_recommends() -> None:
    version, flags = installed_recommended_flags()
    assert (flags_lib_version(), recommended_flags()) == (version, flags), (
        "aws-cdk-lib changed: run `python scripts/update_cdk_feature_flags.py`"
    )
    assert len(flags) > 50 and flags["@aws-cdk/core:checkSecretUsage"] is True


def test_the_cdk_cli_init_template_recommends_the_same_flags() -> None:
    templates = ROOT / "node_modules" / "aws-cdk" / "lib" / "init-templates"
    if not templates.is_dir():
        pytest.skip("the CDK CLI is not installed (npm ci)")
    made_for = json.loads((templates / ".init-version.json").read_text())["aws-cdk-lib"]
    if made_for.lstrip("^~") != AWS_CDK_LIB_VERSION:
        pytest.skip(f"the CDK CLI's init templates are for aws-cdk-lib {made_for}, not {AWS_CDK_LIB_VERSION}")
    assert json.loads((templates / ".recommended-feature-flags.json").read_text()) == recommended_flags()


@pytest.mark.parametrize("cdk_json", ["cdk.json", "examples/team-project/cdk.json"])
def test_the_reference_and_team_apps_carry_every_flag(cdk_json: str) -> None:
    context = json.loads((ROOT / cdk_json).read_text())["context"]
    assert {name: context.get(name) for name in recommended_flags()} == recommended_flags()


def test_the_pins_match_the_project_files() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert f"aws-cdk-lib=={AWS_CDK_LIB_VERSION}" in pyproject["project"]["dependencies"]
    assert flags_lib_version() == AWS_CDK_LIB_VERSION
    package = json.loads((ROOT / "package.json").read_text())
    assert package["devDependencies"]["aws-cdk"] == CDK_CLI_VERSION


@pytest.mark.synth
def test_the_minimum_cli_is_what_the_library_writes_into_the_assembly(reference: Synthesized) -> None:
    manifest = json.loads((reference.outdir / "manifest.json").read_text())
    assert parse_version(manifest["minimumCliVersion"]) == MINIMUM_CDK_CLI


@pytest.mark.parametrize(
    ("version", "verdict"),
    [
        ("2.1148.1 (build 4c2b0f6)", None),
        ("2.1148.0", None),
        ("2.2000.0", None),
        ("2.1100.3", "older than 2.1148.0"),
        ("2.170.0", "older than 2.1148.0"),
        ("3.0.0", "not a 2.x CLI"),
    ],
)
def test_which_cdk_cli_can_deploy_the_app(version: str, verdict: str | None) -> None:
    parsed = parse_version(version)
    assert parsed is not None
    problem = cdk_cli_problem(parsed)
    assert (problem is None) if verdict is None else (problem is not None and verdict in problem)
