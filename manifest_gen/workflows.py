"""The GitHub Actions workflows: one deploy workflow per Lambda, the reusable deploy workflow
they call, and the coverage guard.

Each workflow is built as a plain model (dicts and lists) and rendered by ``yamltext``. Inputs
reach shell steps only through ``env:`` (never ``${{ }}`` inside ``run:``), checkouts keep no
credentials, permissions are the least each job needs, and every action is pinned by commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from manifest_gen.generated import MARKER, GeneratedFile
from manifest_gen.model import (
    COVERAGE_GUARD_PATH,
    EXPECTED_RUNTIME,
    MANIFEST_PATH,
    REUSABLE_WORKFLOW_PATH,
    ProductionLambda,
)
from manifest_gen.pins import (
    CACHE,
    CHECKOUT,
    CONFIGURE_AWS_CREDENTIALS,
    SETUP_NODE,
    SETUP_PYTHON,
    ActionPin,
)
from manifest_gen.yamltext import Block, Commented, YamlNode, render_yaml

DEFAULT_BRANCH = "main"
PYTHON_VERSION = "3.11"
NODE_VERSION = "20"
RUNNER = "ubuntu-latest"
ROLE_VARIABLE = "AWS_DEPLOY_ROLE_ARN"
REGION_VARIABLE = "AWS_REGION"
LIVE_ALIAS = "live"
LAYER_CACHE_PATH = "~/.cache/cora-constructs"
# Everything a layer bundle is built from: a hit restores bundles, so `cdk deploy` runs no pip.
LAYER_INPUTS = "'**/requirements*.txt', 'pyproject.toml', '**/*.lock', 'layers/**', '**/backend/layers/**'"

# Pull requests and pushes touching any of these can change what `cora manifest check` sees;
# only those the project has are listed (cora-constructs' own repository has them all).
COVERAGE_GUARD_CANDIDATES = (
    "app.py",
    "cdk.json",
    "pyproject.toml",
    "requirements*.txt",
    "package.json",
    "package-lock.json",
    "stacks/**",
    "cora_constructs/**",
    "cora_runtime/**",
    "manifest_gen/**",
    "packages/**",
    "lambdas/**",
    "layers/**",
)
ALWAYS_GUARDED = (MANIFEST_PATH, ".github/workflows/**")


def coverage_guard_paths(exists: Callable[[str], bool] | None = None) -> tuple[str, ...]:
    """The guard's path filters: the candidates ``exists`` accepts (all without it), then the
    manifest and the workflows."""
    kept = [path for path in COVERAGE_GUARD_CANDIDATES if exists is None or exists(path)]
    return (*kept, *ALWAYS_GUARDED)


# zizmor >= 1.30 suggests GitHub's `$/` self-repository form for local calls; actionlint rejects
# `$/` (rhysd/actionlint#711) and the seed guard looks for `uses: ./.github/workflows/...`.
_SELF_REPOSITORY_IGNORE = "zizmor: ignore[self-repository] actionlint does not accept $/ yet"

_OIDC_PERMISSIONS: dict[str, YamlNode] = {"id-token": "write", "contents": "read"}


def render_deploy_workflow(fn: ProductionLambda) -> GeneratedFile:
    """``lambda-<function-name>-deploy.yml``: deploys ``fn`` on push to main or on demand."""
    paths: list[YamlNode] = [*fn.watched_paths, fn.workflow_file]
    document: dict[str, YamlNode] = {
        "name": f"Deploy Lambda {fn.function_name}",
        "on": {
            "push": {"branches": [DEFAULT_BRANCH], "paths": paths},
            "workflow_dispatch": None,
        },
        "permissions": dict(_OIDC_PERMISSIONS),
        "jobs": {
            "deploy": {
                "name": f"Deploy {fn.function_name}",
                "permissions": dict(_OIDC_PERMISSIONS),
                "uses": Commented(f"./{REUSABLE_WORKFLOW_PATH}", _SELF_REPOSITORY_IGNORE),
                "with": {
                    "function_name": fn.function_name,
                    "stack": fn.stack_id,
                    "app": fn.app,
                    # Code shipped in cora-constructs has no folder in the project to check.
                    "lambda_dir": "" if fn.source_package else fn.lambda_dir,
                },
            }
        },
    }
    return GeneratedFile(fn.workflow_file, render_yaml(document, header=MARKER))


def render_reusable_workflow() -> GeneratedFile:
    """``lambda-deploy-reusable.yml``: `cdk deploy` one Lambda's stack, then check the Lambda.

    Runs of one function queue behind each other (workflow concurrency per function), and the
    deploy job also queues per stack, because CloudFormation refuses to update a stack that is
    already updating (one push touching the org layer starts every function's workflow). Neither
    level ever cancels a running deploy.
    """
    inputs: dict[str, YamlNode] = {
        "function_name": _input("Name of the Lambda function to deploy and check."),
        "stack": _input("CDK stack that owns the function (passed to cdk deploy)."),
        "app": _input("CDK app holding the stack, stack or infra (passed as -c app=...)."),
        "lambda_dir": _input(
            "Source folder of the Lambda, relative to the repository root (empty for code shipped "
            "in cora-constructs)."
        ),
    }
    inputs_env: dict[str, YamlNode] = {
        "FUNCTION_NAME": "${{ inputs.function_name }}",
        "STACK": "${{ inputs.stack }}",
        "CDK_APP": "${{ inputs.app }}",
        "LAMBDA_DIR": "${{ inputs.lambda_dir }}",
    }
    steps: list[YamlNode] = [
        *_setup_steps(),
        {
            "name": "Validate inputs",
            "env": {key: inputs_env[key] for key in ("FUNCTION_NAME", "CDK_APP", "LAMBDA_DIR")},
            "run": Block(_VALIDATE_INPUTS),
        },
        {"name": "Install the project", "run": Block(_INSTALL)},
        {
            "name": "Cache the layer bundles",
            "uses": _pinned(CACHE),
            "with": {
                "path": LAYER_CACHE_PATH,
                "key": "cora-layers-${{ runner.os }}-${{ hashFiles(" + LAYER_INPUTS + ") }}",
                "restore-keys": "cora-layers-${{ runner.os }}-",
            },
        },
        {
            "name": "Configure AWS credentials (OIDC)",
            "uses": _pinned(CONFIGURE_AWS_CREDENTIALS),
            "with": {
                "role-to-assume": f"${{{{ vars.{ROLE_VARIABLE} }}}}",
                "aws-region": f"${{{{ vars.{REGION_VARIABLE} }}}}",
                "role-session-name": "cora-lambda-deploy",
            },
        },
        {
            "name": "cdk deploy",
            "env": {key: inputs_env[key] for key in ("STACK", "CDK_APP")},
            "run": Block(
                'npx --no-install cdk deploy "$STACK" --exclusively --require-approval never'
                ' -c "app=$CDK_APP"\n'
            ),
        },
        {
            "name": "Post-deploy check",
            "env": {"FUNCTION_NAME": inputs_env["FUNCTION_NAME"], "EXPECTED_RUNTIME": EXPECTED_RUNTIME},
            "run": Block(_POST_DEPLOY_CHECK),
        },
        {
            # The deployed function against the standards, the manifest and the cdk.out that
            # `cdk deploy` just wrote: code hash, org layer version, live alias, its routes.
            "name": "Audit the deployed function",
            "env": {"FUNCTION_NAME": inputs_env["FUNCTION_NAME"]},
            "run": Block('cora audit --function "$FUNCTION_NAME"\n'),
        },
    ]
    document: dict[str, YamlNode] = {
        "name": "Lambda deploy (reusable)",
        "on": {"workflow_call": {"inputs": inputs}},
        "permissions": {"contents": "read"},
        "concurrency": {
            "group": "lambda-deploy-${{ inputs.function_name }}",
            "cancel-in-progress": False,
        },
        "jobs": {
            "deploy": {
                "name": "Deploy ${{ inputs.function_name }}",
                "runs-on": RUNNER,
                "timeout-minutes": 60,
                "permissions": dict(_OIDC_PERMISSIONS),
                "concurrency": {
                    "group": "cdk-deploy-${{ inputs.stack }}",
                    "cancel-in-progress": False,
                },
                "steps": steps,
            }
        },
    }
    return GeneratedFile(REUSABLE_WORKFLOW_PATH, render_yaml(document, header=MARKER))


def render_coverage_guard_workflow(guarded: Sequence[str] | None = None) -> GeneratedFile:
    """``lambda-workflow-coverage-guard.yml``: `cora manifest check`, then `cora check` (the CORA
    rule pack on the synthesized templates), on pull requests and pushes."""
    paths: list[YamlNode] = list(guarded if guarded is not None else coverage_guard_paths())
    document: dict[str, YamlNode] = {
        "name": "Lambda workflow coverage guard",
        "on": {
            "pull_request": {"paths": list(paths)},
            "push": {"branches": [DEFAULT_BRANCH], "paths": list(paths)},
        },
        "permissions": {"contents": "read"},
        "concurrency": {
            "group": "lambda-workflow-coverage-guard-${{ github.ref }}",
            "cancel-in-progress": True,
        },
        "jobs": {
            "check": {
                "name": "cora manifest check",
                "runs-on": RUNNER,
                "timeout-minutes": 20,
                "steps": [
                    *_setup_steps(),
                    {"name": "Install the project", "run": Block(_INSTALL)},
                    {
                        "name": "Check the manifest and workflows against the app",
                        "run": Block("cora manifest check\n"),
                    },
                    {
                        "name": "Check the standards on the synthesized templates",
                        "run": Block("cora check\n"),
                    },
                ],
            }
        },
    }
    return GeneratedFile(COVERAGE_GUARD_PATH, render_yaml(document, header=MARKER))


def _input(description: str) -> dict[str, YamlNode]:
    return {"description": description, "required": True, "type": "string"}


def _pinned(pin: ActionPin) -> Commented:
    return Commented(pin.uses, pin.version)


def _setup_steps() -> list[YamlNode]:
    return [
        {
            "name": "Check out",
            "uses": _pinned(CHECKOUT),
            "with": {"persist-credentials": False},
        },
        {
            "name": "Set up Python",
            "uses": _pinned(SETUP_PYTHON),
            "with": {"python-version": PYTHON_VERSION},
        },
        {
            "name": "Set up Node",
            "uses": _pinned(SETUP_NODE),
            "with": {"node-version": NODE_VERSION},
        },
    ]


# The project declares its dependencies one of these ways; the guide lists them.
_INSTALL = """\
set -euo pipefail
if [ -f requirements.txt ]; then
  python -m pip install -r requirements.txt
elif [ -f pyproject.toml ] || [ -f setup.py ]; then
  python -m pip install .
else
  echo "::error::no requirements.txt or pyproject.toml declares cora-constructs"
  exit 1
fi
if [ -f package-lock.json ]; then
  npm ci
elif [ -f package.json ]; then
  npm install --no-audit --no-fund
else
  echo "::error::no package.json pins the CDK CLI: run npm install --save-dev aws-cdk@2 and commit it"
  exit 1
fi
"""

_VALIDATE_INPUTS = """\
set -euo pipefail
case "$CDK_APP" in
  stack|infra) ;;
  *) echo "::error::input app must be stack or infra, got '$CDK_APP'"; exit 1 ;;
