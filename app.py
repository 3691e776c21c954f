#!/usr/bin/env python3
"""The reference CDK app. ``-c app=stack`` or ``-c app=infra`` picks one app; no context builds both."""

from __future__ import annotations

import sys

import aws_cdk as cdk

from cora_constructs import CoraValidationError
from stacks import build_apps


def main() -> int:
    app = cdk.App()
    try:
        build_apps(app)
    except CoraValidationError as exc:
        print(f"cora: the app breaks the standards:\n{exc}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
