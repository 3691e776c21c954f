"""What `cora audit` compares: the expected state (manifest + cloud assembly), the deployed state
(read with boto3) and the outcome (one row per function and route, one finding per problem).

Every dataclass here is plain data: the comparisons in :mod:`cora_constructs.audit.checks` run on
them without any AWS call, so they are tested without an account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from cora_constructs import defaults
from cora_constructs.assembly.errors import ToolError
from cora_constructs.assembly.model import Route

CODE_HASH_TAG = "cora:code-hash"
"""The tag StandardLambda puts on every function: the asset hash of its code (the S3 key's stem)."""
CORA_TAG_PREFIX = "cora:"
LIVE_ALIAS = "live"
ORG_AUTHORIZER_NAME = "org-authorizer"
SSM_ORG_LAYER_ARN = defaults.SSM_ORG_LAYER_ARN
SSM_HTTP_API_ID = defaults.SSM_API_ID
SSM_ORG_AUTHORIZER_ID = defaults.SSM_AUTHORIZER_ID
SSM_WEBSOCKET_API_ID = defaults.SSM_WEBSOCKET_API_ID
SSM_WEBSOCKET_AUTHORIZER_ID = defaults.SSM_WEBSOCKET_AUTHORIZER_ID


class AuditError(ToolError):
    """The audit itself cannot run: no credentials, endpoint unreachable, access denied."""


class ManifestError(ToolError):
    """The workflow manifest is missing or malformed."""


class Status(StrEnum):
    """The outcome of one check on one function or route."""

    OK = "ok"
    DRIFT = "DRIFT"
    MISSING = "MISSING"
    UNMANAGED = "UNMANAGED"
    UNDOCUMENTED = "UNDOCUMENTED"
    NOT_CHECKED = "-"

    @property
    def is_problem(self) -> bool:
        return self not in (Status.OK, Status.NOT_CHECKED)


class Check(StrEnum):
    """Every check the audit runs, named as the table and the JSON name them."""

    EXISTS = "exists"
    RUNTIME = "runtime"
    ORG_LAYER = "org-layer"
    LAYERS = "layers"
    CODE = "code"
    ALIAS = "alias"
    ROUTE = "route"
    AUTHORIZER = "authorizer"
    INTEGRATION = "integration"
    INFRA = "infra"


FUNCTION_CHECKS = (Check.EXISTS, Check.RUNTIME, Check.ORG_LAYER, Check.LAYERS, Check.CODE, Check.ALIAS)
ROUTE_CHECKS = (Check.ROUTE, Check.AUTHORIZER, Check.INTEGRATION)


# ---------------------------------------------------------------------------------------------
# Expected state
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExpectedFunction:
    """One manifest function, completed with what the current cloud assembly would deploy.

    ``code_hash`` is the stem of the template's ``Code.S3Key`` (None when the function is not in
    the assembly or its key is not a literal); ``layer_count`` is the number of layers the
    template attaches (the org layer first, then the module layers, then the function's
    dependency layer when its requirements.txt needs one: ``dependency_layer`` names that file).
    """

    function_name: str
    app: str
    stack: str
    lambda_dir: str
    workflow_file: str
    layers: tuple[str, ...]
    routes: tuple[Route, ...]
    code_hash: str | None
    layer_count: int
    in_assembly: bool
    dependency_layer: str | None = None


@dataclass(frozen=True, slots=True)
class ExpectedState:
    """What should be deployed. ``functions`` are the ones in scope (``--app``, ``--function``);
    ``manifest_functions`` and ``manifest_routes`` cover the whole manifest, so a function or
    route outside the scope is never reported as unmanaged or undocumented."""

    project: str
    environment: str
    expected_runtime: str
    functions: tuple[ExpectedFunction, ...]
    manifest_functions: frozenset[str]
    manifest_routes: frozenset[tuple[str, str]]
    check_unmanaged: bool
    check_undocumented_routes: bool
    ssm_prefix: str | None = None
    """Context ``cora:ssmPrefix``; default ``/{project}/{environment}``, as the apps use."""

    @property
    def prefix(self) -> str:
        """Every function name of the project starts with it: ``{project}-{environment}-``."""
        return f"{self.project}-{self.environment}-"

    def parameter(self, what: str) -> str:
        return defaults.ssm_parameter_name(self.project, self.environment, what, self.ssm_prefix)

    @property
    def api_name(self) -> str:
        return f"{self.project}-{self.environment}-api"

    @property
    def websocket_api_name(self) -> str:
        return f"{self.project}-{self.environment}-websocket"

    @property
    def has_websocket_routes(self) -> bool:
        return any(route.protocol == "websocket" for fn in self.functions for route in fn.routes)


# ---------------------------------------------------------------------------------------------
# Deployed state
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeployedFunction:
    """One function as the account has it (``$LATEST``, its tags, its ``live`` alias)."""

    name: str
    arn: str
    runtime: str | None
    layer_arns: tuple[str, ...]
    code_sha256: str
    tags: Mapping[str, str]
    live_version: str | None
    """The version the ``live`` alias points at; None when there is no such alias."""
    live_code_sha256: str | None
    newest_version: str | None
    """The highest published version number; None when only ``$LATEST`` exists."""


@dataclass(frozen=True, slots=True)
class OtherFunction:
    """A function of the account that is not in the manifest. ``tags`` is None when they were not
    fetched (the name alone already marks it as the project's)."""

    name: str
    tags: Mapping[str, str] | None


@dataclass(frozen=True, slots=True)
class DeployedRoute:
    route_id: str
    route_key: str
    authorization_type: str
    authorizer_id: str | None
    integration_uri: str | None
    """The URI of the route's target integration; None when the route has no integration."""

    @property
    def method(self) -> str:
        method, _, path = self.route_key.partition(" ")
        return method if path else ""

    @property
    def path(self) -> str:
        method, _, path = self.route_key.partition(" ")
        return path if path else method


@dataclass(frozen=True, slots=True)
class DeployedApi:
    api_id: str
    name: str
    found_by: str
    routes: tuple[DeployedRoute, ...]
    authorizers: Mapping[str, str]
    """Authorizer id -> name."""


@dataclass(frozen=True, slots=True)
class DeployedState:
    """What the account holds for the functions in scope, plus what the infra app published."""

    functions: Mapping[str, DeployedFunction]
    other_functions: tuple[OtherFunction, ...]
    org_layer_arn: str | None
    """The value of ``/{project}/{environment}/org-layer-arn``; None when the parameter is absent."""
    api: DeployedApi | None
    api_lookup: str
    """How the API was searched for (shown when it is not found)."""
    org_authorizer_id: str | None
    websocket_api: DeployedApi | None = None
    """The WebSocket API, read only when some function in scope declares WebSocket route keys."""
    websocket_api_lookup: str = ""
    websocket_authorizer_id: str | None = None


# ---------------------------------------------------------------------------------------------
# Outcome
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: which check, what is wrong, where, and the fix."""

    check: Check
    status: Status
    subject: str
    where: str
    message: str
    fix: str

    def as_dict(self) -> dict[str, str]:
        return {
            "check": self.check.value,
            "status": self.status.value,
            "subject": self.subject,
            "where": self.where,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(slots=True)
class FunctionRow:
    function_name: str
    app: str
    checks: dict[Check, Status] = field(default_factory=dict)


@dataclass(slots=True)
class RouteRow:
    method: str
    path: str
    function_name: str
    auth: str
    checks: dict[Check, Status] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditReport:
    functions: tuple[FunctionRow, ...]
    routes: tuple[RouteRow, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.findings
