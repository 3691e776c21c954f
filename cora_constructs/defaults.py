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
"""The project's own org layer folder, when it has one (composed with the packaged runtime)."""
AUTHORIZER_DIR = "lambdas/authorizer"
"""The project's own authorizer, when it has one; else the infra app deploys the packaged one."""
MODULES_GLOB = "packages/module-*/backend/lambdas/*"
"""Where the stack app finds module Lambdas: each match holding lambda_function.py is one."""
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
CONTEXT_MODULES = "cora:modules"
CONTEXT_SSM_PREFIX = "cora:ssmPrefix"
CONTEXT_ORG_LAYER_DIR = "cora:orgLayerDir"
CONTEXT_AUTHORIZER_DIR = "cora:authorizerDir"
CONTEXT_JWKS_URL = "cora:jwksUrl"
CONTEXT_JWT_ISSUER = "cora:jwtIssuer"
CONTEXT_JWT_AUDIENCE = "cora:jwtAudience"
CONTEXT_SESSION_COOKIE = "cora:sessionCookieName"
CONTEXT_LOG_RETENTION_DAYS = "cora:logRetentionDays"
CONTEXT_THROTTLE_BURST = "cora:throttleBurst"
CONTEXT_THROTTLE_RATE = "cora:throttleRate"
CONTEXT_IDENTITY_PROVIDER = "cora:identityProvider"
CONTEXT_USER_ID_CLAIM = "cora:userIdClaim"
CONTEXT_EMAIL_CLAIM = "cora:emailClaim"
CONTEXT_NAME_CLAIM = "cora:nameClaim"
CONTEXT_GROUPS_CLAIM = "cora:groupsClaim"
CONTEXT_WS_TOKEN_QUERY_PARAM = "cora:wsTokenQueryParam"

CONTEXT_KEYS = (
    CONTEXT_PROJECT,
    CONTEXT_ENVIRONMENT,
    CONTEXT_ROOT,
    CONTEXT_WHEELHOUSE,
    CONTEXT_LAYER_CACHE,
    CONTEXT_MODULES,
    CONTEXT_SSM_PREFIX,
    CONTEXT_ORG_LAYER_DIR,
    CONTEXT_AUTHORIZER_DIR,
    CONTEXT_JWKS_URL,
    CONTEXT_JWT_ISSUER,
    CONTEXT_JWT_AUDIENCE,
    CONTEXT_SESSION_COOKIE,
    CONTEXT_LOG_RETENTION_DAYS,
    CONTEXT_THROTTLE_BURST,
    CONTEXT_THROTTLE_RATE,
    CONTEXT_IDENTITY_PROVIDER,
    CONTEXT_USER_ID_CLAIM,
    CONTEXT_EMAIL_CLAIM,
    CONTEXT_NAME_CLAIM,
    CONTEXT_GROUPS_CLAIM,
    CONTEXT_WS_TOKEN_QUERY_PARAM,
)
"""Every cdk.json context key the library reads (see the guide's settings table); the registry
with their checks is :data:`cora_constructs.settings_check.SETTINGS` (a test keeps both equal)."""

SESSION_COOKIE_NAME = "session"


def ssm_parameter_name(project: str, environment: str, what: str, prefix: str | None = None) -> str:
    """Where the apps publish ids and ARNs for each other: ``{prefix}/{what}``, the prefix being
    ``/{project}/{environment}`` unless context ``cora:ssmPrefix`` says otherwise."""
    base = (prefix or f"/{project}/{environment}").rstrip("/")
    return f"{base}/{what}"


SSM_ORG_LAYER_ARN = "org-layer-arn"
SSM_AUTHORIZER_ARN = "authorizer-function-arn"
SSM_API_ID = "http-api-id"
SSM_AUTHORIZER_ID = "org-authorizer-id"
SSM_WEBSOCKET_API_ID = "websocket/api-id"
SSM_WEBSOCKET_AUTHORIZER_ID = "websocket/org-authorizer-id"
SSM_WEBSOCKET_ENDPOINT = "websocket/endpoint"
SSM_WEBSOCKET_MANAGEMENT_ENDPOINT = "websocket/management-endpoint"

WS_TOKEN_QUERY_PARAM = "token"
"""The query-string parameter the org authorizer reads a token from on a WebSocket ``$connect``
(context ``cora:wsTokenQueryParam``): browsers cannot set headers on a WebSocket handshake."""

JWKS_URL = "https://auth.example.com/.well-known/jwks.json"
JWT_ISSUER = "https://auth.example.com/"
JWT_AUDIENCE = "cora-api"

USER_ID_CLAIM = "sub"
"""The claim that becomes the authorizer context's ``user_id`` (context ``cora:userIdClaim``)."""
EMAIL_CLAIM = "email"
NAME_CLAIM = "name"
GROUPS_CLAIM = "groups"

LOG_RETENTION_DAYS = 30
"""How long function logs and API access logs are kept (context ``cora:logRetentionDays``)."""
THROTTLE_BURST = 100
"""The HTTP API default stage's burst limit, in requests (context ``cora:throttleBurst``)."""
THROTTLE_RATE = 50
"""The HTTP API default stage's steady rate, in requests per second (context ``cora:throttleRate``)."""
