"""A Lambda's own ``requirements.txt``, installed for Lambda's Linux into a cached folder.

Plain Python (no CDK import). :func:`bundle_function_dependencies` installs the requirements
with the layers' pip command (``--platform manylinux2014_x86_64 --implementation cp
--python-version 3.11 --abi cp311 --only-binary=:all:``, offline with ``--no-index
--find-links <wheelhouse>`` when a wheelhouse is given) into
``<cache_root>/<fingerprint>/site``, which the function's asset merges beside its sources.

- Packages the python3.11 runtime already provides (boto3, botocore and their dependencies:
  ``cora_constructs/data/lambda_python311_runtime.txt``) are left out of the pip run, with one
  warning each (not an error): the runtime's copy is what the function gets.
- A function package holds no compiled code (CORA-L6). When pip picks a compiled wheel for a
  package that also publishes a pure-Python wheel of the same version (``charset-normalizer``,
  which ``requests`` needs), the pure wheel replaces it; any other native file fails the
  bundle, naming each distribution that brought it (and which listed requirement pulled it in)
  and the fix: move it to a module layer or the org layer.
- ``-r``/``-c``/``-e`` lines and pip failures are CORA-L12.
- Cached by :func:`requirements_fingerprint` (the requirement lines that are installed and the
  target platform): built in a temporary folder next to the cache entry and renamed into place
  with a ``.cora-bundle-complete`` marker, so an unchanged requirements file never runs pip
  again and a failure never leaves a half-built folder.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from cora_constructs import defaults
from cora_constructs.binaries import find_native_files
from cora_constructs.errors import CoraValidationError, Violation
from cora_constructs.functions.imports import LambdaRuntime, lambda_runtime
from cora_constructs.layers.bundling import pip_command
from cora_constructs.requirements import normalise_distribution, requirement_lines, requirement_name

FORMAT = "cora-function-deps-v1"
COMPLETE_MARKER = ".cora-bundle-complete"
SITE = "site"
PURE_PLATFORM = "any"

NATIVE_CODE = "CORA-L6"
UNINSTALLABLE = "CORA-L12"

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]

_NESTED = ("-r", "--requirement", "-c", "--constraint", "-e", "--editable")
_REQUIRES_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class FunctionDependencyError(CoraValidationError):
    """The function's requirements cannot ship: ``violations`` names each package and the fix."""


@dataclass(frozen=True)
class DependencyPlan:
    """What a requirements file asks for, before any pip run.

    ``install`` are the lines pip gets; ``warnings`` one per line dropped because the runtime
    provides it; ``problems`` the CORA-L12 violations of lines that cannot be used.
    """

    requirements: Path
    install: tuple[str, ...]
    warnings: tuple[str, ...]
    problems: tuple[Violation, ...]

    @property
    def fingerprint(self) -> str:
        return requirements_fingerprint(self.install)


@dataclass(frozen=True)
class FunctionDependencies:
    """The installed requirements: ``folder`` to merge into the function's asset (None when
    nothing is left to install), the ``warnings`` to show, and the cache ``fingerprint``."""

    folder: Path | None
    warnings: tuple[str, ...]
    fingerprint: str


def requirements_fingerprint(lines: Sequence[str]) -> str:
    """sha256 of the requirement lines pip installs and of everything about the target platform."""
    digest = hashlib.sha256()
    for part in (
        FORMAT,
        defaults.PIP_PLATFORM,
        defaults.PIP_IMPLEMENTATION,
        defaults.PYTHON_VERSION,
        defaults.PIP_ABI,
    ):
        digest.update(part.encode() + b"\0")
    digest.update(b"requirements\0" + "\n".join(line.strip() for line in lines).encode())
    return digest.hexdigest()


def _is_nested(line: str) -> bool:
    """``-r file``, ``--requirement=file``, ``-rfile``, ``-c``, ``-e`` and their long forms."""
    for option in _NESTED:
        if line == option or line.startswith((option + " ", option + "=")):
            return True
        if not option.startswith("--") and line.startswith(option) and not line.startswith("--"):
            return True
    return False


def plan_dependencies(requirements: Path, runtime: LambdaRuntime | None = None) -> DependencyPlan:
    """Read ``requirements`` and decide what pip installs: pure, no pip run (see the module doc)."""
    runtime = runtime or lambda_runtime()
    provided = runtime.distributions
    install: list[str] = []
    warnings: list[str] = []
    problems: list[Violation] = []
    text = requirements.read_text(encoding="utf-8", errors="replace")
    for number, line in requirement_lines(text):
        if _is_nested(line):
            problems.append(
                Violation(
                    UNINSTALLABLE,
                    f"{requirements}:{number}",
                    f"`{line}`: a function's requirements.txt lists its packages itself; nested "
                    "requirement or constraint files and editable installs cannot be bundled for "
                    "Lambda. Write the packages (pinned) into this file.",
                )
            )
            continue
        name = requirement_name(line)
        if name is not None and name in provided:
            warnings.append(
                f"{requirements}:{number}: `{line}` is not installed: the python3.11 Lambda runtime "
                f"provides {name} (the runtime's version, not the one asked for here). Delete the "
                "line; if the function needs another version, pin it in a layer's requirements.txt."
            )
            continue
        install.append(line)
    return DependencyPlan(requirements, tuple(install), tuple(warnings), tuple(problems))


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, check=False)


