"""Every ``cora:*`` setting of ``cdk.json`` (or ``-c``) checked before anything is built.

Pure: no ``aws_cdk`` or ``constructs`` import, so ``cora doctor`` and the tests call it in
milliseconds. :func:`check_settings` returns every problem at once, each a
:class:`~cora_constructs.errors.Violation` (rule ``CORA-S1``) naming the key, the value received
and the fix; an unknown ``cora:`` key is a warning naming the nearest known key.

The registry :data:`SETTINGS` is the one list of settings: a key, its default, a check and a
line of help. Adding a setting is one line there (``ProjectContext`` reads the keys it lists).
A check takes the value (never None: unset keys are not checked) and a :class:`Checked` view of
the whole context, and returns what is wrong with the fix, or None.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cora_constructs import defaults
from cora_constructs.errors import Violation

RULE = "CORA-S1"
PREFIX = "cora:"

MAX_FUNCTION_NAME = 64
FUNCTION_NAME_ROOM = 24
"""Characters of a Lambda name that ``{project}-{environment}-`` must leave to ``{module}-{lambda}``."""
MAX_SSM_PREFIX = 900
"""SSM parameter names reach 1011 characters; the prefix leaves room for the parameter itself."""
MAX_SSM_PREFIX_LEVELS = 14
"""SSM allows 15 levels; the apps add one (``/org-layer-arn``)."""

LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""The retentions CloudWatch Logs accepts, in days."""

