"""Everything the generator owns, rendered in memory from the production Lambdas."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from manifest_gen.generated import GeneratedFile
from manifest_gen.manifest import render_manifest
from manifest_gen.model import ProductionLambda
from manifest_gen.workflows import (
    render_coverage_guard_workflow,
    render_deploy_workflow,
    render_reusable_workflow,
)


def expected_files(
    lambdas: Iterable[ProductionLambda], guarded: Sequence[str] | None = None
) -> tuple[GeneratedFile, ...]:
    """The manifest and every workflow, sorted by path; the same inputs give the same bytes.

    ``guarded`` is the coverage guard's path filters (default: every candidate).
    """
    ordered = sorted(lambdas, key=lambda fn: fn.function_name)
    files = [
        render_manifest(ordered),
        render_reusable_workflow(),
        render_coverage_guard_workflow(guarded),
        *(render_deploy_workflow(fn) for fn in ordered),
    ]
    return tuple(sorted(files, key=lambda file: file.path))
