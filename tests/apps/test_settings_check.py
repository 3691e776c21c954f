"""The ``cora:*`` settings validator: pure, every problem at once, each naming key, value and fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cora_constructs import defaults
from cora_constructs.settings_check import (
    KNOWN_KEYS,
    LOG_RETENTION_DAYS,
    RULE,
    SETTINGS,
    check_settings,
    nearest_key,
)
from tests.conftest import ROOT


def errors_of(context: dict[str, Any], root: Path = ROOT) -> dict[str, str]:
    report = check_settings(context, root)
    return {violation.path.removeprefix("cdk context "): violation.message for violation in report.errors}


def test_the_reference_cdk_json_is_clean() -> None:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    report = check_settings(context, ROOT)
    assert report.ok and report.errors == [] and report.warnings == []


def test_every_key_the_library_reads_is_in_the_registry() -> None:
    assert set(defaults.CONTEXT_KEYS) == set(KNOWN_KEYS)
    assert len(KNOWN_KEYS) == len(SETTINGS)


def test_the_retentions_are_cloudwatchs() -> None:
    from cora_constructs.functions.observability import RETENTION_DAYS

    assert tuple(RETENTION_DAYS) == LOG_RETENTION_DAYS


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("cora:project", "My Project!", "e.g. 'my-project'"),
        ("cora:project", "", "is empty"),
        ("cora:project", "-cora", "starting with a letter"),
        ("cora:project", "cora-", "single hyphens"),
        ("cora:project", "awsome", "beginning with 'aws' or 'ssm'"),
        ("cora:project", 12, "is a int, not text"),
        ("cora:environment", "", "is empty"),
        ("cora:environment", "dev env", "e.g. 'dev-env'"),
        ("cora:environment", "prod_1", "e.g. 'prod-1'"),
        ("cora:ssmPrefix", "cora/dev", "does not start with '/'"),
        ("cora:ssmPrefix", "/cora//dev", "no empty level"),
        ("cora:ssmPrefix", "/cora/d ev", "no spaces"),
        ("cora:ssmPrefix", "/aws/x", "SSM reserves"),
        ("cora:ssmPrefix", "/" + "/".join("l" * 15), "more than 14 levels"),
        ("cora:jwksUrl", "http://auth.example.com/jwks.json", "is not https://"),
        ("cora:jwksUrl", "https://", "has no host"),
        ("cora:jwksUrl", "https://[::1/jwks", "is not a URL"),
        ("cora:jwksUrl", "https://host:99999/jwks", "is not a URL"),
        ("cora:jwksUrl", "https://auth.example.com/ jwks", "spaces"),
        ("cora:jwtIssuer", "  ", "is empty"),
        ("cora:jwtAudience", ",", "names no audience"),
        ("cora:jwtAudience", ["a"], "is a list, not text"),
        ("cora:sessionCookieName", "my session", "is not a cookie name"),
        ("cora:sessionCookieName", "a=b", "is not a cookie name"),
        ("cora:logRetentionDays", 31, "use one of 1, 3, 5"),
        ("cora:logRetentionDays", "forever", "use one of"),
        ("cora:logRetentionDays", True, "use one of"),
        ("cora:throttleBurst", -1, "whole number of requests"),
        ("cora:throttleRate", "fast", "whole number of requests per second"),
        ("cora:throttleRate", 2.5, "whole number"),
        ("cora:wheelhouse", "no/such/folder", "is not a folder"),
        ("cora:layerCache", "cdk.json", "is a file"),
        ("cora:modules", "/abs/*", "leaves the project root"),
        ("cora:modules", "../other/*", "leaves the project root"),
        ("cora:projectRoot", "/no/such/root", "is not a folder"),
        ("cora:userIdClaim", "user id", "no spaces"),
        ("cora:identityProvider", "my idp!", "is not a provider name"),
        ("cora:orgLayerDir", "", "is empty"),
    ],
)
def test_each_bad_setting_is_one_error_naming_key_value_and_fix(key: str, value: Any, says: str) -> None:
    report = check_settings({key: value}, ROOT)
    assert len(report.errors) == 1, report.errors
    violation = report.errors[0]
    assert violation.code == RULE
    assert violation.path == f"cdk context {key}"
    assert repr(value)[:20] in violation.message
    assert says in violation.message
    assert "\n" not in str(violation)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cora:project", "acme-orders"),
        ("cora:project", "Cora2"),
        ("cora:environment", "2024"),
        ("cora:ssmPrefix", "/acme/orders/prod/"),
        ("cora:jwksUrl", "https://dev-1.okta.com/oauth2/default/v1/keys"),
        ("cora:jwtAudience", "api://default, cora-api"),
        ("cora:sessionCookieName", "__Host-session"),
        ("cora:logRetentionDays", "90"),
        ("cora:throttleBurst", 0),
        ("cora:throttleRate", "100"),
        ("cora:layerCache", "~/.cache/somewhere-new"),
        ("cora:wheelhouse", "tests"),
        ("cora:userIdClaim", "uid"),
        ("cora:identityProvider", "corp-sso"),
        ("cora:modules", "services/*/lambdas/*"),
        ("cora:projectRoot", str(ROOT)),
    ],
)
def test_good_settings_pass(key: str, value: Any) -> None:
    assert check_settings({key: value}, ROOT).errors == []


def test_all_problems_at_once() -> None:
    errors = errors_of(
        {
            "cora:project": "My Project!",
            "cora:environment": "",
            "cora:ssmPrefix": "cora/dev",
            "cora:jwksUrl": "http://auth.example.com/jwks.json",
            "cora:logRetentionDays": 31,
            "aws:cdk:enable-path-metadata": True,
            "app": "stack",
        }
    )
    assert set(errors) == {
        "cora:project",
        "cora:environment",
        "cora:ssmPrefix",
        "cora:jwksUrl",
        "cora:logRetentionDays",
    }


def test_project_and_environment_must_leave_room_in_function_names() -> None:
    errors = errors_of({"cora:project": "a" * 30, "cora:environment": "staging-eu-west"})
    assert set(errors) == {"cora:project"}
    assert "leaving fewer than 24 for '{module}-{lambda}'" in errors["cora:project"]
    assert errors_of({"cora:project": "a" * 30, "cora:environment": "dev"}) == {}


def test_null_means_unset() -> None:
    assert check_settings({"cora:project": None}, ROOT).errors == []


@pytest.mark.parametrize(
    ("key", "guess"),
    [
        ("cora:jwksURL", "cora:jwksUrl"),
        ("cora:enviroment", "cora:environment"),
        ("cora:logRetention", "cora:logRetentionDays"),
        ("cora:sessionCookie", "cora:sessionCookieName"),
        ("Cora:Project", "cora:project"),
    ],
)
def test_an_unknown_key_is_a_warning_naming_the_nearest(key: str, guess: str) -> None:
    report = check_settings({key: "x"}, ROOT)
    assert report.errors == []
    assert report.warnings == [
        f"cdk context {key!r} is not a cora-constructs setting and is ignored: did you mean {guess!r}?"
    ]


def test_an_unknown_key_without_a_near_one_lists_the_settings() -> None:
    assert nearest_key("cora:frobnicate") is None
    (warning,) = check_settings({"cora:frobnicate": 1}, ROOT).warnings
    assert "the settings are: cora:project, cora:environment" in warning


def test_the_module_is_pure() -> None:
    code = (
        "import sys, cora_constructs.settings_check; "
        "print(any(m.split('.')[0] in ('aws_cdk', 'constructs', 'jsii') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_identity_settings_reach_the_authorizer_environment() -> None:
    from cora_constructs.apps.settings import AuthorizerSettings

    settings = AuthorizerSettings(
        source=ROOT,
        jwks_url="https://id.example/jwks",
        jwt_issuer="https://id.example/",
        jwt_audience="api",
        session_cookie_name="session",
        deployment="prod",
        identity_provider="clerk",
        user_id_claim="uid",
    )
    environment = settings.environment()
    assert environment["CORA_ENVIRONMENT"] == "prod"
    assert environment["IDENTITY_PROVIDER"] == "clerk"
    assert environment["USER_ID_CLAIM"] == "uid"
    assert environment["GROUPS_CLAIM"] == "groups"
    unset = AuthorizerSettings(ROOT, "https://id.example/jwks", "https://id.example/", "api", "session")
    assert "IDENTITY_PROVIDER" not in unset.environment()  # the authorizer names it after the issuer
