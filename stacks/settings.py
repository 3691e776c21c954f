"""The reference app's settings, read once from CDK context (cdk.json or -c)."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from cora_constructs import defaults
from cora_constructs.stack import project_of


@dataclass(frozen=True)
class AppSettings:
    """Project, environment and the SSM parameters through which the two apps meet."""

    project: str
    environment: str

    @classmethod
    def of(cls, scope: Construct) -> AppSettings:
        context = project_of(scope)
        return cls(project=context.project, environment=context.environment)

    def parameter(self, what: str) -> str:
        return defaults.ssm_parameter_name(self.project, self.environment, what)

    @property
    def org_layer_arn_parameter(self) -> str:
        return self.parameter(defaults.SSM_ORG_LAYER_ARN)

    @property
    def authorizer_arn_parameter(self) -> str:
        return self.parameter(defaults.SSM_AUTHORIZER_ARN)

    @property
    def api_id_parameter(self) -> str:
        return self.parameter("http-api-id")

    @property
    def authorizer_id_parameter(self) -> str:
        return self.parameter("org-authorizer-id")


@dataclass(frozen=True)
class AuthorizerSettings:
    """The org authorizer's configuration (its environment variables), from context."""

    jwks_url: str
    jwt_issuer: str
    jwt_audience: str
    session_cookie_name: str

    @classmethod
    def of(cls, scope: Construct) -> AuthorizerSettings:
        def get(key: str, default: str) -> str:
            value = scope.node.try_get_context(key)
            return str(value) if value else default

        return cls(
            jwks_url=get("cora:jwksUrl", "https://auth.example.com/.well-known/jwks.json"),
            jwt_issuer=get("cora:jwtIssuer", "https://auth.example.com/"),
            jwt_audience=get("cora:jwtAudience", "cora-api"),
            session_cookie_name=get("cora:sessionCookieName", defaults.SESSION_COOKIE_NAME),
        )

    def environment(self) -> dict[str, str]:
        return {
            "JWKS_URL": self.jwks_url,
            "JWT_ISSUER": self.jwt_issuer,
            "JWT_AUDIENCE": self.jwt_audience,
            "SESSION_COOKIE_NAME": self.session_cookie_name,
        }
