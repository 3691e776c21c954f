"""The production Lambdas of a synthesized app, as read from their ``cora:*`` metadata, and where
the project keeps the files generated from them (shared by `cora manifest`, `cora check`, `cora audit`)."""

from __future__ import annotations

from dataclasses import dataclass

WORKFLOWS_DIR = ".github/workflows"
MANIFEST_PATH = "infrastructure/lambda_workflow_manifest.json"
REUSABLE_WORKFLOW_PATH = f"{WORKFLOWS_DIR}/lambda-deploy-reusable.yml"
COVERAGE_GUARD_PATH = f"{WORKFLOWS_DIR}/lambda-workflow-coverage-guard.yml"
EXPECTED_RUNTIME = "python3.11"


def deploy_workflow_path(function_name: str) -> str:
    """The repository path of the deploy workflow of ``function_name``."""
    return f"{WORKFLOWS_DIR}/lambda-{function_name}-deploy.yml"


WEBSOCKET = "WEBSOCKET"
"""The method of a WebSocket route key (``cora_runtime.routes.WEBSOCKET``); its path is the key."""


@dataclass(frozen=True, slots=True)
class Route:
    """One route of a Lambda, as its ``cora:routes`` metadata declares it: an HTTP route
    (``GET``, ``/tasks``) or a WebSocket route key (``WEBSOCKET``, ``$connect``)."""

    method: str
    path: str
    auth: str
    public_reason: str | None
    description: str
    category: str | None

    @property
    def protocol(self) -> str:
        return "websocket" if self.method == WEBSOCKET else "http"

    @property
    def key(self) -> str:
        """The API Gateway route key: ``GET /tasks`` or ``$connect``."""
        return self.path if self.method == WEBSOCKET else f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class ProductionLambda:
    """One ``AWS::Lambda::Function`` built by StandardLambda (it carries ``cora:app`` metadata).

    ``stack`` is the CloudFormation stack name; ``stack_id`` is the id `cdk deploy` selects the
    stack by (its display name in the assembly). They are equal in the reference apps.
    """

    function_name: str
    app: str
    stack: str
    stack_id: str
    module: str
    lambda_name: str
    construct_path: str
    lambda_dir: str
    handler: str
    layers: tuple[str, ...]
    routes: tuple[Route, ...]
    dependency_files: tuple[str, ...] = ()
    """Project files pinning cora-constructs, when the function or its layers use packaged code."""
    source_package: str | None = None
    """``cora-constructs==X`` when the code itself ships in the package (then ``lambda_dir`` is its
    path inside the distribution, not a folder of the project)."""

    @property
    def watched_paths(self) -> tuple[str, ...]:
        """Project paths whose change redeploys the function (deploy workflow path filters)."""
        folders = self.layers if self.source_package else (self.lambda_dir, *self.layers)
        return (*(f"{folder}/**" for folder in folders), *self.dependency_files)

    @property
    def workflow_file(self) -> str:
        return deploy_workflow_path(self.function_name)