@dataclass(frozen=True)
class _Distribution:
    name: str
    version: str
    dist_info: Path
    files: tuple[Path, ...]
    requires: tuple[str, ...]
    top_level: tuple[str, ...]


def installed_distributions(site: Path) -> list[_Distribution]:
    """Every ``*.dist-info`` in ``site``: name, version, files (RECORD), requirements."""
    found: list[_Distribution] = []
    for dist_info in sorted(site.glob("*.dist-info")):
        metadata_file = dist_info / "METADATA"
        headers = HeaderParser().parsestr(
            metadata_file.read_text(encoding="utf-8", errors="replace") if metadata_file.is_file() else ""
        )
        stem_name, _, stem_version = dist_info.name[: -len(".dist-info")].partition("-")
        requires = []
        for spec in headers.get_all("Requires-Dist") or []:
            if "extra ==" in spec.replace('"', "").replace("'", ""):
                continue
            match = _REQUIRES_NAME.match(spec)
            if match:
                requires.append(normalise_distribution(match.group(1)))
        files: list[Path] = []
        record = dist_info / "RECORD"
        if record.is_file():
            for row in record.read_text(encoding="utf-8", errors="replace").splitlines():
                relative = row.split(",", 1)[0].strip().strip('"')
                if relative and not relative.startswith(".."):
                    files.append(site / relative)
        top_level_file = dist_info / "top_level.txt"
        top_level = (
            tuple(t.strip() for t in top_level_file.read_text().splitlines() if t.strip())
            if top_level_file.is_file()
            else ()
        )
        found.append(
            _Distribution(
                headers.get("Name") or stem_name,
                headers.get("Version") or stem_version,
                dist_info,
                tuple(files),
                tuple(requires),
                top_level,
            )
        )
    return found


def _owner(path: Path, site: Path, dists: Sequence[_Distribution]) -> _Distribution | None:
    for dist in dists:
        if path in dist.files:
            return dist
    top = path.relative_to(site).parts[0]
    top = top.split(".", 1)[0]
    for dist in dists:
        if top in dist.top_level:
            return dist
    return None


def _pulled_in_by(dist: str, listed: Iterable[str], dists: Sequence[_Distribution]) -> list[str]:
    """The listed requirements whose dependencies (transitively) include ``dist``."""
    graph = {normalise_distribution(d.name): set(d.requires) for d in dists}
    out = []
    for root in listed:
        seen, stack = {root}, [root]
        while stack:
            for child in graph.get(stack.pop(), ()):
                if child == dist:
                    out.append(root)
                    stack.clear()
                    break
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    return sorted(set(out))


def _layer_hint(requirements: Path) -> str:
    """Where the module layer of the function's own module would be, else the generic path."""
    parts = requirements.resolve().parts
    for i, part in enumerate(parts):
        if part.startswith(defaults.MODULE_DIR_PREFIX) and parts[i + 1 : i + 2] == ("backend",):
            return f"{Path(*parts[i - 1 : i + 2]).as_posix()}/layers/<layer>/requirements.txt"
    return "packages/module-<name>/backend/layers/<layer>/requirements.txt"


def _pure_command(line: str, work: Path, target: Path, wheelhouse: Path | None) -> list[str]:
    """The layers' pip command for one pinned distribution, pure-Python wheels only, no deps."""
    requirements = work / f"pure-{target.name}.txt"
    requirements.write_text(line + "\n", encoding="utf-8")
    command = pip_command(requirements, target, wheelhouse)
    command[command.index("--platform") + 1] = PURE_PLATFORM
    return [*command, "--no-deps"]


def _swap_for_pure(
    dist: _Distribution, site: Path, work: Path, wheelhouse: Path | None, runner: Runner
) -> bool:
    """Replace a compiled distribution by its pure-Python wheel of the same version, if any."""
    target = work / f"pure-{normalise_distribution(dist.name)}"
    target.mkdir()
    result = runner(_pure_command(f"{dist.name}=={dist.version}", work, target, wheelhouse))
    if result.returncode != 0 or find_native_files(target) or not any(target.glob("*.dist-info")):
        return False
    for file in dist.files:
        if file.is_file() or file.is_symlink():
            file.unlink()
    shutil.rmtree(dist.dist_info, ignore_errors=True)
    for folder in sorted({f.parent for f in dist.files}, key=lambda p: len(p.parts), reverse=True):
        while folder != site and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    shutil.copytree(target, site, dirs_exist_ok=True)
    return True


