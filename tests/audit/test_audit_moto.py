"""`cora audit` against moto in server mode: a compliant deployment audits clean, and each way
of breaking it is reported by the right check, with exit code 1."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cora_constructs.audit.collect import AwsTarget, collect, make_clients
from cora_constructs.audit.expected import (
    expected_state,
    read_manifest,
    read_project_settings,
    read_template_functions,
)
from tests.audit.conftest import (
    AWS_ENV,
    REGION,
    Deployment,
    MotoServer,
    Project,
    clients,
    deploy,
    problems,
    run_audit,
    zip_of,
)
from tests.moto_server import free_port

API = "cora-dev-tracker-tracker-api"
DIGEST = "cora-dev-tracker-tracker-digest"
DOCS = "cora-dev-documents-document-api"
AUTHORIZER = "cora-dev-authorizer-authorizer"
CORA = Path(sys.executable).parent / "cora"


def test_compliant_deployment_audits_clean(deployed: Deployment, project: Project) -> None:
    code, report = run_audit(deployed, project)
    assert report["findings"] == []
    assert code == 0
    assert report["clean"] is True
    assert {row["function_name"] for row in report["functions"]} == {API, DIGEST, DOCS, AUTHORIZER}
    for row in report["functions"]:
        assert set(row["checks"].values()) == {"ok"}, row
    keys = {(row["method"], row["path"]) for row in report["routes"]}
    assert keys == {
        ("GET", "/tasks"),
        ("POST", "/tasks"),
        ("GET", "/tasks/{task_id}"),
        ("GET", "/health"),
        ("GET", "/documents"),
        ("POST", "/admin/reindex"),
    }
    for row in report["routes"]:
        assert set(row["checks"].values()) == {"ok"}, row


def test_text_report(deployed: Deployment, project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    from cora_constructs.cli.main import main

    deployed.lambda_.update_function_configuration(FunctionName=DIGEST, Runtime="python3.12")
    argv = [
        "audit",
        "--endpoint-url",
        deployed.endpoint,
        "--region",
        REGION,
        "--project-root",
        str(project.root),
    ]
    assert main(argv) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["FUNCTION", "APP", "EXISTS", "RUNTIME", "ORG-LAYER", "LAYERS", "CODE", "ALIAS"]
    digest = next(line for line in out if line.startswith(DIGEST))
    assert digest.split() == [DIGEST, "stack", "ok", "DRIFT", "ok", "ok", "ok", "ok"]
    header = next(line for line in out if line.startswith("METHOD"))
    assert header.split() == ["METHOD", "PATH", "FUNCTION", "AUTH", "ROUTE", "AUTHORIZER", "INTEGRATION"]
    assert f"DRIFT [runtime] {DIGEST} (stack cora-dev-tracker, " in "\n".join(out)
    assert any("what: runtime is python3.12; the standard is python3.11" in line for line in out)
    assert any(line.strip().startswith("fix:  redeploy from the app") for line in out)
    assert out[-1].endswith(": 1 problem(s)")


Mutation = Callable[[Deployment], None]


def _arn(deployment: Deployment, name: str) -> str:
    return str(deployment.lambda_.get_function(FunctionName=name)["Configuration"]["FunctionArn"])


def runtime_changed(d: Deployment) -> None:
    d.lambda_.update_function_configuration(FunctionName=DIGEST, Runtime="python3.12")


def org_layer_detached(d: Deployment) -> None:
    d.lambda_.update_function_configuration(FunctionName=DIGEST, Layers=[])


def module_layer_detached(d: Deployment) -> None:
    d.lambda_.update_function_configuration(FunctionName=DOCS, Layers=[d.org_layer_versions[-1]])


def org_layer_not_first(d: Deployment) -> None:
    d.lambda_.update_function_configuration(
        FunctionName=DOCS, Layers=[d.module_layer_arn, d.org_layer_versions[-1]]
    )


def older_layer_version(d: Deployment) -> None:
    d.lambda_.update_function_configuration(FunctionName=DIGEST, Layers=[d.org_layer_versions[0]])


def stale_code(d: Deployment) -> None:
    d.lambda_.tag_resource(Resource=_arn(d, DIGEST), Tags={"cora:code-hash": "0" * 64})


def code_hash_tag_removed(d: Deployment) -> None:
    d.lambda_.untag_resource(Resource=_arn(d, DIGEST), TagKeys=["cora:code-hash"])


def alias_behind(d: Deployment) -> None:
    d.lambda_.update_function_code(FunctionName=DIGEST, ZipFile=zip_of("# new code\n"))
    d.lambda_.publish_version(FunctionName=DIGEST)


def code_updated_by_hand(d: Deployment) -> None:
    d.lambda_.update_function_code(FunctionName=DIGEST, ZipFile=zip_of("# hot fix\n"))


def alias_deleted(d: Deployment) -> None:
    d.lambda_.delete_alias(FunctionName=DIGEST, Name="live")


def authorizer_removed(d: Deployment) -> None:
    d.apigw.update_route(ApiId=d.api_id, RouteId=d.route_ids["GET /tasks"], AuthorizationType="NONE")


def other_authorizer(d: Deployment) -> None:
    rogue = d.apigw.create_authorizer(
        ApiId=d.api_id,
        Name="rogue",
        AuthorizerType="REQUEST",
        AuthorizerUri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/x/invocations",
        AuthorizerPayloadFormatVersion="2.0",
        IdentitySource=[],
    )["AuthorizerId"]
    d.apigw.update_route(
        ApiId=d.api_id, RouteId=d.route_ids["GET /tasks"], AuthorizationType="CUSTOM", AuthorizerId=rogue
    )


def public_route_authorized(d: Deployment) -> None:
    d.apigw.update_route(
        ApiId=d.api_id,
        RouteId=d.route_ids["GET /health"],
        AuthorizationType="CUSTOM",
        AuthorizerId=d.authorizer_id,
    )


def iam_route_opened(d: Deployment) -> None:
    d.apigw.update_route(ApiId=d.api_id, RouteId=d.route_ids["POST /admin/reindex"], AuthorizationType="NONE")


def wrong_method(d: Deployment) -> None:
    d.apigw.delete_route(ApiId=d.api_id, RouteId=d.route_ids["GET /tasks/{task_id}"])
    d.apigw.create_route(
        ApiId=d.api_id,
        RouteKey="PUT /tasks/{task_id}",
        AuthorizationType="CUSTOM",
        AuthorizerId=d.authorizer_id,
        Target=f"integrations/{d.integration_ids[API]}",
    )


def route_deleted(d: Deployment) -> None:
    d.apigw.delete_route(ApiId=d.api_id, RouteId=d.route_ids["POST /tasks"])


def undocumented_route(d: Deployment) -> None:
    d.apigw.create_route(
        ApiId=d.api_id,
        RouteKey="DELETE /documents",
        AuthorizationType="CUSTOM",
        AuthorizerId=d.authorizer_id,
        Target=f"integrations/{d.integration_ids[DOCS]}",
    )


def integration_skips_alias(d: Deployment) -> None:
    uri = _arn(d, DOCS).removesuffix(":$LATEST")
    d.apigw.update_integration(ApiId=d.api_id, IntegrationId=d.integration_ids[DOCS], IntegrationUri=uri)


def unmanaged_functions(d: Deployment) -> None:
    role = d.lambda_.get_function(FunctionName=API)["Configuration"]["Role"]
    for name, tags in (
        ("cora-dev-legacy-report", {}),  # the project's prefix
        ("renamed-worker", {"cora:code-hash": "1" * 64}),  # a cora tag
        ("billing-service", {"team": "billing"}),  # neither: another team's, not reported
    ):
        d.lambda_.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role,
            Handler="lambda_function.lambda_handler",
            Code={"ZipFile": zip_of("# other\n")},
            Tags=tags,
        )


def function_deleted(d: Deployment) -> None:
    d.lambda_.delete_function(FunctionName=DIGEST)


def org_layer_parameter_deleted(d: Deployment) -> None:
    d.ssm.delete_parameter(Name="/cora/dev/org-layer-arn")


def api_deleted(d: Deployment) -> None:
    d.apigw.delete_api(ApiId=d.api_id)


MUTATIONS: list[tuple[Mutation, set[tuple[str, str, str]], str]] = [
    (runtime_changed, {("runtime", "DRIFT", DIGEST)}, "runtime is python3.12"),
    (org_layer_detached, {("org-layer", "DRIFT", DIGEST), ("layers", "DRIFT", DIGEST)}, "is not attached"),
    (module_layer_detached, {("layers", "DRIFT", DOCS)}, "1 layer(s) attached; the app attaches 2"),
    (org_layer_not_first, {("org-layer", "DRIFT", DOCS)}, "at position 2, not first"),
    (older_layer_version, {("org-layer", "DRIFT", DIGEST)}, "layer not rolled out"),
    (stale_code, {("code", "DRIFT", DIGEST)}, "Lambda not updating"),
    (code_hash_tag_removed, {("code", "DRIFT", DIGEST)}, "no cora:code-hash tag"),
    (
        alias_behind,
        {("alias", "DRIFT", DIGEST)},
        "'live' points at version 1, the newest published version is 2",
    ),
    (code_updated_by_hand, {("alias", "DRIFT", DIGEST)}, "$LATEST holds code that no published version has"),
    (alias_deleted, {("alias", "DRIFT", DIGEST)}, "no 'live' alias"),
    (authorizer_removed, {("authorizer", "DRIFT", "GET /tasks")}, "missing authorizer attachment"),
    (other_authorizer, {("authorizer", "DRIFT", "GET /tasks")}, "not by the org authorizer"),
    (public_route_authorized, {("authorizer", "DRIFT", "GET /health")}, "marks the route public"),
    (iam_route_opened, {("authorizer", "DRIFT", "POST /admin/reindex")}, "[auth: iam]"),
    (wrong_method, {("route", "DRIFT", "GET /tasks/{task_id}")}, "the API has PUT /tasks/{task_id}"),
    (route_deleted, {("route", "MISSING", "POST /tasks")}, "the API does not have it"),
    (undocumented_route, {("route", "UNDOCUMENTED", "DELETE /documents")}, "no handler docstring declares"),
    (
        integration_skips_alias,
        {("integration", "DRIFT", "GET /documents"), ("integration", "DRIFT", "POST /admin/reindex")},
        "invokes $LATEST, not the 'live' alias",
    ),
    (
        unmanaged_functions,
        {("exists", "UNMANAGED", "cora-dev-legacy-report"), ("exists", "UNMANAGED", "renamed-worker")},
        "not in the workflow manifest",
    ),
    (function_deleted, {("exists", "MISSING", DIGEST)}, "not deployed in this account"),
    (org_layer_parameter_deleted, {("infra", "MISSING", "/cora/dev/org-layer-arn")}, "is missing"),
    (api_deleted, {("infra", "MISSING", "cora-dev-api")}, "the HTTP API is not deployed"),
]


@pytest.mark.parametrize(
    ("mutate", "expected", "message"), MUTATIONS, ids=[mutation.__name__ for mutation, _, _ in MUTATIONS]
)
def test_each_drift_is_reported_by_its_check(
    deployed: Deployment,
    project: Project,
    mutate: Mutation,
    expected: set[tuple[str, str, str]],
    message: str,
) -> None:
    assert run_audit(deployed, project)[0] == 0
    mutate(deployed)
    code, report = run_audit(deployed, project)
    assert problems(report) == expected
    assert code == 1
    assert report["clean"] is False
    assert any(message in finding["message"] for finding in report["findings"]), report["findings"]
    for finding in report["findings"]:
        assert finding["fix"] and finding["where"]


def test_function_filter_audits_one_function_and_its_routes(deployed: Deployment, project: Project) -> None:
    runtime_changed(deployed)
    unmanaged_functions(deployed)
    undocumented_route(deployed)
    code, report = run_audit(deployed, project, "--function", API)
    assert (code, report["findings"]) == (0, [])
    assert [row["function_name"] for row in report["functions"]] == [API]
    assert {row["function_name"] for row in report["routes"]} == {API}
    code, report = run_audit(deployed, project, "--function", DIGEST)
    assert (code, problems(report)) == (1, {("runtime", "DRIFT", DIGEST)})
    assert report["routes"] == []


def test_unknown_function_cannot_be_audited(
    deployed: Deployment, project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _report = run_audit(deployed, project, "--function", "cora-dev-nope")
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "cora audit: error: function cora-dev-nope is not in the workflow manifest"
    )


def test_app_filter(deployed: Deployment, project: Project) -> None:
    runtime_changed(deployed)
    code, report = run_audit(deployed, project, "--app", "infra")
    assert (code, report["findings"]) == (0, [])
    assert [row["function_name"] for row in report["functions"]] == [AUTHORIZER]
    assert report["routes"] == []
    code, report = run_audit(deployed, project, "--app", "stack")
    assert (code, problems(report)) == (1, {("runtime", "DRIFT", DIGEST)})
    assert AUTHORIZER not in {row["function_name"] for row in report["functions"]}


def test_progress_is_reported_once_per_function(deployed: Deployment, project: Project) -> None:
    expected = expected_state(
        read_project_settings(project.root),
        read_manifest(project.manifest),
        read_template_functions(project.cdk_out),
    )
    seen: list[tuple[int, int, str]] = []
    target = AwsTarget(region=REGION, endpoint_url=deployed.endpoint, workers=3)
    state = collect(expected, make_clients(target), workers=3, progress=lambda *args: seen.append(args))
    assert sorted(name for _done, _total, name in seen) == sorted(state.functions)
    assert [done for done, _total, _name in seen] == [1, 2, 3, 4]
    assert {total for _done, total, _name in seen} == {4}


# ---------------------------------------------------------------------------------------------
# The `cora` executable, as CI runs it
# ---------------------------------------------------------------------------------------------


def _cora(*argv: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean_env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    return subprocess.run(
        [str(CORA), *argv],
        cwd=cwd,
        env={**clean_env, **(AWS_ENV if env is None else env)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_done_when_one_function_on_python312_and_the_others_absent(
    moto_server: MotoServer, project: Project
) -> None:
    moto_server.reset()
    deploy(moto_server.endpoint, project, functions=[project.by_name("tracker_api")], api=False)
    clients(moto_server.endpoint)["lambda"].update_function_configuration(
        FunctionName=API, Runtime="python3.12"
    )
    result = _cora("audit", "--endpoint-url", moto_server.endpoint, "--region", "us-east-1", cwd=project.root)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "[1/1]" not in result.stderr  # no progress line when stderr is not a terminal
    lines = result.stdout.splitlines()
    row = next(line for line in lines if line.startswith(API))
    assert row.split()[:4] == [API, "stack", "ok", "DRIFT"]
    assert f"DRIFT [runtime] {API} " in result.stdout
    assert "runtime is python3.12; the standard is python3.11" in result.stdout
    for missing in (DIGEST, DOCS, AUTHORIZER):
        assert next(line for line in lines if line.startswith(missing)).split()[2] == "MISSING"
        assert f"MISSING [exists] {missing} " in result.stdout


def test_unreachable_endpoint_is_one_line_exit_2(project: Project) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    result = _cora("audit", "--endpoint-url", endpoint, "--region", REGION, cwd=project.root)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"cora audit: error: cannot reach {endpoint}")


def test_missing_manifest_is_one_line_exit_2(project: Project, moto_server: MotoServer) -> None:
    project.manifest.unlink()
    result = _cora("audit", "--endpoint-url", moto_server.endpoint, "--region", REGION, cwd=project.root)
    assert result.returncode == 2
    assert result.stderr == (
        f"cora audit: error: no workflow manifest at {project.manifest} "
        "(run `cora manifest generate`, or pass --manifest FILE)\n"
    )


def test_unreadable_cloud_assembly_is_exit_2(project: Project, moto_server: MotoServer) -> None:
    (project.cdk_out / "manifest.json").write_text("{not json", encoding="utf-8")
    result = _cora("audit", "--endpoint-url", moto_server.endpoint, "--region", REGION, cwd=project.root)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("cora audit: error: cloud assembly manifest ")
    assert "is not valid JSON" in result.stderr


def test_no_credentials_is_one_line_exit_2(project: Project, moto_server: MotoServer) -> None:
    env = {
        key: value
        for key, value in AWS_ENV.items()
        if not key.startswith("AWS_ACCESS") and "SECRET" not in key
    }
    result = _cora(
        "audit", "--endpoint-url", moto_server.endpoint, "--region", REGION, cwd=project.root, env=env
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("cora audit: error: no AWS credentials")


def test_progress_line_per_function_on_a_terminal(deployed: Deployment, project: Project) -> None:
    import pty

    master, slave = pty.openpty()
    clean_env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    try:
        result = subprocess.run(
            [str(CORA), "audit", "--endpoint-url", deployed.endpoint, "--region", REGION],
            cwd=project.root,
            env={**clean_env, **AWS_ENV},
            stdout=subprocess.PIPE,
            stderr=slave,
            text=True,
            check=False,
            timeout=120,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    terminal = b"".join(chunks).decode()
    assert result.returncode == 0, terminal
    for name in (API, DIGEST, DOCS, AUTHORIZER):
        assert f"] {name}" in terminal
    assert [f"[{done}/4]" in terminal for done in range(1, 5)] == [True] * 4
    assert "[" not in result.stdout.splitlines()[-1]  # the report itself carries no progress


@pytest.mark.parametrize("stale", [False, True], ids=["parameters-deleted", "parameters-stale"])
def test_api_and_org_authorizer_are_found_by_name_without_their_parameters(
    deployed: Deployment, project: Project, stale: bool
) -> None:
    for name in ("/cora/dev/http-api-id", "/cora/dev/org-authorizer-id"):
        if stale:
            deployed.ssm.put_parameter(Name=name, Value="gone1234", Type="String", Overwrite=True)
        else:
            deployed.ssm.delete_parameter(Name=name)
    code, report = run_audit(deployed, project)
    assert (code, report["findings"]) == (0, [])
    authorizer_removed(deployed)
    code, report = run_audit(deployed, project)
    assert (code, problems(report)) == (1, {("authorizer", "DRIFT", "GET /tasks")})
    assert f"HTTP API cora-dev-api ({deployed.api_id})" in report["findings"][0]["where"]


def test_no_region_is_one_line_exit_2(project: Project, moto_server: MotoServer) -> None:
    env = {key: value for key, value in AWS_ENV.items() if key != "AWS_DEFAULT_REGION"}
    result = _cora("audit", "--endpoint-url", moto_server.endpoint, cwd=project.root, env=env)
    assert result.returncode == 2
    assert result.stderr == (
        "cora audit: error: no AWS region: pass --region or set AWS_REGION (or a profile's region)\n"
    )


def test_stale_cloud_assembly_is_a_warning(project: Project, moto_server: MotoServer) -> None:
    os.utime(project.cdk_out / "manifest.json", (0, 0))
    (project.root / "app.py").write_text("# the app\n", encoding="utf-8")
    moto_server.reset()
    result = _cora("audit", "--endpoint-url", moto_server.endpoint, "--region", REGION, cwd=project.root)
    assert result.returncode == 1  # nothing is deployed
    assert result.stderr == (
        f"cora audit: warning: {project.cdk_out} is older than the app's sources: the code check "
        "compares with what it would deploy, so run `cdk synth` first for an exact answer\n"
    )
