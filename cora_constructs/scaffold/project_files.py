"""`cora init`: the files of a new project (pure rendering; the command writes them).

A new project is what a team would otherwise type from the README: ``app.py`` running both
apps from the library, ``cdk.json`` with the cora settings and the CDK feature flags `cdk init`
writes for the pinned aws-cdk-lib, the pins (``requirements.txt``, ``package.json``), a
``.gitignore``, ``pytest.ini``, a README, and one module with one Lambda and its test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from cora_constructs import defaults
from cora_constructs.scaffold.flags import recommended_flags
from cora_constructs.scaffold.lambda_files import render_lambda
from cora_constructs.scaffold.toolchain import CDK_CLI_VERSION

PROJECT_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
MAX_PROJECT = 24
MAX_ENVIRONMENT = 16
FIRST_MODULE = "hello"
FIRST_LAMBDA = "hello-api"
FIRST_ROUTES = ("GET /hello - Greet the caller",)
FIRST_MODULE_DIR = f"packages/module-{FIRST_MODULE}/backend"
FIRST_HANDLER_PATH = f"{FIRST_MODULE_DIR}/lambdas/{FIRST_LAMBDA}/{defaults.HANDLER_FILE}"


@dataclass(frozen=True)
class NewProject:
    project: str
    environment: str
    cora_version: str


def name_problems(project: str, environment: str) -> list[str]:
    """Why ``project``/``environment`` cannot name stacks and functions (empty when they can)."""
    problems = []
    for kind, value, limit, example in (
        ("project", project, MAX_PROJECT, "shop"),
        ("environment", environment, MAX_ENVIRONMENT, "dev"),
    ):
        if not PROJECT_NAME.match(value) or len(value) > limit:
            problems.append(
                f"{kind} name {value!r} cannot name stacks and functions ({{project}}-{{environment}}-...): "
                f"use lower-case letters, digits and single '-', starting with a letter, at most {limit} "
                f"characters, like {example!r} (--{kind} NAME)"
            )
    return problems


def project_name_for(folder_name: str) -> str:
    """A project name from a folder name: ``My_Shop`` -> ``my-shop``."""
    name = re.sub(r"[^a-z0-9]+", "-", folder_name.lower()).strip("-")
    name = re.sub(r"^[0-9-]+", "", name)
    return name[:MAX_PROJECT].strip("-")


def cdk_json(project: str, environment: str) -> str:
    context: dict[str, object] = {
        defaults.CONTEXT_PROJECT: project,
        defaults.CONTEXT_ENVIRONMENT: environment,
        defaults.CONTEXT_JWKS_URL: defaults.JWKS_URL,
        defaults.CONTEXT_JWT_ISSUER: defaults.JWT_ISSUER,
        defaults.CONTEXT_JWT_AUDIENCE: f"{project}-api",
        defaults.CONTEXT_SESSION_COOKIE: defaults.SESSION_COOKIE_NAME,
    }
    context.update(recommended_flags())
    document = {
        "app": "python3 app.py",
        "watch": {
            "include": ["**"],
            "exclude": [
                "README.md",
                "cdk*.json",
                "requirements*.txt",
                "**/__pycache__",
                "**/tests",
                ".venv",
                "node_modules",
            ],
        },
        "context": context,
    }
    return json.dumps(document, indent=2) + "\n"


def render_project(new: NewProject) -> dict[str, str]:
    """Every file of the new project but ``package-lock.json`` (npm writes it), by POSIX path."""
    first = render_lambda(FIRST_MODULE, FIRST_LAMBDA, list(FIRST_ROUTES), FIRST_HANDLER_PATH)
    test_name = f"test_{FIRST_MODULE}_{FIRST_LAMBDA}.py".replace("-", "_")
    requirement = (
        f"cora-constructs=={new.cora_version}"
        if new.cora_version[:1].isdigit() and "+" not in new.cora_version
        else "cora-constructs"
    )
    return {
        "app.py": APP_PY.format(project=new.project),
        "cdk.json": cdk_json(new.project, new.environment),
        "requirements.txt": (
            "# The CDK app's dependencies: cora-constructs brings aws-cdk-lib, constructs and the org\n"
            "# runtime. Pinned: upgrading it rolls the runtime, the org layer and the authorizer out.\n"
            f"{requirement}\n"
        ),
        "requirements-dev.txt": "-r requirements.txt\npytest>=8\n",
        "package.json": json.dumps(
            {
                "name": f"{new.project}-cdk",
                "private": True,
                "description": f"The CDK CLI for the {new.project} CDK app",
                "devDependencies": {"aws-cdk": CDK_CLI_VERSION},
            },
            indent=2,
        )
        + "\n",
        ".gitignore": GITIGNORE,
        "pytest.ini": PYTEST_INI,
        "README.md": README.format(
            project=new.project, environment=new.environment, module=FIRST_MODULE, lambda_name=FIRST_LAMBDA
        ),
        FIRST_HANDLER_PATH: first.handler,
        f"{FIRST_MODULE_DIR}/tests/{test_name}": first.test,
    }


APP_PY = '''#!/usr/bin/env python3
"""The {project} CDK app: the infra app and the stack app come from cora-constructs.

`cdk synth -c app=infra` (org layer, authorizer), `-c app=stack` (HTTP API, one stack per
module under packages/module-*/), or neither for both.
"""

from cora_constructs.apps import main

main()
'''

GITIGNORE = """.venv/
__pycache__/
*.pyc
.pytest_cache/
cdk.out/
node_modules/
"""

PYTEST_INI = """[pytest]
testpaths = packages
addopts = --import-mode=importlib
"""

README = """# {project}

A CDK app built on cora-constructs: the org layer and the org authorizer (infra app), an HTTP
API and one stack per module (stack app), and a deploy workflow per Lambda.

```bash
python3 -m venv .venv && . .venv/bin/activate   # Python 3.11, 3.12 or 3.13
pip install -r requirements-dev.txt              # cora-constructs (pinned) and pytest
npm ci                                           # the CDK CLI, pinned in package.json
cora doctor                                      # Python, Node, the CDK CLI, pip, cdk.json
cora synth                                       # both apps; `cora routes` lists the API
pytest                                           # the Lambdas' unit tests
cora new lambda billing invoice-api --route "GET /invoices"   # a new Lambda, workflows regenerated
cora manifest check                              # what CI's coverage guard runs
npx cdk bootstrap                                # once per account and region
npx cdk deploy -c app=infra --all && npx cdk deploy -c app=stack --all
```

- `cdk.json`: `cora:project` ({project}) and `cora:environment` ({environment}) name every stack
  and function; set `cora:jwksUrl`, `cora:jwtIssuer` and `cora:jwtAudience` to your identity
  provider before the first deploy. The other keys are the CDK feature flags `cdk init` writes.
- `packages/module-{module}/backend/lambdas/{lambda_name}/lambda_function.py`: a Lambda; its
  routes are the `Routes` lines of its docstring. Its test is in `backend/tests/`.
- `infrastructure/lambda_workflow_manifest.json` and `.github/workflows/`: generated by
  `cora manifest generate` from the synthesized app; commit them, never edit them.
"""
