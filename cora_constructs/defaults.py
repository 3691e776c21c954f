"""The organisation's defaults, in one place."""

from __future__ import annotations

RUNTIME_NAME = "python3.11"
"""The only runtime: the org layer is built for it."""

PYTHON_VERSION = "3.11"
PIP_PLATFORM = "manylinux2014_x86_64"
PIP_IMPLEMENTATION = "cp"
PIP_ABI = "cp311"

HANDLER_FILE = "lambda_function.py"
HANDLER = "lambda_function.lambda_handler"
ALIAS_NAME = "live"

DEFAULT_PROJECT = "cora"
DEFAULT_ENVIRONMENT = "dev"
DEFAULT_MEMORY_MB = 256
DEFAULT_TIMEOUT_S = 29
"""API Gateway's integration limit is 30 s: a Lambda behind it should stop before that."""

ORG_LAYER_DIR = "layers/org_common"
AUTHORIZER_DIR = "lambdas/authorizer"
MODULES_GLOB = "packages/module-*/backend/lambdas/*/lambda_function.py"
MODULE_DIR_PREFIX = "module-"

APP_STACK = "stack"
APP_INFRA = "infra"
APP_KINDS = (APP_STACK, APP_INFRA)

CONTEXT_APP = "app"
CONTEXT_PROJECT = "cora:project"
CONTEXT_ENVIRONMENT = "cora:environment"
CONTEXT_ROOT = "cora:projectRoot"
CONTEXT_WHEELHOUSE = "cora:wheelhouse"
CONTEXT_LAYER_CACHE = "cora:layerCache"

SESSION_COOKIE_NAME = "session"


def ssm_parameter_name(project: str, environment: str, what: str) -> str:
    """Where the infra app publishes an ARN for the stack app: ``/{project}/{env}/{what}``."""
    return f"/{project}/{environment}/{what}"


SSM_ORG_LAYER_ARN = "org-layer-arn"
SSM_AUTHORIZER_ARN = "authorizer-function-arn"
