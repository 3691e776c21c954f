"""The reference app, synthesized once per test session (both apps, no bundling)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    templates: dict[str, dict[str, Any]]

    def by_app(self, app: str) -> dict[str, dict[str, Any]]:
        """Templates of the stacks whose Lambdas carry ``cora:app`` == ``app``, or are its stacks."""
        names = {"infra": {"cora-dev-infra"}}.get(app)
        if names is not None:
            return {k: v for k, v in self.templates.items() if k in names}
        return {k: v for k, v in self.templates.items() if k != "cora-dev-infra"}


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    from stacks import build_apps
    from tests.cdk_helpers import new_app, read_templates

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir)
    build_apps(app)
    app.synth()
    return Synthesized(outdir, read_templates(outdir))
