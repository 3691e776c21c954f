"""`cora serve --watch` on a copy of the reference project (the repo's handlers are never
edited): the next request after an edit runs the new code; the event and the context a handler
gets are API Gateway's and Lambda's; an exception is API Gateway's 500 with the traceback logged."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, Synthesized
from tests.serve.support import ServeProcess, aws_env, cora_token

HANDLER = Path("packages/module-projects/backend/lambdas/project_service/lambda_function.py")

ECHO = """
import json
import os
import sys

NAMES = ("AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION", "MODULE_NAME",
         "TABLE_NAME", "_HANDLER")


def lambda_handler(event, context):
    try:
        import cora_constructs  # noqa: F401  (the serving environment must not leak in)
        leaked = True
    except ImportError:
        leaked = False
    import jwt  # noqa: F401  (the org layer ships PyJWT)
    import boto3  # noqa: F401  (the runtime provides it)

    seen = {
        "event": event,
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "invoked_function_arn": context.invoked_function_arn,
        },
        "environ": {k: os.environ.get(k) for k in NAMES},
        "path": sys.path,
        "leaked": leaked,
        "version": VERSION,
    }
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(seen),
            "cookies": ["seen=1; Path=/"]}
"""


pytestmark = pytest.mark.bundling  # the served assembly bundles the org layer (pip on a cold cache)


@dataclass
class Project:
    root: Path
    serve: ServeProcess
    token: str

    def write_handler(self, source: str) -> None:
        mark = len(self.serve.lines)
        (self.root / HANDLER).write_text(textwrap.dedent(source), encoding="utf-8")
        # The watcher polls; restarting the workers can take seconds on a loaded 2-core machine.
        self.serve.wait_for(
            r"^reloaded cora-dev-projects-project-service \(lambda_function\.py changed\)$",
            start=mark,
            timeout=30,
        )


@pytest.fixture(scope="module")
def project(served_reference: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    root = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "cdk.json", root / "cdk.json")
    shutil.copytree(ROOT / "packages", root / "packages", ignore=shutil.ignore_patterns("__pycache__"))
    env = aws_env("http://127.0.0.1:9", tmp_path_factory.mktemp("cache"))
    serve = ServeProcess.start(
        [
            "--cdk-out",
            str(served_reference.outdir),
            "--project-root",
            str(root),
            "--watch",
            "--env",
            "TABLE_NAME=t",
        ],
        env=env,
        cwd=root,
    )
    try:
        yield Project(root, serve, cora_token("--sub", "bob", "--claim", "groups=admins", cwd=root, env=env))
    finally:
        serve.stop()


def test_edits_reach_the_next_request_and_the_event_is_api_gateways(project: Project) -> None:
    serve = project.serve
    assert serve.request("GET", "/health").json() == {"status": "ok", "service": "projects"}
    project.write_handler("VERSION = 1\n" + ECHO)
    response = serve.request(
        "POST",
        "/projects/p%201/reindex?x=1&x=2&flag",
        body=None,
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/execute-api/aws4_request"
        },
    )
    assert response.status == 200, response.body
    response = serve.request(
        "PUT",
        "/projects/p%201?x=1&x=2&flag",
        body={"name": "Apollo 11", "n": [1, 2]},
        headers={"Authorization": f"Bearer {project.token}", "Cookie": "a=1; b=2", "X-Trace": "t1"},
    )
    assert response.status == 200, response.body
    assert response.headers["set-cookie"] == "seen=1; Path=/"
    seen = response.json()
    event = seen["event"]
    assert event["version"] == "2.0" and event["routeKey"] == "PUT /projects/{project_id}"
    assert (event["rawPath"], event["rawQueryString"]) == ("/projects/p%201", "x=1&x=2&flag")
    assert event["queryStringParameters"] == {"x": "1,2", "flag": ""}
    assert event["pathParameters"] == {"project_id": "p 1"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-trace"] == "t1" and "cookie" not in event["headers"]
    assert (
        json.loads(event["body"]) == {"name": "Apollo 11", "n": [1, 2]} and event["isBase64Encoded"] is False
    )
    context = event["requestContext"]
    assert context["http"]["method"] == "PUT" and context["stage"] == "$default"
    assert context["authorizer"]["lambda"]["sub"] == "bob"
    assert context["authorizer"]["lambda"]["groups"] == "admins"
    lambda_context = seen["context"]
    assert lambda_context["function_name"] == "cora-dev-projects-project-service"
    assert lambda_context["memory_limit_in_mb"] == "256"
    assert lambda_context["aws_request_id"] == context["requestId"] == response.headers["apigw-requestid"]
    assert 0 < lambda_context["remaining_ms"] <= 29_000
    assert lambda_context["invoked_function_arn"].endswith(":function:cora-dev-projects-project-service")
    assert seen["environ"] == {
        "AWS_LAMBDA_FUNCTION_NAME": "cora-dev-projects-project-service",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_REGION": "us-east-1",
        "MODULE_NAME": "projects",
        "TABLE_NAME": "t",
        "_HANDLER": "lambda_function.lambda_handler",
    }
    assert seen["leaked"] is False
    assert seen["path"][0] == str(project.root / HANDLER.parent)
    assert Path(seen["path"][1]).name.startswith("asset.") or seen["path"][1].endswith("/python")
    assert not any("site-packages" in entry and ".venv" in entry for entry in seen["path"])

    project.write_handler("VERSION = 2\n" + ECHO)
    assert serve.request("GET", "/health").json()["version"] == 2


def test_a_raising_handler_is_api_gateways_500_with_its_traceback_logged(project: Project) -> None:
    project.write_handler(
        """
        def lambda_handler(event, context):
            return fail(event)


        def fail(event):
            raise ValueError("boom: " + event["rawPath"])
        """
    )
    mark = len(project.serve.lines)
    response = project.serve.request("GET", "/health")
    assert (response.status, response.body) == (500, b'{"message":"Internal Server Error"}')
    project.serve.wait_for(
        r"\[cora-dev-projects-project-service\] \[ERROR\] ValueError: boom: /health", start=mark
    )
    project.serve.wait_for(r"line 7, in fail", start=mark)
    project.serve.wait_for(r"^GET /health cora-dev-projects-project-service 500 ", start=mark)


def test_an_import_error_is_reported_on_each_request_until_fixed(project: Project) -> None:
    project.write_handler("import not_shipped_anywhere\n")
    mark = len(project.serve.lines)
    assert project.serve.request("GET", "/health").status == 500
    project.serve.wait_for(r"Runtime\.ImportModuleError: No module named 'not_shipped_anywhere'", start=mark)
    project.write_handler("def lambda_handler(event, context):\n    return {'fixed': True}\n")
    assert project.serve.request("GET", "/health").json() == {"fixed": True}