_PROJECT = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*")
_ENVIRONMENT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*")
_SSM_PREFIX = re.compile(r"(?:/[A-Za-z0-9_.-]+)+/?")
_CLAIM = re.compile(r"[^\s\x00-\x1f\x7f]+")
_PROVIDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_COOKIE_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_WHOLE = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Checked:
    """What a check may look at besides its own value: the other settings and the project root."""

    context: Mapping[str, object]
    root: Path

    def text(self, key: str, default: str) -> str:
        value = self.context.get(key)
        return value if isinstance(value, str) and value else default

    def path(self, value: str) -> Path:
        """``value`` as a path: ``~`` expanded, relative to the project root."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.root / path


Check = Callable[[object, Checked], "str | None"]


@dataclass(frozen=True)
class Setting:
    """One ``cora:*`` setting: its key, default (None: none), check and one line of help."""

    key: str
    default: object
    check: Check
    help: str


@dataclass
class SettingsReport:
    """The problems (each fails the synth) and warnings (printed) of one app's settings."""

    errors: list[Violation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- checks -------------------------------------------------------------------------------------


def _string(value: object, what: str) -> str | None:
    """A problem when ``value`` is not a non-blank string (``what`` says what it should be)."""
    if not isinstance(value, str):
        return f"{value!r} is a {type(value).__name__}, not text: set it to {what} (a JSON string)"
    if not value.strip():
        return f"{value!r} is empty: set it to {what}, or remove the key to use the default"
    return None


def _name(value: object, what: str, pattern: re.Pattern[str], example: str) -> str | None:
    problem = _string(value, f"{what} such as {example!r}")
    if problem or not isinstance(value, str):
        return problem
    if not pattern.fullmatch(value):
        fix = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-") or example
        return (
            f"{value!r} cannot be part of CloudFormation stack, Lambda function and SSM parameter "
            f"names: use letters, digits and single hyphens, starting with a "
            f"{'letter' if pattern is _PROJECT else 'letter or digit'}, e.g. {fix!r}"
        )
    return None


def check_project(value: object, checked: Checked) -> str | None:
    problem = _name(value, "the project's name", _PROJECT, defaults.DEFAULT_PROJECT)
    if problem or not isinstance(value, str):
        return problem
    if defaults.CONTEXT_SSM_PREFIX not in checked.context and value.lower().startswith(("aws", "ssm")):
        return (
            f"{value!r} starts the default SSM prefix /{value}/..., and SSM refuses parameter names "
            "beginning with 'aws' or 'ssm': rename the project or set cora:ssmPrefix"
        )
    return None


def check_environment(value: object, checked: Checked) -> str | None:
    return _name(value, "the environment's name", _ENVIRONMENT, defaults.DEFAULT_ENVIRONMENT)


def check_ssm_prefix(value: object, checked: Checked) -> str | None:
    problem = _string(value, "an SSM path such as '/cora/dev'")
    if problem or not isinstance(value, str):
        return problem
    if not value.startswith("/"):
        return f"{value!r} does not start with '/': SSM needs a full path, e.g. '/{value.strip('/')}'"
    if not _SSM_PREFIX.fullmatch(value):
        return (
            f"{value!r} is not an SSM path: use '/'-separated levels of letters, digits, '.', '-' "
            "and '_' (no empty level, no spaces), e.g. '/cora/dev'"
        )
    if value[1:4].lower() in ("aws", "ssm"):
        return f"{value!r}: SSM reserves names beginning with 'aws' and 'ssm': choose another first level"
    if value.rstrip("/").count("/") > MAX_SSM_PREFIX_LEVELS:
        return (
            f"{value!r} has more than {MAX_SSM_PREFIX_LEVELS} levels (SSM allows 15 with the parameter's own)"
        )
    if len(value) > MAX_SSM_PREFIX:
        return f"{value[:40]!r}... is {len(value)} characters: keep it under {MAX_SSM_PREFIX}"
    return None


def check_jwks_url(value: object, checked: Checked) -> str | None:
    example = "https://<your IdP>/.well-known/jwks.json"
    problem = _string(value, f"the identity provider's JWKS URL ({example})")
    if problem or not isinstance(value, str):
        return problem
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError as exc:
        return f"{value!r} is not a URL ({exc}): set the JWKS URL, e.g. {example}"
    if any(c.isspace() or ord(c) < 32 for c in value):
        return f"{value!r} contains spaces or control characters: set the exact JWKS URL"
    if parts.scheme != "https":
        return (
            f"{value!r} is not https://: the authorizer fetches keys over TLS only and would deny "
            f"every request; use the https:// JWKS URL, e.g. {example}"
        )
    if not parts.hostname:
        return f"{value!r} has no host: set the full JWKS URL, e.g. {example}"
    return None


def check_issuer(value: object, checked: Checked) -> str | None:
    return _string(value, "the exact 'iss' of your tokens, e.g. 'https://dev-123.okta.com/oauth2/default'")


def check_audience(value: object, checked: Checked) -> str | None:
    problem = _string(value, "the 'aud' your tokens carry (comma-separate several)")
    if problem or not isinstance(value, str):
        return problem
    if not any(part.strip() for part in value.split(",")):
        return f"{value!r} names no audience: set the 'aud' your tokens carry, e.g. 'cora-api'"
    return None


def check_cookie_name(value: object, checked: Checked) -> str | None:
    problem = _string(value, "the session cookie's name, e.g. 'session'")
    if problem or not isinstance(value, str):
        return problem
    if not _COOKIE_NAME.fullmatch(value):
        return (
            f"{value!r} is not a cookie name (RFC 6265: no spaces, controls or any of "
            "()<>@,;:\\\"/[]?={}): use the cookie your sign-in sets, e.g. 'session' or '__Host-session'"
        )
    return None


QUERY_PARAM = re.compile(r"[A-Za-z0-9_.-]{1,64}")
"""A query-string parameter name the org authorizer reads a WebSocket handshake's token from."""


def check_query_param(value: object, checked: Checked) -> str | None:
    problem = _string(value, f"a query-string parameter name, e.g. {defaults.WS_TOKEN_QUERY_PARAM!r}")
    if problem or not isinstance(value, str):
        return problem
    if not QUERY_PARAM.fullmatch(value):
        return (
            f"{value!r} is not a query-string parameter name: use up to 64 letters, digits, '_', '-' "
            f"or '.' (default: {defaults.WS_TOKEN_QUERY_PARAM!r}); the org authorizer would deny every "
            "WebSocket handshake that carries its token in the query string"
        )
    return None


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    return None


def check_retention(value: object, checked: Checked) -> str | None:
    if _whole(value) in LOG_RETENTION_DAYS:
        return None
    return (
        f"{value!r} is not a retention CloudWatch Logs offers: use one of "
        f"{', '.join(map(str, LOG_RETENTION_DAYS))} (days)"
    )


def _requests(default: int, unit: str) -> Check:
    def check(value: object, checked: Checked) -> str | None:
        if _whole(value) is not None:
            return None
        return f"{value!r} is not a whole number of {unit}: set a number such as {default}"

    return check


def check_claim(value: object, checked: Checked) -> str | None:
    problem = _string(value, "a claim name, e.g. 'sub'")
    if problem or not isinstance(value, str):
        return problem
    if not _CLAIM.fullmatch(value):
        return f"{value!r} is not a claim name (no spaces): set the claim as your tokens spell it"
    return None


def check_provider(value: object, checked: Checked) -> str | None:
    problem = _string(value, "the provider's name, e.g. 'okta' or 'clerk'")
    if problem or not isinstance(value, str):
        return problem
    if not _PROVIDER.fullmatch(value):
        return (
            f"{value!r} is not a provider name: use up to 64 letters, digits, '.', '-' or '_', "
            "e.g. 'okta' or 'clerk'"
        )
    return None


def check_relative_glob(value: object, checked: Checked) -> str | None:
    problem = _string(value, f"a glob under the project root, e.g. {defaults.MODULES_GLOB!r}")
    if problem or not isinstance(value, str):
        return problem
    if value.startswith("/") or ".." in Path(value).parts:
        return f"{value!r} leaves the project root: use a glob relative to it, e.g. {defaults.MODULES_GLOB!r}"
    return None


def check_folder_name(value: object, checked: Checked) -> str | None:
    return _string(value, "a folder, relative to the project root")


def check_existing_folder(value: object, checked: Checked) -> str | None:
    problem = _string(value, "an existing folder")
    if problem or not isinstance(value, str):
        return problem
    if not checked.path(value).is_dir():
        return f"{value!r} is not a folder ({checked.path(value)}): create it, or fix the path"
    return None


def check_cache_folder(value: object, checked: Checked) -> str | None:
    problem = _string(value, "a folder for layer bundles, e.g. '~/.cache/cora-constructs/layers'")
    if problem or not isinstance(value, str):
        return problem
    path = checked.path(value)
    if path.exists() and not path.is_dir():
        return f"{value!r} is a file ({path}), not a folder: point it at a folder (created if missing)"
    return None


def check_root(value: object, checked: Checked) -> str | None:
    problem = _string(value, "the folder holding cdk.json")
    if problem or not isinstance(value, str):
        return problem
    if not Path(value).expanduser().is_dir():
        return f"{value!r} is not a folder: set it to the folder holding cdk.json, or remove it"
    return None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        defaults.CONTEXT_PROJECT,
        defaults.DEFAULT_PROJECT,
        check_project,
        "names stacks, functions and SSM parameters",
    ),
    Setting(
        defaults.CONTEXT_ENVIRONMENT,
        defaults.DEFAULT_ENVIRONMENT,
        check_environment,
        "the deployment's environment",
    ),
    Setting(defaults.CONTEXT_ROOT, None, check_root, "the project root (default: the folder of cdk.json)"),
    Setting(
        defaults.CONTEXT_MODULES,
        defaults.MODULES_GLOB,
        check_relative_glob,
        "where the stack app finds Lambdas",
    ),
    Setting(
        defaults.CONTEXT_SSM_PREFIX,
        "/{project}/{environment}",
        check_ssm_prefix,
        "where the apps publish ARNs and ids",
    ),
    Setting(
        defaults.CONTEXT_ORG_LAYER_DIR,
        defaults.ORG_LAYER_DIR,
        check_folder_name,
        "the project's own org layer",
    ),
    Setting(
        defaults.CONTEXT_AUTHORIZER_DIR,
        defaults.AUTHORIZER_DIR,
        check_folder_name,
        "the project's own authorizer",
    ),
    Setting(defaults.CONTEXT_JWKS_URL, defaults.JWKS_URL, check_jwks_url, "the IdP's JWKS (https://)"),
    Setting(defaults.CONTEXT_JWT_ISSUER, defaults.JWT_ISSUER, check_issuer, "the exact 'iss' required"),
    Setting(
        defaults.CONTEXT_JWT_AUDIENCE,
        defaults.JWT_AUDIENCE,
        check_audience,
        "the 'aud' required (comma-separated: any)",
    ),
    Setting(
        defaults.CONTEXT_SESSION_COOKIE,
        defaults.SESSION_COOKIE_NAME,
        check_cookie_name,
        "the session cookie's name",
    ),
    Setting(
        defaults.CONTEXT_WS_TOKEN_QUERY_PARAM,
        defaults.WS_TOKEN_QUERY_PARAM,
        check_query_param,
        "the WebSocket handshake's token parameter",
    ),
    Setting(
        defaults.CONTEXT_IDENTITY_PROVIDER,
        None,
        check_provider,
        "the context's provider (default: from the issuer)",
    ),
    Setting(
        defaults.CONTEXT_USER_ID_CLAIM, defaults.USER_ID_CLAIM, check_claim, "the claim that becomes user_id"
    ),
    Setting(defaults.CONTEXT_EMAIL_CLAIM, defaults.EMAIL_CLAIM, check_claim, "the claim that becomes email"),
    Setting(defaults.CONTEXT_NAME_CLAIM, defaults.NAME_CLAIM, check_claim, "the claim that becomes name"),
    Setting(
        defaults.CONTEXT_GROUPS_CLAIM, defaults.GROUPS_CLAIM, check_claim, "the claim that becomes groups"
    ),
    Setting(
        defaults.CONTEXT_LOG_RETENTION_DAYS,
        defaults.LOG_RETENTION_DAYS,
        check_retention,
        "days logs are kept",
    ),
    Setting(
        defaults.CONTEXT_THROTTLE_BURST,
        defaults.THROTTLE_BURST,
        _requests(defaults.THROTTLE_BURST, "requests"),
        "the API's burst limit",
    ),
    Setting(
        defaults.CONTEXT_THROTTLE_RATE,
        defaults.THROTTLE_RATE,
        _requests(defaults.THROTTLE_RATE, "requests per second"),
        "the API's steady rate",
    ),
    Setting(
        defaults.CONTEXT_LAYER_CACHE,
        "~/.cache/cora-constructs/layers",
        check_cache_folder,
        "where layer bundles are cached",
    ),
    Setting(
        defaults.CONTEXT_WHEELHOUSE, None, check_existing_folder, "a folder of wheels for offline builds"
    ),
)
"""Every ``cora:*`` setting, in the guide's order."""

