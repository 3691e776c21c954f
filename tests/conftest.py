"""Shared test setup: the project root, and quiet, fast jsii for every test session."""

from __future__ import annotations

import os
from pathlib import Path

# Set before aws_cdk starts its Node process: quiet the Node 20 notice, skip CDK's own
# template validation (about 2 s a synth; the main job keeps it on).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_VALIDATION", "false")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
