"""What a project needs besides Python, pinned in one place: the CDK CLI a new project installs,
the oldest CLI the pinned aws-cdk-lib accepts, and the Node.js it needs."""

from __future__ import annotations

import re

AWS_CDK_LIB_VERSION = "2.275.0"
"""The aws-cdk-lib cora-constructs pins (pyproject.toml)."""

CDK_CLI_VERSION = "2.1148.1"
"""The CDK CLI (npm ``aws-cdk``) a new project pins in package.json: the one cora-constructs is
tested with (its own package.json)."""

MINIMUM_CDK_CLI = (2, 1148, 0)
"""The oldest CLI that reads aws-cdk-lib 2.275's cloud assembly: the ``minimumCliVersion`` the
library writes into cdk.out/manifest.json. CLI 3.x refuses aws-cdk-lib 2.x apps."""

MINIMUM_NODE = (20, 0, 0)
"""aws-cdk-lib 2.275's ``engines.node``."""

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """The first ``X.Y.Z`` in ``text`` (``v20.11.1``, ``2.1148.1 (build 4c2b0f6)``), or None."""
    match = _VERSION.search(text)
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def cdk_cli_problem(version: tuple[int, int, int]) -> str | None:
    """Why this CDK CLI cannot deploy the app, or None when it can."""
    if version[0] != MINIMUM_CDK_CLI[0]:
        return (
            f"CDK CLI {dotted(version)} is not a 2.x CLI: aws-cdk-lib {AWS_CDK_LIB_VERSION} needs aws-cdk@2 "
            f"(>= {dotted(MINIMUM_CDK_CLI)})"
        )
    if version < MINIMUM_CDK_CLI:
        return (
            f"CDK CLI {dotted(version)} is older than {dotted(MINIMUM_CDK_CLI)}, the oldest that reads "
            f"aws-cdk-lib {AWS_CDK_LIB_VERSION}'s cloud assembly"
        )
    return None
