"""The reference app's templates are valid CloudFormation: cfn-lint reports no error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Synthesized

pytestmark = pytest.mark.synth

CFN_LINT = Path(sys.executable).with_name("cfn-lint")


def test_cfn_lint_finds_no_error(reference: Synthesized) -> None:
    if not CFN_LINT.is_file():
        pytest.skip(f"cfn-lint is not installed next to {sys.executable}")
    templates = sorted(str(p) for p in reference.outdir.glob("*.template.json"))
    assert len(templates) == 6
    completed = subprocess.run(
        [str(CFN_LINT), "--format", "json", *templates], capture_output=True, text=True, check=False
    )
    findings = json.loads(completed.stdout or "[]")
    errors = [f for f in findings if f["Level"] == "Error"]
    assert errors == [], json.dumps(errors, indent=1)
