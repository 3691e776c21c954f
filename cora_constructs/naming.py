"""The one naming convention for functions and stacks, stable across synths."""

from __future__ import annotations

import hashlib
import re

MAX_FUNCTION_NAME = 64
_UNSAFE = re.compile(r"[^a-z0-9-]+")


def slug(text: str) -> str:
    """Lower-case, hyphen-separated: ``Tracker_API`` -> ``tracker-api``."""
    return _UNSAFE.sub("-", text.lower().replace("_", "-")).strip("-")


def function_name(project: str, environment: str, module: str, lambda_name: str) -> str:
    """``{project}-{environment}-{module}-{lambda}``; names over 64 characters keep a hash suffix."""
    name = "-".join(slug(part) for part in (project, environment, module, lambda_name) if slug(part))
    if len(name) <= MAX_FUNCTION_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_FUNCTION_NAME - 9].rstrip('-')}-{digest}"


def stack_name(project: str, environment: str, part: str) -> str:
    """``{project}-{environment}-{part}``, e.g. ``cora-dev-tracker``."""
    return "-".join(slug(p) for p in (project, environment, part))


def module_name(folder: str) -> str:
    """``module-tracker`` -> ``tracker``."""
    return folder.removeprefix("module-")
