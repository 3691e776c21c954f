"""A one-app synth (`cdk synth -c app=stack`) is never taken for an app whose infra half is gone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cora_constructs.assembly.reader import SYNTHESIZED_APPS, synthesized_apps
from manifest_gen.model import MANIFEST_PATH
from tests.conftest import Synthesized
from tests.manifest_gen.conftest import GeneratedProject, run_cli


def mark(cdk_out: Path, apps: list[str]) -> None:
    """Record ``apps`` as the library's apps do: construct metadata of one stack (here the last
    stack artifact, so the reader must look past the others)."""
    manifest_file = cdk_out / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    stacks = sorted(k for k, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack")
    manifest["artifacts"][stacks[-1]]["metadata"] = {
        f"/{stacks[-1]}": [{"type": SYNTHESIZED_APPS, "data": apps}]
    }
    manifest_file.write_text(json.dumps(manifest))


def test_unmarked_assemblies_say_nothing(generated: GeneratedProject) -> None:
    assert synthesized_apps(generated.cdk_out) is None


def test_marked_assembly(generated: GeneratedProject) -> None:
    mark(generated.cdk_out, ["infra", "stack"])
    assert synthesized_apps(generated.cdk_out) == {"infra", "stack"}
    assert run_cli(*generated.args("check")) == 0


@pytest.mark.parametrize("command", ["check", "generate"])
def test_a_stack_only_assembly_is_refused_and_nothing_is_written(
    generated: GeneratedProject, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = generated.root / MANIFEST_PATH
    before = {p: p.read_bytes() for p in generated.root.rglob("*") if p.is_file()}
    mark(generated.cdk_out, ["stack"])
    assert run_cli(*generated.args(command)) == 2
    err = capsys.readouterr().err
    assert "synthesized without the infra app" in err
    assert str(MANIFEST_PATH) in err and "cora synth" in err
    assert {p: p.read_bytes() for p in generated.root.rglob("*") if p.is_file()} == before
    assert manifest.is_file()


@pytest.mark.synth
def test_the_reference_app_records_both_apps(reference: Synthesized) -> None:
    assert synthesized_apps(reference.outdir) == {"infra", "stack"}
    # On one stack: every stack is in the one assembly a synth writes.
    marked = [
        path for path in reference.outdir.glob("*.metadata.json") if SYNTHESIZED_APPS in path.read_text()
    ]
    manifest = (reference.outdir / "manifest.json").read_text()
    assert len(marked) + manifest.count(f'"{SYNTHESIZED_APPS}"') == 1


def test_a_first_generate_from_a_stack_only_assembly_is_refused_too(
    generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """No manifest yet lists the infra app's Lambdas: the one-app assembly is still not the app."""
    for path in [generated.root / MANIFEST_PATH, *(generated.root / ".github" / "workflows").glob("*.yml")]:
        path.unlink()
    mark(generated.cdk_out, ["stack"])
    assert run_cli(*generated.args("generate")) == 2
    assert "synthesized without the infra app" in capsys.readouterr().err
    assert not (generated.root / MANIFEST_PATH).exists()
