"""The model manifest_gen renders from: the shared assembly model (:mod:`cora_constructs.assembly.model`)."""

from __future__ import annotations

from cora_constructs.assembly.model import (
    COVERAGE_GUARD_PATH,
    EXPECTED_RUNTIME,
    MANIFEST_PATH,
    REUSABLE_WORKFLOW_PATH,
    WORKFLOWS_DIR,
    ProductionLambda,
    Route,
    deploy_workflow_path,
)

__all__ = [
    "COVERAGE_GUARD_PATH",
    "EXPECTED_RUNTIME",
    "MANIFEST_PATH",
    "REUSABLE_WORKFLOW_PATH",
    "WORKFLOWS_DIR",
    "ProductionLambda",
    "Route",
    "deploy_workflow_path",
]