esac
if [ -n "$LAMBDA_DIR" ] && [ ! -d "$LAMBDA_DIR" ]; then
  echo "::error::the folder '$LAMBDA_DIR' of $FUNCTION_NAME does not exist"
  exit 1
fi
"""

_POST_DEPLOY_CHECK = f"""\
set -euo pipefail
aws lambda wait function-updated --function-name "$FUNCTION_NAME"
read -r runtime state < <(aws lambda get-function-configuration --function-name "$FUNCTION_NAME" \\
  --query '[Runtime, State]' --output text)
if [ "$runtime" != "$EXPECTED_RUNTIME" ]; then
  echo "::error::$FUNCTION_NAME runs $runtime, expected $EXPECTED_RUNTIME"
  exit 1
fi
if [ "$state" != "Active" ]; then
  echo "::error::$FUNCTION_NAME is $state, expected Active"
  exit 1
fi
alias_version=$(aws lambda get-alias --function-name "$FUNCTION_NAME" --name {LIVE_ALIAS} \\
  --query FunctionVersion --output text)
if [ "$alias_version" = "\\$LATEST" ]; then
  echo "::error::alias {LIVE_ALIAS} of $FUNCTION_NAME points to \\$LATEST, expected a published version"
  exit 1
fi
echo "$FUNCTION_NAME: $runtime, $state, alias {LIVE_ALIAS} -> version $alias_version"
"""
