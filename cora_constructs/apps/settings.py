"""The two apps' settings, read once from CDK context (cdk.json or ``-c``), with their defaults.

- ``cora:project`` (``cora``) and ``cora:environment`` (``dev``): stacks are named
  ``{project}-{env}-...``, functions ``{project}-{env}-{module}-{lambda}``;
- ``cora:modules`` (``packages/module-*/backend/lambdas/*``): where the stack app finds Lambdas;
- ``cora:ssmPrefix`` (``/{project}/{environment}``): where the apps publish ARNs and ids;
- ``cora:orgLayerDir`` (``layers/org_common`` when present): the project's own org layer folder;
- ``cora:authorizerDir`` (``lambdas/authorizer`` when present): the project's own authorizer,
  else the one shipped in cora-constructs;
- ``cora:jwksUrl``, ``cora:jwtIssuer``, ``cora:jwtAudience``, ``cora:sessionCookieName``: the
  org authorizer's settings; ``cora:identityProvider``, ``cora:userIdClaim`` (``sub``),
  ``cora:emailClaim`` (``email``), ``cora:nameClaim`` (``name``), ``cora:groupsClaim``
  (``groups``): which claims fill its identity contract;
- ``cora:jwksUrl``, ``cora:jwtIssuer``, ``cora:jwtAudience``, ``cora:sessionCookieName``,
  ``cora:wsTokenQueryParam`` (``token``): the org authorizer's settings;
- ``cora:layerCache`` (``~/.cache/cora-constructs/layers``) and ``cora:wheelhouse`` (none):
  where layer bundles are cached, and a folder of wheels for offline builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from constructs import Construct

from cora_constructs import defaults, packaged
from cora_constructs.errors import CoraValidationError
from cora_constructs.project import ProjectContext
from cora_constructs.settings_check import QUERY_PARAM
from cora_constructs.stack import project_of


@dataclass(frozen=True)
class AppSettings:
    """Project, environment and the SSM parameters through which the two apps meet."""

    project: str
    environment: str
    ssm_prefix: str | None = None

    @classmethod
    def of(cls, scope: Construct) -> AppSettings:
        return cls.from_project(project_of(scope))

    @classmethod
    def from_project(cls, context: ProjectContext) -> AppSettings:
        prefix = context.settings.get(defaults.CONTEXT_SSM_PREFIX)
        return cls(context.project, context.environment, str(prefix) if prefix else None)

    def parameter(self, what: str) -> str:
        return defaults.ssm_parameter_name(self.project, self.environment, what, self.ssm_prefix)

    @property
    def org_layer_arn_parameter(self) -> str:
        return self.parameter(defaults.SSM_ORG_LAYER_ARN)

    @property
    def authorizer_arn_parameter(self) -> str:
        return self.parameter(defaults.SSM_AUTHORIZER_ARN)

    @property
    def api_id_parameter(self) -> str:
        return self.parameter(defaults.SSM_API_ID)

    @property
    def authorizer_id_parameter(self) -> str:
        return self.parameter(defaults.SSM_AUTHORIZER_ID)

    @property
    def websocket_api_id_parameter(self) -> str:
        return self.parameter(defaults.SSM_WEBSOCKET_API_ID)

    @property
    def websocket_authorizer_id_parameter(self) -> str:
        return self.parameter(defaults.SSM_WEBSOCKET_AUTHORIZER_ID)

    @property
    def websocket_endpoint_parameter(self) -> str:
        return self.parameter(defaults.SSM_WEBSOCKET_ENDPOINT)

    @property
    def websocket_management_endpoint_parameter(self) -> str:
        return self.parameter(defaults.SSM_WEBSOCKET_MANAGEMENT_ENDPOINT)

    @property
    def websocket_stage(self) -> str:
        """The WebSocket API's stage: the environment (``wss://.../dev``)."""
        return self.environment


