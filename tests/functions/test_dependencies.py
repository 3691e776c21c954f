"""A Lambda's own requirements become its dependency layer, resolved on top of the layers below:
runtime packages left out, what the layers provide dropped, conflicts naming both lines,
compiled packages welcome (a fake pip for the logic; real pip in tests/apps/test_stacked_dependencies.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cora_constructs.dependencies.binaries import find_native_files
from cora_constructs.dependencies.bundle import numbered_lines
from cora_constructs.dependencies.cache import COMPLETE_MARKER
from cora_constructs.dependencies.pip import pip_command
from cora_constructs.dependencies.requirements import requirement_lines, requirement_name
from cora_constructs.dependencies.stacking import LowerLayer, requirement_sites
from cora_constructs.functions.dependencies import (
    FunctionDependencyError,
    function_dependencies,
)

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
    stderr: str = "ERROR: No matching distribution"
    calls: list[list[str]] = field(default_factory=list)
    requirement_files: list[str] = field(default_factory=list)
    constraint_files: list[str] = field(default_factory=list)

    def __call__(self, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        command = list(command)
        self.calls.append(command)
        text = Path(command[command.index("-r") + 1]).read_text()
        self.requirement_files.append(text)
        pins = {}
        if "-c" in command:
            constraints = Path(command[command.index("-c") + 1]).read_text()
            self.constraint_files.append(constraints)
            pins = dict(line.split("==") for line in constraints.splitlines())
        if self.returncode:
            requirements = command[command.index("-r") + 1]
            return subprocess.CompletedProcess(
                command, self.returncode, "", self.stderr.replace("{requirements}", requirements)
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
            if name in pins and pins[name] != wheel.version:
                return subprocess.CompletedProcess(command, 1, "", "ERROR: ResolutionImpossible")
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
    return sorted(p.name for p in cache.iterdir() if not p.name.startswith("lower")) if cache.exists() else []


def show(root: Path):  # type: ignore[no-untyped-def]
    return lambda path: path.resolve().relative_to(root.resolve()).as_posix()


def org_layer(root: Path, text: str = "pydantic==2.9.2\n", fingerprint: str = "org1") -> LowerLayer:
    """A built org layer holding ``text``'s requirements (installed by the fake pip)."""
    folder = root / "layers" / "org_common"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "requirements.txt").write_text(text)
    python = root / "lower" / fingerprint / "python"
    python.mkdir(parents=True)
    FakePip()(["pip", "-r", str(folder / "requirements.txt"), "-t", str(python), "--platform", "x"])
    sites = requirement_sites(
        folder / "requirements.txt",
        "layers/org_common/requirements.txt",
        numbered_lines(folder / "requirements.txt"),
    )
    return LowerLayer("org layer", python, sites, fingerprint)


def deps(req: Path, root: Path, below: list[LowerLayer] | None = None, **options):  # type: ignore[no-untyped-def]
    below = [] if below is None else below
    options.setdefault("runner", FakePip())
    return function_dependencies(
        req,
        root / "cache",
        below=below,
        below_fingerprints=[layer.fingerprint for layer in below],
        build=options.pop("build", True),
        show=show(root),
        **options,
    )


def test_runtime_packages_are_dropped_with_a_warning_and_the_rest_installed(tmp_path: Path) -> None:
    req = requirements(
        tmp_path, "boto3==1.35.0  # the SDK\nrequests==2.32.3\npython_dateutil\nBotocore>=1.30\n"
    )
    shown = "packages/module-orders/backend/lambdas/orders-api/requirements.txt"
    pip = FakePip()
    result = deps(req, tmp_path, runner=pip)
    assert result.warnings == (
        f"{shown}:1: `boto3==1.35.0` is not installed: the python3.11 Lambda runtime provides boto3 "
        "(the runtime's version, not the one asked for here). Delete the line; if the function "
        "needs another version, pin it in a layer's requirements.txt.",
        f"{shown}:3: `python_dateutil` is not installed: the python3.11 Lambda runtime provides "
        "python-dateutil (the runtime's version, not the one asked for here). Delete the line; if "
        "the function needs another version, pin it in a layer's requirements.txt.",
        f"{shown}:4: `Botocore>=1.30` is not installed: the python3.11 Lambda runtime provides "
        "botocore (the runtime's version, not the one asked for here). Delete the line; if the "
        "function needs another version, pin it in a layer's requirements.txt.",
    )
    assert pip.requirement_files[0] == "requests==2.32.3\n"
    first = pip.calls[0]
    filtered = Path(first[first.index("-r") + 1])
    site = Path(first[first.index("-t") + 1])
    assert first == pip_command(filtered, site)  # nothing below: no constraints
    assert result.bundle == tmp_path / "cache" / result.fingerprint
    assert (result.bundle / "python" / "requests" / "__init__.py").is_file()
    assert (result.bundle / COMPLETE_MARKER).read_text() == result.fingerprint + "\n"
    assert leftovers(tmp_path / "cache") == [result.fingerprint]


