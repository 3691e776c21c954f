"""The GitHub Actions workflows: one deploy workflow per Lambda, the reusable deploy workflow
they call, and the coverage guard.

Each workflow is built as a plain model (dicts and lists) and rendered by ``yamltext``. Inputs
reach shell steps only through ``env:`` (never ``${{ }}`` inside ``run:``), checkouts keep no
credentials, permissions are the least each job needs, and every action is pinned by commit.
"""

from __future__ import annotations

from manifest_gen.generated import MARKER, GeneratedFile
from manifest_gen.model import (
    COVERAGE_GUARD_PATH,
    EXPECTED_RUNTIME,
    MANIFEST_PATH,
    REUSABLE_WORKFLOW_PATH,
    ProductionLambda,
)
from manifest_gen.pins import CHECKOUT, CONFIGURE_AWS_CREDENTIALS, SETUP_NODE, SETUP_PYTHON, ActionPin
from manifest_gen.yamltext import Block, Commented, YamlNode, render_yaml

DEFAULT_BRANCH = "main"
PYTHON_VERSION = "3.11"
NODE_VERSION = "20"
RUNNER = "ubuntu-latest"
ROLE_VARIABLE = "AWS_DEPLOY_ROLE_ARN"
REGION_VARIABLE = "AWS_REGION"
LIVE_ALIAS = "live"

# Pull requests and pushes touching any of these can change what `cora manifest check` sees.
COVERAGE_GUARD_PATHS = (
    "app.py",
    "cdk.json",
    "pyproject.toml",
    "package.json",
    "package-lock.json",
    "stacks/**",
    "cora_constructs/**",
    "manifest_gen/**",
    "packages/**",
    "lambdas/**",
    "layers/**",
    MANIFEST_PATH,
    ".github/workflows/**",
)

# zizmor >= 1.30 suggests GitHub's `$/` self-repository form for local calls; actionlint rejects
# `$/` (rhysd/actionlint#711) and the seed guard looks for `uses: ./.github/workflows/...`.
_SELF_REPOSITORY_IGNORE = "zizmor: ignore[self-repository] actionlint does not accept $/ yet"

_OIDC_PERMISSIONS: dict[str, YamlNode] = {"id-token": "write", "contents": "read"}


def render_deploy_workflow(fn: ProductionLambda) -> GeneratedFile:
    """``lambda-<function-name>-deploy.yml``: deploys ``fn`` on push to main or on demand."""
    paths: list[YamlNode] = [f"{folder}/**" for folder in (fn.lambda_dir, *fn.layers)]
    paths.append(fn.workflow_file)
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
                    "lambda_dir": fn.lambda_dir,
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
        "lambda_dir": _input("Source folder of the Lambda, relative to the repository root."),
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


def render_coverage_guard_workflow() -> GeneratedFile:
    """``lambda-workflow-coverage-guard.yml``: `cora manifest check` on pull requests and pushes."""
    paths: list[YamlNode] = list(COVERAGE_GUARD_PATHS)
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


_INSTALL = """\
python -m pip install .
npm ci
"""

_VALIDATE_INPUTS = """\
set -euo pipefail
case "$CDK_APP" in
  stack|infra) ;;
  *) echo "::error::input app must be stack or infra, got '$CDK_APP'"; exit 1 ;;
esac
if [ ! -d "$LAMBDA_DIR" ]; then
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