KNOWN: Mapping[str, Setting] = {setting.key: setting for setting in SETTINGS}
KNOWN_KEYS: tuple[str, ...] = tuple(KNOWN)


def _name_room(checked: Checked) -> Violation | None:
    """``{project}-{environment}-`` must leave room in Lambda's 64 characters for the rest."""
    project = checked.text(defaults.CONTEXT_PROJECT, defaults.DEFAULT_PROJECT)
    environment = checked.text(defaults.CONTEXT_ENVIRONMENT, defaults.DEFAULT_ENVIRONMENT)
    used = len(project) + len(environment) + 2
    if used <= MAX_FUNCTION_NAME - FUNCTION_NAME_ROOM:
        return None
    key = defaults.CONTEXT_PROJECT if len(project) >= len(environment) else defaults.CONTEXT_ENVIRONMENT
    return Violation(
        RULE,
        f"cdk context {key}",
        f"'{project}-{environment}-' takes {used} of a Lambda name's {MAX_FUNCTION_NAME} characters, "
        f"leaving fewer than {FUNCTION_NAME_ROOM} for '{{module}}-{{lambda}}': shorten "
        f"{defaults.CONTEXT_PROJECT} or {defaults.CONTEXT_ENVIRONMENT} (together at most "
        f"{MAX_FUNCTION_NAME - FUNCTION_NAME_ROOM - 2} characters)",
    )


