"""The org layer is composed: the packaged runtime and pins, plus the project's own org layer folder."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from cora_constructs import CoraValidationError, packaged
from cora_constructs.dependencies.bundle import (
    ComposedLayer,
    LayerBuildError,
    LayerSource,
    bundle_layer,
    default_cache_root,
    layer_fingerprint,
)
from cora_constructs.layers.org_layer import org_layer_parts, watch_of
from cora_constructs.project import ProjectContext


def project(root: Path, **settings: str) -> ProjectContext:
    root.mkdir(parents=True, exist_ok=True)
    return ProjectContext(root=root, project="shop", environment="dev", app="infra", settings=settings)


def team_org_layer(root: Path, requirements: str = "six==1.16.0\n", package: str = "org_common") -> Path:
    folder = root / "layers" / "org_common"
    (folder / "python" / package).mkdir(parents=True)
    (folder / "python" / package / "__init__.py").write_text('"""The team\'s shared code."""\n')
    (folder / "requirements.txt").write_text(requirements)
    return folder


def pip_writes(files: dict[str, bytes]):  # type: ignore[no-untyped-def]
    def run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        target = Path(command[command.index("-t") + 1])
        for name, data in files.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
        return subprocess.CompletedProcess(command, 0, "", "")

    return run


def test_a_project_without_an_org_layer_gets_the_packaged_runtime_alone(tmp_path: Path) -> None:
    parts = org_layer_parts(project(tmp_path / "p"))
    assert [part.root for part in parts] == [packaged.ORG_LAYER_DIR]
    assert parts[0].packages == (packaged.RUNTIME_PACKAGE,)
    built = bundle_layer(
        ComposedLayer.of(parts), tmp_path / "cache", runner=pip_writes({"jwt/__init__.py": b""})
    )
    assert (built / "python" / "cora_runtime" / "routing.py").is_file()
    assert not (built / "python" / "org_common").exists()


def test_the_project_org_layer_is_composed_with_the_runtime(tmp_path: Path) -> None:
    context = project(tmp_path / "p")
    team_org_layer(context.root)
    layer = ComposedLayer.of(org_layer_parts(context))
    assert layer.problems == ()
    assert "six==1.16.0" in layer.requirement_lines() and "cryptography==50.0.2" in layer.requirement_lines()
    calls: list[str] = []

    def pip(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        calls.append(Path(command[command.index("-r") + 1]).read_text())
        return pip_writes({"six.py": b""})(command)

    built = bundle_layer(layer, tmp_path / "cache", runner=pip)
    python = built / "python"
    assert (python / "org_common" / "__init__.py").is_file() and (python / "cora_runtime").is_dir()
    assert "six==1.16.0" in calls[0] and "PyJWT==2.15.1" in calls[0]  # one pip run for both sets


def test_a_package_in_both_is_an_error_never_an_overwrite(tmp_path: Path) -> None:
    context = project(tmp_path / "p")
    team_org_layer(context.root, package="cora_runtime")
    layer = ComposedLayer.of(org_layer_parts(context))
    assert len(layer.problems) == 1
    assert "package 'cora_runtime' is provided by both cora-constructs" in layer.problems[0]
    with pytest.raises(LayerBuildError, match=r"CORA-F1 .*is provided by both"):
        bundle_layer(layer, tmp_path / "cache")


def test_two_pins_of_one_package_are_an_error(tmp_path: Path) -> None:
    context = project(tmp_path / "p")
    team_org_layer(context.root, requirements="Cryptography==49.0.0\n")
    (problem,) = ComposedLayer.of(org_layer_parts(context)).problems
    assert "requirement 'cryptography' is pinned as 'cryptography==50.0.2'" in problem
    assert "'Cryptography==49.0.0'" in problem


def test_a_package_pip_installed_and_shipped_by_the_team_is_an_error(tmp_path: Path) -> None:
    context = project(tmp_path / "p")
    team_org_layer(context.root, package="jwt")
    with pytest.raises(LayerBuildError, match="would replace 'jwt'"):
        bundle_layer(
            ComposedLayer.of(org_layer_parts(context)),
            tmp_path / "cache",
            runner=pip_writes({"jwt/x.py": b""}),
        )
    assert [p for p in (tmp_path / "cache").iterdir()] == []


def test_a_named_org_layer_folder_must_exist(tmp_path: Path) -> None:
    with pytest.raises(CoraValidationError) as caught:
        org_layer_parts(project(tmp_path / "p", **{"cora:orgLayerDir": "shared/org"}))
    assert caught.value.codes == ("CORA-F1",)


def test_the_hash_covers_the_runtime_the_team_code_and_the_pins(tmp_path: Path) -> None:
    context = project(tmp_path / "p")
    alone = layer_fingerprint(ComposedLayer.of(org_layer_parts(context)))
    folder = team_org_layer(context.root)
    composed = layer_fingerprint(ComposedLayer.of(org_layer_parts(context)))
    (folder / "python" / "org_common" / "__init__.py").write_text('"""Changed."""\n')
    changed = layer_fingerprint(ComposedLayer.of(org_layer_parts(context)))
    assert len({alone, composed, changed}) == 3
    # A runtime file changes it too: upgrading cora-constructs publishes a new layer version.
    runtime_copy = tmp_path / "runtime" / "cora_runtime"
    runtime_copy.mkdir(parents=True)
    (runtime_copy / "__init__.py").write_text("x = 1\n")
    one = layer_fingerprint(LayerSource(packaged.ORG_LAYER_DIR, packages=(runtime_copy,)))
    (runtime_copy / "__init__.py").write_text("x = 2\n")
    assert layer_fingerprint(LayerSource(packaged.ORG_LAYER_DIR, packages=(runtime_copy,))) != one


def test_deploys_watch_project_folders_and_the_pins_of_what_is_packaged(tmp_path: Path) -> None:
    context = project(tmp_path / "p")
    team_org_layer(context.root)
    watch = watch_of(org_layer_parts(context), context.root)
    assert watch.folders == ("layers/org_common",)
    assert watch.packaged  # the runtime comes from the installed package


def test_the_cache_is_per_user_and_overridable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CORA_LAYER_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_root() == tmp_path / "home" / ".cache" / "cora-constructs" / "layers"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_root() == tmp_path / "xdg" / "cora-constructs" / "layers"
    monkeypatch.setenv("CORA_LAYER_CACHE", str(tmp_path / "mine"))
    assert default_cache_root() == tmp_path / "mine"


def test_a_second_project_with_the_same_inputs_runs_no_pip(tmp_path: Path) -> None:
    def never(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        raise AssertionError("pip must not run")

    first = bundle_layer(
        ComposedLayer.of(org_layer_parts(project(tmp_path / "clone-1"))),
        tmp_path / "cache",
        runner=pip_writes({"jwt/__init__.py": b""}),
    )
    second = bundle_layer(
        ComposedLayer.of(org_layer_parts(project(tmp_path / "clone-2"))), tmp_path / "cache", runner=never
    )
    assert first == second
