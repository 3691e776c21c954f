"""A Lambda's own requirements: installed for manylinux, cached, runtime packages left out,
compiled packages refused with the layer fix (a fake pip for the logic, real pip once)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cora_constructs.binaries import find_native_files
from cora_constructs.functions.dependencies import (
    COMPLETE_MARKER,
    FunctionDependencyError,
    bundle_function_dependencies,
    plan_dependencies,
    requirement_lines,
    requirement_name,
    requirements_fingerprint,
)
from cora_constructs.layers.bundling import pip_command

ELF_X86_64 = b"\x7fELF\x02\x01\x01" + b"\0" * 11 + b"\x3e\x00" + b"\0" * 44


@dataclass
class Wheel:
    """One distribution of the fake index: its files for manylinux and, if any, its pure wheel."""

    version: str
    files: dict[str, bytes]
    requires: tuple[str, ...] = ()
    pure: dict[str, bytes] | None = None


INDEX = {
    "requests": Wheel("2.32.3", {"requests/__init__.py": b""}, ("charset-normalizer", "idna")),
    "idna": Wheel("3.7", {"idna/__init__.py": b""}),
    "charset-normalizer": Wheel(
        "3.4.0",
        {
            "charset_normalizer/__init__.py": b"",
            "charset_normalizer/md.cpython-311-x86_64-linux-gnu.so": ELF_X86_64,
        },
        pure={"charset_normalizer/__init__.py": b"", "charset_normalizer/md.py": b""},
    ),
    "psycopg2-binary": Wheel(
        "2.9.9",
        {
            "psycopg2/__init__.py": b"",
            "psycopg2/_psycopg.cpython-311-x86_64-linux-gnu.so": ELF_X86_64,
            "psycopg2_binary.libs/libpq-1.so.5": ELF_X86_64,
        },
    ),
    "pydantic": Wheel("2.9.2", {"pydantic/__init__.py": b""}, ("pydantic-core", "annotated-types")),
    "pydantic-core": Wheel(
        "2.23.4",
        {
            "pydantic_core/__init__.py": b"",
            "pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so": ELF_X86_64,
        },
    ),
    "annotated-types": Wheel("0.7.0", {"annotated_types/__init__.py": b""}),
}


@dataclass
class FakePip:
    """Stands in for pip: installs INDEX wheels (and their requirements) into the -t target."""

    returncode: int = 0
    calls: list[list[str]] = field(default_factory=list)
    requirement_files: list[str] = field(default_factory=list)

    def __call__(self, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        command = list(command)
        self.calls.append(command)
        text = Path(command[command.index("-r") + 1]).read_text()
        self.requirement_files.append(text)
        if self.returncode:
            return subprocess.CompletedProcess(
                command, self.returncode, "", "ERROR: No matching distribution"
            )
        target = Path(command[command.index("-t") + 1])
        pure_only = command[command.index("--platform") + 1] == "any"
        wanted = [requirement_name(line) for line in text.splitlines() if line.strip()]
        done: set[str] = set()
        while wanted:
            name = wanted.pop()
            if name is None or name in done:
                continue
            done.add(name)
            wheel = INDEX[name]
            files = wheel.pure if pure_only else wheel.files
            if files is None:
                return subprocess.CompletedProcess(command, 1, "", f"ERROR: no pure wheel for {name}")
            dist_info = target / f"{name.replace('-', '_')}-{wheel.version}.dist-info"
            dist_info.mkdir(parents=True)
            requires = "".join(f"Requires-Dist: {r}\n" for r in wheel.requires)
            (dist_info / "METADATA").write_text(
                f"Metadata-Version: 2.1\nName: {name}\nVersion: {wheel.version}\n{requires}"
            )
            record = [f"{path},sha256=x,1" for path in files] + [
                f"{dist_info.name}/METADATA,,",
                "../../bin/tool,,",
            ]
            (dist_info / "RECORD").write_text("\n".join(record) + "\n")
            for path, data in files.items():
                (target / path).parent.mkdir(parents=True, exist_ok=True)
                (target / path).write_bytes(data)
            if "--no-deps" not in command:
                wanted += list(wheel.requires)
        return subprocess.CompletedProcess(command, 0, "", "")


def never_run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    raise AssertionError(f"pip must not run: {command}")


def requirements(root: Path, text: str) -> Path:
    folder = root / "packages" / "module-orders" / "backend" / "lambdas" / "orders-api"
    folder.mkdir(parents=True)
    (folder / "requirements.txt").write_text(text)
    return folder / "requirements.txt"


def leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_runtime_packages_are_dropped_with_a_warning_and_the_rest_installed(tmp_path: Path) -> None:
    req = requirements(
        tmp_path, "boto3==1.35.0  # the SDK\nrequests==2.32.3\npython_dateutil\nBotocore>=1.30\n"
    )
    pip = FakePip()
    result = bundle_function_dependencies(req, tmp_path / "cache", runner=pip)
    assert result.warnings == (
        f"{req}:1: `boto3==1.35.0` is not installed: the python3.11 Lambda runtime provides boto3 "
        "(the runtime's version, not the one asked for here). Delete the line; if the function "
        "needs another version, pin it in a layer's requirements.txt.",
        f"{req}:3: `python_dateutil` is not installed: the python3.11 Lambda runtime provides "
        "python-dateutil (the runtime's version, not the one asked for here). Delete the line; if "
        "the function needs another version, pin it in a layer's requirements.txt.",
        f"{req}:4: `Botocore>=1.30` is not installed: the python3.11 Lambda runtime provides "
        "botocore (the runtime's version, not the one asked for here). Delete the line; if the "
        "function needs another version, pin it in a layer's requirements.txt.",
    )
    assert pip.requirement_files[0] == "requests==2.32.3\n"
    first = pip.calls[0]
    filtered = Path(first[first.index("-r") + 1])
    site = Path(first[first.index("-t") + 1])
    assert first == pip_command(filtered, site)
    assert result.folder == tmp_path / "cache" / result.fingerprint / "site"
    assert (result.folder / "requests" / "__init__.py").is_file()
    assert (result.folder.parent / COMPLETE_MARKER).read_text() == result.fingerprint + "\n"
    assert leftovers(tmp_path / "cache") == [result.fingerprint]


def test_a_compiled_dependency_with_a_pure_wheel_of_the_same_version_is_swapped(tmp_path: Path) -> None:
    req = requirements(tmp_path, "requests==2.32.3\n")
    pip = FakePip()
    result = bundle_function_dependencies(req, tmp_path / "cache", runner=pip, wheelhouse=tmp_path / "wh")
    assert result.folder is not None
    assert find_native_files(result.folder) == []
    assert (result.folder / "charset_normalizer" / "md.py").is_file()
    assert [d.name for d in sorted(result.folder.glob("*.dist-info"))] == [
        "charset_normalizer-3.4.0.dist-info",
        "idna-3.7.dist-info",
        "requests-2.32.3.dist-info",
    ]
    pure = pip.calls[1]
    assert pip.requirement_files[1] == "charset-normalizer==3.4.0\n"
    assert pure[pure.index("--platform") + 1] == "any" and pure[-1] == "--no-deps"
    assert pure[pure.index("--find-links") + 1] == str(tmp_path / "wh") and "--no-index" in pure


def test_only_runtime_packages_means_no_pip_and_no_folder(tmp_path: Path) -> None:
    req = requirements(tmp_path, "# nothing but the SDK\nboto3\n\n")
    result = bundle_function_dependencies(req, tmp_path / "cache", runner=never_run)
    assert result.folder is None and len(result.warnings) == 1
    assert result.fingerprint == requirements_fingerprint([])
    assert not (tmp_path / "cache").exists()


def test_the_cache_is_keyed_by_what_is_installed(tmp_path: Path) -> None:
    req = requirements(tmp_path, "requests==2.32.3\nboto3\n")
    first = bundle_function_dependencies(req, tmp_path / "cache", runner=FakePip())
    req.write_text("# a comment changes nothing\nrequests==2.32.3   \nboto3==1.0\n")
    again = bundle_function_dependencies(req, tmp_path / "cache", runner=never_run)
    assert (again.folder, again.fingerprint) == (first.folder, first.fingerprint)
    assert len(again.warnings) == 1  # warnings are returned on a cache hit too
    req.write_text("requests==2.32.4\n")
    assert plan_dependencies(req).fingerprint != first.fingerprint


def test_a_compiled_requirement_is_refused_naming_the_package_and_the_module_layer(tmp_path: Path) -> None:
    req = requirements(tmp_path, "requests==2.32.3\npsycopg2-binary==2.9.9\n")
    with pytest.raises(FunctionDependencyError) as caught:
        bundle_function_dependencies(req, tmp_path / "cache", runner=FakePip())
    (violation,) = caught.value.violations
    assert (violation.code, violation.path) == ("CORA-L6", str(req))
    assert violation.message == (
        "psycopg2-binary 2.9.9 brings compiled code (psycopg2/_psycopg.cpython-311-x86_64-linux-gnu.so, "
        "psycopg2_binary.libs/libpq-1.so.5) and has no pure-Python wheel: compiled dependencies never "
        f"ship in a function package. Move `psycopg2-binary==2.9.9` from {req} to a module layer "
        "(packages/module-orders/backend/layers/<layer>/requirements.txt) or the org layer "
        "(layers/org_common/requirements.txt): layers are built for Lambda's Linux and checked once "
        "for every function that uses them."
    )
    assert leftovers(tmp_path / "cache") == []  # nothing half-built is left


def test_a_compiled_transitive_dependency_names_what_pulled_it_in(tmp_path: Path) -> None:
    req = requirements(tmp_path, "pydantic>=2\nidna\n")
    with pytest.raises(FunctionDependencyError) as caught:
        bundle_function_dependencies(req, tmp_path / "cache", runner=FakePip())
    (violation,) = caught.value.violations
    assert violation.message.startswith(
        "pydantic-core 2.23.4 (a dependency of `pydantic>=2`) brings compiled code "
        "(pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so) and has no pure-Python "
        f"wheel: compiled dependencies never ship in a function package. Move `pydantic>=2` from {req} "
    )


def test_a_pip_failure_is_l12_with_pip_output_and_the_wheelhouse(tmp_path: Path) -> None:
    req = requirements(tmp_path, "nosuchpackage==9\n")
    with pytest.raises(FunctionDependencyError) as caught:
        bundle_function_dependencies(
            req, tmp_path / "cache", runner=FakePip(returncode=1), wheelhouse=tmp_path / "wh"
        )
    (violation,) = caught.value.violations
    assert violation.code == "CORA-L12"
    assert violation.message == (
        f"pip could not install {req} for manylinux2014_x86_64 / CPython 3.11 (exit 1): ERROR: No "
        "matching distribution\nFix: pin versions that publish wheels for that platform (pure-Python "
        "wheels for a function; compiled ones belong in a layer), or add them to the wheelhouse "
        f"{tmp_path / 'wh'}."
    )
    assert leftovers(tmp_path / "cache") == []


def test_nested_files_and_editables_are_refused_all_at_once(tmp_path: Path) -> None:
    req = requirements(
        tmp_path,
        "-r base.txt\nrequests\n--constraint=c.txt\n-e ./lib\n-rother.txt\n--extra-index-url https://x\n",
    )
    with pytest.raises(FunctionDependencyError) as caught:
        bundle_function_dependencies(req, tmp_path / "cache", runner=never_run)
    assert [(v.code, v.path) for v in caught.value.violations] == [
        ("CORA-L12", f"{req}:{n}") for n in (1, 3, 4, 5)
    ]
    assert caught.value.violations[0].message == (
        "`-r base.txt`: a function's requirements.txt lists its packages itself; nested requirement "
        "or constraint files and editable installs cannot be bundled for Lambda. Write the packages "
        "(pinned) into this file."
    )


def test_requirement_lines_and_names() -> None:
    text = "a==1 \\\n  --hash=sha256:x\n# c\n\nb[extra]>=2 ; python_version>'3'  # why\nurl#frag @ x\n"
    assert requirement_lines(text) == [
        (1, "a==1    --hash=sha256:x"),
        (5, "b[extra]>=2 ; python_version>'3'"),
        (6, "url#frag @ x"),
    ]
    assert [
        requirement_name(line)
        for line in (
            "Python_Dateutil==2.9",
            "zope.interface",
            "--pre",
            "https://x/y.whl",
            "pkg @ https://x/p.whl",
            "./local",
        )
    ] == ["python-dateutil", "zope-interface", None, None, "pkg", None]


@pytest.mark.bundling
def test_real_pip_installs_requests_for_manylinux(tmp_path: Path) -> None:
    req = requirements(tmp_path, "requests\nboto3\n")
    result = bundle_function_dependencies(req, tmp_path / "cache")
    assert result.folder is not None and (result.folder / "requests" / "__init__.py").is_file()
    assert find_native_files(result.folder) == []  # charset-normalizer's pure wheel replaced the compiled one
    assert not (result.folder / "boto3").exists() and len(result.warnings) == 1


@pytest.mark.bundling
def test_real_pip_refuses_psycopg2_binary_with_the_module_layer_fix(tmp_path: Path) -> None:
    req = requirements(tmp_path, "psycopg2-binary\n")
    with pytest.raises(FunctionDependencyError) as caught:
        bundle_function_dependencies(req, tmp_path / "cache")
    (violation,) = caught.value.violations
    assert violation.code == "CORA-L6"
    assert violation.message.startswith("psycopg2-binary ")
    assert "Move `psycopg2-binary` from" in violation.message
    assert "packages/module-orders/backend/layers/<layer>/requirements.txt" in violation.message