def test_compiled_packages_go_to_the_dependency_layer(tmp_path: Path) -> None:
    req = requirements(tmp_path, "requests==2.32.3\npsycopg2-binary==2.9.9\n")
    result = deps(req, tmp_path)
    assert result.python_dir is not None
    assert (result.python_dir / "psycopg2" / "__init__.py").is_file()
    assert [path.name for path, _ in find_native_files(result.python_dir)] == [
        "md.cpython-311-x86_64-linux-gnu.so",
        "_psycopg.cpython-311-x86_64-linux-gnu.so",
        "libpq-1.so.5",
    ]
    assert result.size is not None and result.size.total > 0


def test_what_the_layers_below_provide_is_constrained_and_dropped(tmp_path: Path) -> None:
    org = org_layer(tmp_path)
    req = requirements(tmp_path, "pydantic>=2\npsycopg2-binary==2.9.9\n")
    pip = FakePip()
    result = deps(req, tmp_path, [org], runner=pip)
    assert pip.constraint_files == ["annotated-types==0.7.0\npydantic==2.9.2\npydantic-core==2.23.4\n"]
    assert result.python_dir is not None
    assert sorted(p.name for p in result.python_dir.iterdir()) == [
        "psycopg2",
        "psycopg2_binary-2.9.9.dist-info",
        "psycopg2_binary.libs",
    ]


def test_requirements_all_provided_below_mean_no_layer_and_no_pip(tmp_path: Path) -> None:
    org = org_layer(tmp_path)
    req = requirements(tmp_path, "pydantic>=2\npydantic-core\nboto3\n")
    result = deps(req, tmp_path, [org], runner=never_run)
    assert result.bundle is None and result.complete and len(result.warnings) == 1
    assert not (tmp_path / "cache").exists()


def test_a_version_the_org_layer_does_not_hold_is_one_problem_naming_both_lines(tmp_path: Path) -> None:
    org = org_layer(tmp_path, "# tested pins\npydantic==2.9.2\n")
    req = requirements(tmp_path, "requests==2.32.3\npydantic<2\n")
    with pytest.raises(FunctionDependencyError) as caught:
        deps(req, tmp_path, [org], runner=never_run)
    (violation,) = caught.value.violations
    shown = "packages/module-orders/backend/lambdas/orders-api/requirements.txt"
    assert (violation.code, violation.path) == ("CORA-L13", f"{shown}:2")
    assert violation.message == (
        f"`pydantic<2` (dependency layer of {shown}) asks for pydantic <2, but the org layer below it "
        "already provides pydantic 2.9.2 (layers/org_common/requirements.txt:2 `pydantic==2.9.2`). A "
        "function's layers unpack into one folder, so one version ships, and the layer below wins. "
        f"Fix: accept pydantic 2.9.2 at {shown}:2 (e.g. `pydantic>=2.9.2`, or drop the line to take the "
        "org layer's), or change layers/org_common/requirements.txt:2 for every function that uses it."
    )
    assert leftovers(tmp_path / "cache") == []


def test_a_transitive_package_below_is_named_by_what_pulled_it_in(tmp_path: Path) -> None:
    org = org_layer(tmp_path)
    req = requirements(tmp_path, "pydantic-core==2.0.0\n")
    with pytest.raises(FunctionDependencyError) as caught:
        deps(req, tmp_path, [org], runner=never_run)
    (violation,) = caught.value.violations
    assert (
        "pydantic-core 2.23.4 (a dependency of layers/org_common/requirements.txt:1 `pydantic==2.9.2`)"
        in (violation.message)
    )