def nearest_key(key: str) -> str | None:
    """The known key ``key`` most likely meant (case-insensitive), or None."""
    # Compared without the shared "cora:" prefix, which would make every key look alike.
    names = {known[len(PREFIX) :].lower(): known for known in KNOWN}
    name = key[len(PREFIX) :].lower() if key.lower().startswith(PREFIX) else key.lower()
    if name in names:
        return names[name]
    match = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return names[match[0]] if match else None


def check_settings(context: Mapping[str, object], root: Path | None = None) -> SettingsReport:
    """Check every ``cora:*`` key of ``context`` (CDK context as ``cdk synth`` passes it).

    :param root: the project root for relative paths; default ``cora:projectRoot`` or the
        current folder.
    """
    settings = {k: v for k, v in context.items() if isinstance(k, str) and k.lower().startswith(PREFIX)}
    configured_root = settings.get(defaults.CONTEXT_ROOT)
    if root is None:
        root = (
            Path(configured_root).expanduser()
            if isinstance(configured_root, str) and configured_root
            else Path.cwd()
        )
    checked = Checked(settings, root)
    report = SettingsReport()
    for key, value in settings.items():
        setting = KNOWN.get(key)
        if setting is None:
            guess = nearest_key(key)
            hint = f"did you mean {guess!r}?" if guess else f"the settings are: {', '.join(KNOWN_KEYS)}"
            report.warnings.append(
                f"cdk context {key!r} is not a cora-constructs setting and is ignored: {hint}"
            )
            continue
        if value is None:
            continue
        problem = setting.check(value, checked)
        if problem:
            report.errors.append(Violation(RULE, f"cdk context {key}", f"{problem}."))
    if not any(
        v.path.endswith((defaults.CONTEXT_PROJECT, defaults.CONTEXT_ENVIRONMENT)) for v in report.errors
    ):
        room = _name_room(checked)
        if room is not None:
            report.errors.append(room)
    return report
