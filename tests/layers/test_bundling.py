"""The org layer bundle: built for Lambda's Linux without Docker, checked, cached by content."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from cora_constructs.dependencies.binaries import classify, find_native_files
from cora_constructs.dependencies.bundle import (
    COMPLETE_MARKER,
    ComposedLayer,
    LayerBuildError,
    LayerSource,
    bundle_layer,
    layer_fingerprint,
)
from cora_constructs.dependencies.pip import pip_command
from cora_constructs.layers.org_layer import org_layer_parts
from cora_constructs.project import ProjectContext

ELF_X86_64 = b"\x7fELF\x02\x01\x01" + b"\0" * 11 + b"\x3e\x00" + b"\0" * 44
ELF_AARCH64 = b"\x7fELF\x02\x01\x01" + b"\0" * 11 + b"\xb7\x00" + b"\0" * 44
MACHO_64 = b"\xcf\xfa\xed\xfe" + b"\0" * 60
PE = b"MZ" + b"\0" * 62


def make_layer(root: Path, requirements: str = "PyJWT==2.15.1\n") -> LayerSource:
    (root / "python" / "org_common").mkdir(parents=True)
    (root / "python" / "org_common" / "__init__.py").write_text('"""org."""\n')
    (root / "requirements.txt").write_text(requirements)
    return LayerSource(root)


def never_run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    raise AssertionError(f"pip must not run: {command}")


def fake_pip(files: dict[str, bytes], returncode: int = 0, calls: list[list[str]] | None = None):  # type: ignore[no-untyped-def]
    """A runner that stands in for pip: writes ``files`` into the -t target."""

    def run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        if calls is not None:
            calls.append(list(command))
        target = Path(command[command.index("-t") + 1])
        for name, data in files.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
        return subprocess.CompletedProcess(command, returncode, "", "ERROR: no matching distribution")

    return run


def test_pip_command_targets_lambda_linux() -> None:
    command = pip_command(Path("r.txt"), Path("out/python"))
    text = " ".join(command)
    assert (
        "install --platform manylinux2014_x86_64 --implementation cp --python-version 3.11 --abi cp311 "
        "--only-binary=:all:" in text
    )
    assert text.endswith("-r r.txt -t out/python")
    assert "--no-index" not in command


def test_wheelhouse_replaces_the_index() -> None:
    command = pip_command(Path("r.txt"), Path("o"), wheelhouse=Path("/wheels"))
    assert command[-3:] == ["--no-index", "--find-links", "/wheels"]


def test_fingerprint_changes_with_requirements_and_sources_only(tmp_path: Path) -> None:
    source = make_layer(tmp_path / "layer")
    first = layer_fingerprint(source)
    assert first == layer_fingerprint(source)
    (source.python_dir / "org_common" / "__pycache__").mkdir()
    (source.python_dir / "org_common" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"junk")
    assert layer_fingerprint(source) == first
    (source.requirements).write_text("PyJWT==2.15.1\n# a comment only\n")
    assert layer_fingerprint(source) == first
    (source.requirements).write_text("PyJWT==2.15.0\n")
    second = layer_fingerprint(source)
    assert second != first
    (source.python_dir / "org_common" / "__init__.py").write_text('"""org, changed."""\n')
    assert layer_fingerprint(source) not in (first, second)


def test_fingerprint_covers_the_layers_below(tmp_path: Path) -> None:
    source = make_layer(tmp_path / "layer")
    alone = layer_fingerprint(source)
    on_org = layer_fingerprint(source, ["org-v1"])
    assert len({alone, on_org, layer_fingerprint(source, ["org-v2"])}) == 3  # a new org pin rebuilds it
    assert layer_fingerprint(source, ["org-v1"]) == on_org


def test_cache_hit_runs_no_pip(tmp_path: Path) -> None:
    source = make_layer(tmp_path / "layer")
    calls: list[list[str]] = []
    built = bundle_layer(source, tmp_path / "cache", runner=fake_pip({"jwt/__init__.py": b""}, calls=calls))
    assert len(calls) == 1
    assert (built / COMPLETE_MARKER).is_file()
    assert (built / "python" / "jwt" / "__init__.py").is_file()
    assert (built / "python" / "org_common" / "__init__.py").is_file()
    again = bundle_layer(source, tmp_path / "cache", runner=never_run)
    assert again == built


def test_empty_requirements_run_no_pip(tmp_path: Path) -> None:
    source = make_layer(tmp_path / "layer", requirements="# nothing\n")
    built = bundle_layer(source, tmp_path / "cache", runner=never_run)
    assert (built / "python" / "org_common" / "__init__.py").is_file()


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        ("crypto/_rust.abi3.so", MACHO_64, "Mach-O"),
        ("crypto/_speed.pyd", PE, "PE"),
        ("crypto/_arm.so", ELF_AARCH64, "ELF AArch64"),
        ("crypto/_fake.so", b"not really a library", "native library"),
    ],
)
def test_foreign_binaries_fail_the_build_naming_the_file(
    tmp_path: Path, name: str, data: bytes, what: str
) -> None:
    source = make_layer(tmp_path / "layer")
    cache = tmp_path / "cache"
    with pytest.raises(LayerBuildError) as caught:
        bundle_layer(source, cache, runner=fake_pip({name: data}))
    assert f"python/{name} is {what}" in str(caught.value)
    assert "not ELF x86-64" in str(caught.value)
    assert list(cache.iterdir()) == []  # nothing half-built is left behind


def test_macho_in_layer_source_fails_too(tmp_path: Path) -> None:
    source = make_layer(tmp_path / "layer", requirements="")
    (source.python_dir / "org_common" / "_native.so").write_bytes(MACHO_64)
    with pytest.raises(LayerBuildError, match=r"python/org_common/_native.so is Mach-O"):
        bundle_layer(source, tmp_path / "cache", runner=never_run)


def test_pip_failure_is_reported_with_the_fix(tmp_path: Path) -> None:
    source = make_layer(tmp_path / "layer")
    with pytest.raises(LayerBuildError) as caught:
        bundle_layer(source, tmp_path / "cache", runner=fake_pip({}, returncode=1))
    assert "no matching distribution" in str(caught.value)
    assert "manylinux2014" in str(caught.value)
    assert list((tmp_path / "cache").iterdir()) == []


def test_elf_x86_64_passes(tmp_path: Path) -> None:
    source = make_layer(tmp_path / "layer")
    built = bundle_layer(source, tmp_path / "cache", runner=fake_pip({"c/_ok.so": ELF_X86_64}))
    assert (built / "python" / "c" / "_ok.so").is_file()


def test_classify() -> None:
    assert str(classify(ELF_X86_64)) == "ELF x86-64"
    assert classify(ELF_X86_64).is_lambda_compatible  # type: ignore[union-attr]
    assert str(classify(ELF_AARCH64)) == "ELF AArch64"
    assert str(classify(MACHO_64)) == "Mach-O"
    assert str(classify(PE)) == "PE"
    assert classify(b"#!/usr/bin/env python\n") is None
    assert classify(b"") is None


@pytest.mark.bundling
def test_real_org_layer_bundle(tmp_path: Path) -> None:
    """Downloads the org layer's pinned requirements for manylinux2014_x86_64, composes them with
    the packaged runtime and a project's own org_common, and checks every binary."""
    project = ProjectContext(root=tmp_path / "p", project="cora", environment="dev", app="infra")
    make_layer(project.root / "layers" / "org_common", requirements="")
    layer = ComposedLayer.of(org_layer_parts(project))
    built = bundle_layer(layer, tmp_path / "cache")
    python = built / "python"
    for package in ("jwt", "cryptography", "certifi", "cora_runtime", "org_common"):
        assert (python / package).is_dir(), package
    natives = find_native_files(python)
    assert natives, "cryptography ships compiled extensions"
    assert all(kind.is_lambda_compatible for _path, kind in natives)
    assert any(path.name.endswith(".so") for path, _ in natives)
    # The second build of unchanged inputs is a cache hit: no pip.
    assert (
        bundle_layer(ComposedLayer.of(org_layer_parts(project)), tmp_path / "cache", runner=never_run)
        == built
    )