def test_the_fingerprint_covers_the_layers_below(tmp_path: Path) -> None:
    org = org_layer(tmp_path)
    req = requirements(tmp_path, "requests==2.32.3\n")
    first = deps(req, tmp_path, [org])
    again = deps(req, tmp_path, [org], runner=never_run)  # the cache serves it
    assert (again.bundle, again.fingerprint) == (first.bundle, first.fingerprint)
    newer = org_layer(tmp_path / "v2", fingerprint="org2")
    assert deps(req, tmp_path, [newer]).fingerprint != first.fingerprint
    assert first.content_hash == deps(req, tmp_path, [newer]).content_hash  # same contents: one layer


def test_not_bundling_runs_no_pip_and_says_the_layer_is_unknown(tmp_path: Path) -> None:
    req = requirements(tmp_path, "requests==2.32.3\n")
    result = deps(req, tmp_path, runner=never_run, build=False)
    assert result.bundle is None and not result.complete


def test_a_pip_failure_is_l12_without_colours_or_cache_paths(tmp_path: Path) -> None:
    req = requirements(tmp_path, "nosuchpackage==9\n")
    cache = tmp_path / "cache"
    noisy = (
        "WARNING: Location 'file:///opt/x/' is ignored: it is neither a file nor a directory.\n"
        "\x1b[31mERROR: Could not find a version that satisfies the requirement nosuchpackage==9 "
        "(from -r {requirements} (line 1))\x1b[0m\n"
    )
    with pytest.raises(FunctionDependencyError) as caught:
        deps(req, tmp_path, runner=FakePip(returncode=1, stderr=noisy), wheelhouse=tmp_path / "wh")
    (violation,) = caught.value.violations
    assert violation.code == "CORA-L12"
    assert "\x1b" not in violation.message and str(cache) not in violation.message
    assert "WARNING: Location" not in violation.message
    assert "nosuchpackage==9 (from -r packages/module-orders/backend/lambdas/orders-api/requirements.txt" in (
        violation.message
    )
    assert f"or add them to the wheelhouse {tmp_path / 'wh'}." in violation.message
    assert leftovers(cache) == []


def test_nested_files_and_editables_are_refused_all_at_once(tmp_path: Path) -> None:
    req = requirements(
        tmp_path,
        "-r base.txt\nrequests\n--constraint=c.txt\n-e ./lib\n-rother.txt\n--extra-index-url https://x\n",
    )
    with pytest.raises(FunctionDependencyError) as caught:
        deps(req, tmp_path, runner=never_run)
    shown = "packages/module-orders/backend/lambdas/orders-api/requirements.txt"
    assert [(v.code, v.path) for v in caught.value.violations] == [
        ("CORA-L12", f"{shown}:{n}") for n in (1, 3, 4, 5)
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


def test_a_transitive_requirement_the_pins_below_cannot_meet_is_one_l13_from_pip(tmp_path: Path) -> None:
    lower = tmp_path / "lower" / "old" / "python"
    dist_info = lower / "pydantic_core-2.0.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: pydantic-core\nVersion: 2.0.0\n")
    below = [LowerLayer("module layer m", lower, (), "old")]
    req = requirements(tmp_path, "pydantic>=2\n")
    stderr = (
        "ERROR: Cannot install pydantic==2.9.2 because these package versions have conflicting "
        "dependencies.\n"
        "The conflict is caused by:\n    pydantic 2.9.2 depends on pydantic-core==2.23.4\n"
        "    The user requested (constraint) pydantic-core==2.0.0\n"
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/"
    )
    with pytest.raises(FunctionDependencyError) as caught:
        deps(req, tmp_path, below, runner=FakePip(returncode=1, stderr=stderr))
    (violation,) = caught.value.violations
    shown = "packages/module-orders/backend/lambdas/orders-api/requirements.txt"
    assert (violation.code, violation.path) == ("CORA-L13", shown)
    assert violation.message.startswith(f"pip cannot resolve {shown} on top of module layer m: ")
    assert "The user requested (constraint) pydantic-core==2.0.0" in violation.message
    assert violation.message.endswith("(the layers below win).")
