"""A Lambda's own ``requirements.txt``, resolved on top of its layers into a dependency layer.

Plain Python (no CDK import). What the function's layers (the org layer, then its module
layers) do not already provide is built with the layers' pip command for
``manylinux2014_x86_64`` / CPython 3.11 (compiled packages included) into a layer of its own,
attached after the module layers: the function's asset stays its source folder, so a code
change uploads kilobytes and a dependency change publishes a new layer version.

- Packages the python3.11 runtime already provides (boto3, botocore and their dependencies:
  ``cora_constructs/data/lambda_python311_runtime.txt``) are left out, with one warning each
  (not an error): the runtime's copy is what the function gets.
- A line the layers below cannot satisfy (``pydantic<2`` over an org layer holding 2.9.2) is
  CORA-L13, naming both lines; ``-r``/``-c``/``-e`` lines and pip failures are CORA-L12.
- A function whose requirements the layers below all provide gets no dependency layer.
- Built and cached like every layer (:func:`cora_constructs.dependencies.bundle.bundle_layer`):
  the fingerprint covers the lines installed and the layers below. Two functions whose
  remaining distributions are the same share one layer version: its asset hash is
  :func:`content_hash`, computed from what the layer holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from cora_constructs.dependencies import pip
from cora_constructs.dependencies.bundle import (
    ComposedLayer,
    LayerBuildError,
    LayerSource,
    bundle_layer,
    cached_bundle,
    layer_fingerprint,
    platform_tag,
)
from cora_constructs.dependencies.distributions import installed_distributions
from cora_constructs.dependencies.requirements import (
    normalise_distribution,
    requirement_lines,
    requirement_name,
)
from cora_constructs.dependencies.sizes import BundleSize, bundle_size
from cora_constructs.dependencies.stacking import LowerLayer, Provided, applies, provided_below, satisfies
from cora_constructs.errors import CoraValidationError, Violation
from cora_constructs.functions.imports import LambdaRuntime, lambda_runtime

UNINSTALLABLE = "CORA-L12"
LABEL = "dependency layer"

_NESTED = ("-r", "--requirement", "-c", "--constraint", "-e", "--editable")


class FunctionDependencyError(CoraValidationError):
    """The function's requirements cannot ship: ``violations`` names each line and the fix."""


@dataclass(frozen=True)
class DependencyPlan:
    """What a requirements file asks for, before any pip run.

    ``install`` are the lines pip gets; ``skip`` the distributions the runtime provides (one
    warning each); ``problems`` the CORA-L12 violations of lines that cannot be used.
    """

    requirements: Path
    install: tuple[str, ...]
    skip: frozenset[str]
    warnings: tuple[str, ...]
    problems: tuple[Violation, ...]

    def source(self, shown: str) -> LayerSource:
        """The dependency layer's one part: the requirements file, no ``python/`` of its own."""
        return LayerSource(
            self.requirements.parent,
            requirements_file=self.requirements,
            label=f"{LABEL} of {shown}",
            own_python=False,
            skip=self.skip,
        )


@dataclass(frozen=True)
class FunctionDependencies:
    """The function's dependency layer: ``bundle`` (None: no layer, everything is provided
    below, or not built in this synth when ``complete`` is False), its ``content_hash`` (what
    functions share a layer version by), its ``size``, the ``warnings`` and the ``fingerprint``."""

    bundle: Path | None
    content_hash: str | None
    fingerprint: str
    warnings: tuple[str, ...] = ()
    complete: bool = True
    size: BundleSize | None = None

    @property
    def python_dir(self) -> Path | None:
        return self.bundle / "python" if self.bundle else None


def unknown_dependencies() -> FunctionDependencies:
    """A dependency layer that could not be built: its contents are unknown."""
    return FunctionDependencies(None, None, "", complete=False)


def _is_nested(line: str) -> bool:
    """``-r file``, ``--requirement=file``, ``-rfile``, ``-c``, ``-e`` and their long forms."""
    for option in _NESTED:
        if line == option or line.startswith((option + " ", option + "=")):
            return True
        if not option.startswith("--") and line.startswith(option) and not line.startswith("--"):
            return True
    return False