@dataclass(frozen=True)
class AuthorizerSettings:
    """The org authorizer: where its code is, and its configuration (environment variables)."""

    source: Path
    jwks_url: str
    jwt_issuer: str
    jwt_audience: str
    session_cookie_name: str
    deployment: str = defaults.DEFAULT_ENVIRONMENT
    identity_provider: str = ""
    user_id_claim: str = defaults.USER_ID_CLAIM
    email_claim: str = defaults.EMAIL_CLAIM
    name_claim: str = defaults.NAME_CLAIM
    groups_claim: str = defaults.GROUPS_CLAIM
    ws_token_query_param: str = defaults.WS_TOKEN_QUERY_PARAM

    @classmethod
    def of(cls, scope: Construct) -> AuthorizerSettings:
        context = project_of(scope)
        query_param = context.setting(defaults.CONTEXT_WS_TOKEN_QUERY_PARAM, defaults.WS_TOKEN_QUERY_PARAM)
        if not QUERY_PARAM.fullmatch(query_param):
            raise CoraValidationError.single(
                "CORA-F2",
                f"cdk context {defaults.CONTEXT_WS_TOKEN_QUERY_PARAM}",
                f"{query_param!r} is not a query-string parameter name: use letters, digits, '_', "
                "'-' or '.' (default: token); the org authorizer would deny every WebSocket "
                "handshake that carries its token in the query string.",
            )
        return cls(
            source=authorizer_source(context),
            jwks_url=context.setting(defaults.CONTEXT_JWKS_URL, defaults.JWKS_URL),
            jwt_issuer=context.setting(defaults.CONTEXT_JWT_ISSUER, defaults.JWT_ISSUER),
            jwt_audience=context.setting(defaults.CONTEXT_JWT_AUDIENCE, defaults.JWT_AUDIENCE),
            session_cookie_name=context.setting(
                defaults.CONTEXT_SESSION_COOKIE, defaults.SESSION_COOKIE_NAME
            ),
            deployment=context.environment,
            identity_provider=context.setting(defaults.CONTEXT_IDENTITY_PROVIDER, ""),
            user_id_claim=context.setting(defaults.CONTEXT_USER_ID_CLAIM, defaults.USER_ID_CLAIM),
            email_claim=context.setting(defaults.CONTEXT_EMAIL_CLAIM, defaults.EMAIL_CLAIM),
            name_claim=context.setting(defaults.CONTEXT_NAME_CLAIM, defaults.NAME_CLAIM),
            groups_claim=context.setting(defaults.CONTEXT_GROUPS_CLAIM, defaults.GROUPS_CLAIM),
            ws_token_query_param=query_param,
        )

    def environment(self) -> dict[str, str]:
        """The authorizer's environment variables (its module docstring documents each)."""
        variables = {
            "JWKS_URL": self.jwks_url,
            "JWT_ISSUER": self.jwt_issuer,
            "JWT_AUDIENCE": self.jwt_audience,
            "SESSION_COOKIE_NAME": self.session_cookie_name,
            "CORA_ENVIRONMENT": self.deployment,
            "USER_ID_CLAIM": self.user_id_claim,
            "EMAIL_CLAIM": self.email_claim,
            "NAME_CLAIM": self.name_claim,
            "GROUPS_CLAIM": self.groups_claim,
            "WS_TOKEN_QUERY_PARAM": self.ws_token_query_param,
        }
        if self.identity_provider:
            # Unset, the authorizer names the provider after the issuer (okta, clerk or oidc).
            variables["IDENTITY_PROVIDER"] = self.identity_provider
        return variables


def authorizer_source(context: ProjectContext) -> Path:
    """The project's own authorizer folder (``lambdas/authorizer`` or ``cora:authorizerDir``)
    when it exists, else the org authorizer shipped in cora-constructs."""
    explicit = context.settings.get(defaults.CONTEXT_AUTHORIZER_DIR)
    folder = context.root / str(explicit or defaults.AUTHORIZER_DIR)
    if (folder / defaults.HANDLER_FILE).is_file():
        return folder
    if explicit:
        raise CoraValidationError.single(
            "CORA-F2",
            f"cdk context {defaults.CONTEXT_AUTHORIZER_DIR}",
            f"{folder} has no {defaults.HANDLER_FILE}: point the setting at your authorizer's "
            "folder, or drop it to deploy the org authorizer shipped in cora-constructs.",
        )
    return packaged.AUTHORIZER_DIR