def _native_violations(
    plan: DependencyPlan, site: Path, work: Path, wheelhouse: Path | None, runner: Runner
) -> list[Violation]:
    natives = find_native_files(site)
    if not natives:
        return []
    dists = installed_distributions(site)
    by_owner: dict[str, tuple[_Distribution | None, list[Path]]] = {}
    for path, _kind in natives:
        owner = _owner(path, site, dists)
        key = owner.name if owner is not None else path.relative_to(site).parts[0]
        by_owner.setdefault(key, (owner, []))[1].append(path)
    problems: list[Violation] = []
    listed = {name: line for line in plan.install if (name := requirement_name(line))}
    for key, (owner, files) in sorted(by_owner.items()):
        if owner is not None and _swap_for_pure(owner, site, work, wheelhouse, runner):
            continue
        shown = ", ".join(f.relative_to(site).as_posix() for f in files[:3])
        more = f" and {len(files) - 3} more" if len(files) > 3 else ""
        normalised = normalise_distribution(key)
        if normalised in listed:
            culprits = [listed[normalised]]
            what = f"{key}" + (f" {owner.version}" if owner else "")
        else:
            culprits = [listed[n] for n in _pulled_in_by(normalised, listed, dists)] or list(plan.install)
            what = (
                f"{key}" + (f" {owner.version}" if owner else "") + " (a dependency of "
                f"{', '.join(f'`{c}`' for c in culprits)})"
            )
        lines = ", ".join(f"`{c}`" for c in culprits)
        problems.append(
            Violation(
                NATIVE_CODE,
                str(plan.requirements),
                f"{what} brings compiled code ({shown}{more}) and has no pure-Python wheel: "
                "compiled dependencies never ship in a function package. Move "
                f"{lines} from {plan.requirements} to a module layer "
                f"({_layer_hint(plan.requirements)}) or the org layer "
                f"({defaults.ORG_LAYER_DIR}/requirements.txt): layers are built for Lambda's "
                "Linux and checked once for every function that uses them.",
            )
        )
    return problems


def bundle_function_dependencies(
    requirements: Path,
    cache_root: Path,
    *,
    wheelhouse: Path | None = None,
    runner: Runner = _run,
    runtime: LambdaRuntime | None = None,
) -> FunctionDependencies:
    """Install ``requirements`` for Lambda's Linux into the cache, unless already there.

    Raises :class:`FunctionDependencyError` (every problem at once: CORA-L12 unusable lines or a
    pip failure, CORA-L6 one per distribution that brings compiled code). Warnings about
    requirements the runtime provides are returned, on cache hits too.
    """
    plan = plan_dependencies(requirements, runtime)
    if plan.problems:
        raise FunctionDependencyError(plan.problems)
    fingerprint = plan.fingerprint
    if not plan.install:
        return FunctionDependencies(None, plan.warnings, fingerprint)
    entry = cache_root / fingerprint
    if (entry / COMPLETE_MARKER).is_file():
        return FunctionDependencies(entry / SITE, plan.warnings, fingerprint)
    cache_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{fingerprint[:12]}-", dir=cache_root))
    try:
        filtered = work / "requirements.txt"
        filtered.write_text("\n".join(plan.install) + "\n", encoding="utf-8")
        site = work / SITE
        site.mkdir()
        result = runner(pip_command(filtered, site, wheelhouse))
        if result.returncode != 0:
            output = (result.stderr or result.stdout or "").strip()
            raise FunctionDependencyError(
                [
                    Violation(
                        UNINSTALLABLE,
                        str(requirements),
                        f"pip could not install {requirements} for {defaults.PIP_PLATFORM} / CPython "
                        f"{defaults.PYTHON_VERSION} (exit {result.returncode}): {output[-2000:]}\n"
                        "Fix: pin versions that publish wheels for that platform (pure-Python "
                        "wheels for a function; compiled ones belong in a layer)"
                        + (f", or add them to the wheelhouse {wheelhouse}." if wheelhouse else "."),
                    )
                ]
            )
        problems = _native_violations(plan, site, work, wheelhouse, runner)
        if problems:
            raise FunctionDependencyError(problems)
        (work / COMPLETE_MARKER).write_text(fingerprint + "\n", encoding="utf-8")
        try:
            work.replace(entry)
        except OSError:
            # Another process finished the same entry first: it is identical, keep it.
            if not (entry / COMPLETE_MARKER).is_file():
                raise
        return FunctionDependencies(entry / SITE, plan.warnings, fingerprint)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


__all__ = [
    "COMPLETE_MARKER",
    "DependencyPlan",
    "FunctionDependencies",
    "FunctionDependencyError",
    "bundle_function_dependencies",
    "installed_distributions",
    "plan_dependencies",
    "requirement_lines",
    "requirement_name",
    "requirements_fingerprint",
]