def plan_dependencies(
    requirements: Path, runtime: LambdaRuntime | None = None, *, shown: str | None = None
) -> DependencyPlan:
    """Read ``requirements`` and decide what pip installs: pure, no pip run (see the module doc)."""
    runtime = runtime or lambda_runtime()
    shown = shown or str(requirements)
    provided = runtime.distributions
    install: list[str] = []
    skip: set[str] = set()
    warnings: list[str] = []
    problems: list[Violation] = []
    text = requirements.read_text(encoding="utf-8", errors="replace")
    for number, line in requirement_lines(text):
        if _is_nested(line):
            problems.append(
                Violation(
                    UNINSTALLABLE,
                    f"{shown}:{number}",
                    f"`{line}`: a function's requirements.txt lists its packages itself; nested "
                    "requirement or constraint files and editable installs cannot be bundled for "
                    "Lambda. Write the packages (pinned) into this file.",
                )
            )
            continue
        name = requirement_name(line)
        if name is not None and name in provided:
            skip.add(name)
            warnings.append(
                f"{shown}:{number}: `{line}` is not installed: the python3.11 Lambda runtime "
                f"provides {name} (the runtime's version, not the one asked for here). Delete the "
                "line; if the function needs another version, pin it in a layer's requirements.txt."
            )
            continue
        install.append(line)
    return DependencyPlan(requirements, tuple(install), frozenset(skip), tuple(warnings), tuple(problems))


def content_hash(bundle: Path) -> str | None:
    """sha256 of the distributions a dependency layer holds and the target; None when empty."""
    dists = sorted(f"{dist.key}=={dist.version}" for dist in installed_distributions(bundle / "python"))
    if not dists:
        return None
    return hashlib.sha256("\n".join([platform_tag(), *dists]).encode()).hexdigest()


def _all_provided(lines: Sequence[str], provided: Mapping[str, Provided]) -> bool:
    """Whether the layers below satisfy every line already (no extras asked): no pip run, no layer."""
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            return False
        if not applies(requirement):
            continue
        found = provided.get(normalise_distribution(requirement.name))
        if found is None or requirement.extras or requirement.url:
            return False
        if not satisfies(found.version, requirement):
            return False  # a conflict: bundle_layer reports it naming both lines
    return True


def function_dependencies(
    requirements: Path,
    cache_root: Path,
    *,
    below: Sequence[LowerLayer] | None,
    below_fingerprints: Sequence[str],
    build: bool,
    wheelhouse: Path | None = None,
    runner: pip.Runner = pip.run,
    show: Callable[[Path], str] = str,
    runtime: LambdaRuntime | None = None,
) -> FunctionDependencies:
    """The dependency layer of the function whose ``requirements`` file this is.

    ``below`` are the function's other layers in order (None when one of them is not built in
    this synth); ``build`` whether pip may run. Raises :class:`FunctionDependencyError` with
    every problem (CORA-L12, CORA-L13, CORA-L10, CORA-F5).
    """
    shown = show(requirements)
    plan = plan_dependencies(requirements, runtime, shown=shown)
    if plan.problems:
        raise FunctionDependencyError(plan.problems)
    layer = ComposedLayer.of([plan.source(shown)])
    fingerprint = layer_fingerprint(layer, below_fingerprints)
    if not plan.install:
        return FunctionDependencies(None, None, fingerprint, plan.warnings)
    if below is not None and _all_provided(plan.install, provided_below(below)):
        return FunctionDependencies(None, None, fingerprint, plan.warnings)
    hit = cached_bundle(cache_root, fingerprint)
    if hit is None and (not build or below is None):
        # Not built here: what remains of the requirements is unknown.
        return FunctionDependencies(None, None, fingerprint, plan.warnings, complete=False)
    try:
        bundle = bundle_layer(
            layer,
            cache_root,
            below=below or [],
            wheelhouse=wheelhouse,
            runner=runner,
            show=show,
            where=shown,
            fingerprint=fingerprint,
        )
    except LayerBuildError as exc:
        raise FunctionDependencyError(
            Violation(UNINSTALLABLE if v.code == "CORA-F5" else v.code, v.path, v.message)
            for v in exc.violations
        ) from None
    digest = content_hash(bundle)
    if digest is None:
        return FunctionDependencies(None, None, fingerprint, plan.warnings)
    return FunctionDependencies(bundle, digest, fingerprint, plan.warnings, size=bundle_size(bundle))


__all__ = [
    "DependencyPlan",
    "FunctionDependencies",
    "FunctionDependencyError",
    "content_hash",
    "function_dependencies",
    "plan_dependencies",
    "unknown_dependencies",
]
