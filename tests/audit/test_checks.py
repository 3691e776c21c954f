"""The audit's pure parts, without any AWS call: the manifest and template readers, and the
comparisons on the edge cases the emulator tests do not reach."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from cora_constructs.assembly.errors import CloudAssemblyError
from cora_constructs.assembly.model import Route
from cora_constructs.audit.checks import audit, layer_version
from cora_constructs.audit.expected import (
    ProjectSettings,
    asset_hash,
    expected_state,
    read_manifest,
    read_project_settings,
    read_template_functions,
)
from cora_constructs.audit.model import (
    Check,
    DeployedApi,
    DeployedFunction,
    DeployedRoute,
    DeployedState,
    ExpectedFunction,
    ExpectedState,
    ManifestError,
    Status,
)
from cora_constructs.audit.render import render_json, render_text
from tests.audit.conftest import audit_lambdas, code_hash, make_audit_project

LAYER = "arn:aws:lambda:us-east-1:123456789012:layer:cora-dev-org-common"
FN = "cora-dev-mod-fn"
FN_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{FN}"


def test_asset_hash_is_the_s3_key_stem() -> None:
    assert asset_hash({"S3Bucket": "b", "S3Key": "ab12.zip"}) == "ab12"
    assert asset_hash({"S3Key": "prefix/ab12.zip"}) == "ab12"
    assert asset_hash({"S3Key": {"Fn::Sub": "${Hash}.zip"}}) is None
    assert asset_hash({"ZipFile": "print(1)"}) is None
    assert asset_hash({"S3Key": "ab12.tar"}) is None
    assert asset_hash(None) is None


def test_layer_version() -> None:
    assert layer_version(f"{LAYER}:12") == (LAYER, 12)
    assert layer_version(LAYER) is None
    assert layer_version(f"{FN_ARN}:3") is None


def test_template_functions_carry_their_asset_hash_and_layer_count(tmp_path: Path) -> None:
    project = make_audit_project(tmp_path / "p", audit_lambdas())
    functions = read_template_functions(project.cdk_out)
    assert set(functions) == {fn.function_name for fn in project.lambdas}  # no provider function
    for fn in project.lambdas:
        assert functions[fn.function_name].code_hash == code_hash(fn)
        assert functions[fn.function_name].layer_count == len(fn.layers)


def test_unreadable_template_is_a_cloud_assembly_error(tmp_path: Path) -> None:
    project = make_audit_project(tmp_path / "p", audit_lambdas())
    (project.cdk_out / "cora-dev-tracker.template.json").write_text("[", encoding="utf-8")
    with pytest.raises(CloudAssemblyError, match=r"template of stack cora-dev-tracker .* is not valid JSON"):
        read_template_functions(project.cdk_out)


def test_project_settings_from_cdk_json(tmp_path: Path) -> None:
    (tmp_path / "cdk.json").write_text(
        json.dumps({"context": {"cora:project": "acme", "cora:environment": "prod"}}), encoding="utf-8"
    )
    assert read_project_settings(tmp_path) == ProjectSettings("acme", "prod")
    (tmp_path / "cdk.json").write_text("{}", encoding="utf-8")
    assert read_project_settings(tmp_path) == ProjectSettings("cora", "dev")
    assert read_project_settings(None) == ProjectSettings("cora", "dev")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", r"is not valid JSON: .* at line 1"),
        ("[]", r"has no top-level 'functions' list"),
        ('{"functions": [{"function_name": "a"}]}', r"functions\[0\]\.app must be a non-empty string"),
        (
            '{"functions": [{"function_name": "a", "app": "stack", "stack": "s", "lambda_dir": "d", '
            '"workflow_file": "w", "routes": [{"method": "GET"}]}]}',
            r"functions\[0\]\.routes\[0\] needs string method, path and auth",
        ),
    ],
)
def test_malformed_manifest(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ManifestError, match=message):
        read_manifest(path)


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"^no workflow manifest at .*run `cora manifest generate`"):
        read_manifest(tmp_path / "nope.json")


def test_duplicate_manifest_function(tmp_path: Path) -> None:
    entry = {"function_name": "a", "app": "stack", "stack": "s", "lambda_dir": "d", "workflow_file": "w"}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"functions": [entry, entry]}), encoding="utf-8")
    with pytest.raises(ManifestError, match="function a is listed 2 times"):
        read_manifest(path)


def test_scope_of_function_and_app_filters(tmp_path: Path) -> None:
    project = make_audit_project(tmp_path / "p", audit_lambdas())
    manifest = read_manifest(project.manifest)
    templates = read_template_functions(project.cdk_out)
    settings = ProjectSettings("cora", "dev")
    everything = expected_state(settings, manifest, templates)
    assert (everything.check_unmanaged, everything.check_undocumented_routes) == (True, True)
    assert len(everything.functions) == 4
    one = expected_state(settings, manifest, templates, function="cora-dev-tracker-tracker-digest")
    assert [fn.function_name for fn in one.functions] == ["cora-dev-tracker-tracker-digest"]
    assert (one.check_unmanaged, one.check_undocumented_routes) == (False, False)
    assert one.manifest_functions == everything.manifest_functions
    infra = expected_state(settings, manifest, templates, app="infra")
    assert [fn.app for fn in infra.functions] == ["infra"]
    assert (infra.check_unmanaged, infra.check_undocumented_routes) == (True, False)
    with pytest.raises(ManifestError, match="function nope is not in the workflow manifest"):
        expected_state(settings, manifest, templates, function="nope")


# ---------------------------------------------------------------------------------------------
# Comparisons on hand-made states
# ---------------------------------------------------------------------------------------------


def _expected(*routes: Route, code: str | None = "h1") -> ExpectedState:
    fn = ExpectedFunction(
        function_name=FN,
        app="stack",
        stack="cora-dev-mod",
        lambda_dir="packages/module-mod/backend/lambdas/fn",
        workflow_file=".github/workflows/lambda-cora-dev-mod-fn-deploy.yml",
        layers=("layers/org_common",),
        routes=routes,
        code_hash=code,
        layer_count=1,
        in_assembly=code is not None,
    )
    return ExpectedState(
        project="cora",
        environment="dev",
        expected_runtime="python3.11",
        functions=(fn,),
        manifest_functions=frozenset({FN}),
        manifest_routes=frozenset((route.method, route.path) for route in routes),
        check_unmanaged=True,
        check_undocumented_routes=True,
    )


def _deployed(*routes: DeployedRoute, layer: int = 5, authorizer_id: str | None = "auth1") -> DeployedState:
    fn = DeployedFunction(
        name=FN,
        arn=FN_ARN,
        runtime="python3.11",
        layer_arns=(f"{LAYER}:{layer}",),
        code_sha256="sha",
        tags={"cora:code-hash": "h1"},
        live_version="2",
        live_code_sha256="sha",
        newest_version="2",
    )
    authorizers = {"auth1": "org-authorizer", "other": "partner"}
    return DeployedState(
        functions={FN: fn},
        other_functions=(),
        org_layer_arn=f"{LAYER}:5",
        api=DeployedApi("api1", "cora-dev-api", "SSM", routes, authorizers),
        api_lookup="SSM",
        org_authorizer_id=authorizer_id,
    )


def _route(
    key: str, kind: str = "CUSTOM", authorizer: str | None = "auth1", uri: str | None = None
) -> DeployedRoute:
    return DeployedRoute(key.replace(" ", ""), key, kind, authorizer, uri or f"{FN_ARN}:live")


def _problems(expected: ExpectedState, deployed: DeployedState) -> list[tuple[str, str, str]]:
    return [
        (item.check.value, item.status.value, item.message) for item in audit(expected, deployed).findings
    ]


def test_clean_state() -> None:
    routes = (Route("GET", "/a", "org", None, "A", None), Route("GET", "/p", "partner", None, "P", None))
    deployed = _deployed(_route("GET /a"), _route("GET /p", authorizer="other"))
    report = audit(_expected(*routes), deployed)
    assert report.findings == ()
    assert report.clean
    assert json.loads(render_json(report, target="t"))["clean"] is True
    assert (
        render_text(report, target="t").splitlines()[-1]
        == "cora audit: 1 function(s), 2 route(s) against t: clean"
    )


def test_org_layer_newer_than_the_parameter() -> None:
    [(check, status, message)] = _problems(_expected(), _deployed(layer=6))
    assert (check, status) == ("org-layer", "DRIFT")
    assert "version 6, newer than the version 5 that /cora/dev/org-layer-arn names" in message


def test_integration_uri_in_the_apigateway_form_is_understood() -> None:
    route = Route("GET", "/a", "org", None, "A", None)
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN_ARN}:live/invocations"
    assert _problems(_expected(route), _deployed(_route("GET /a", uri=uri))) == []
    other = "arn:aws:lambda:us-east-1:123456789012:function:cora-dev-mod-other:live"
    [(check, status, message)] = _problems(_expected(route), _deployed(_route("GET /a", uri=other)))
    assert (check, status) == ("integration", "DRIFT")
    assert message == f"the route invokes {other}, not {FN}"
    [(check, _status, message)] = _problems(_expected(route), _deployed(_route("GET /a", uri=f"{FN_ARN}:7")))
    assert message.startswith("the route invokes version 7, not the 'live' alias")


def test_route_without_integration() -> None:
    route = Route("GET", "/a", "org", None, "A", None)
    bare = replace(_route("GET /a"), integration_uri=None)
    assert _problems(_expected(route), _deployed(bare)) == [
        ("integration", "DRIFT", "the route has no Lambda integration: it cannot answer")
    ]


def test_named_authorizer_route_with_no_authorization() -> None:
    route = Route("GET", "/p", "partner", None, "P", None)
    [(check, status, message)] = _problems(_expected(route), _deployed(_route("GET /p", "NONE", None)))
    assert (check, status) == ("authorizer", "DRIFT")
    assert "[auth: partner]" in message


def test_org_authorizer_not_found_is_one_infra_finding() -> None:
    route = Route("GET", "/a", "org", None, "A", None)
    report = audit(_expected(route), _deployed(_route("GET /a"), authorizer_id=None))
    assert [(item.check.value, item.subject) for item in report.findings] == [("infra", "org-authorizer")]
    assert report.routes[0].checks[Check.AUTHORIZER] is Status.NOT_CHECKED


def test_default_route_is_undocumented() -> None:
    report = audit(_expected(), _deployed(_route("$default", "NONE", None)))
    assert [(item.check.value, item.status.value, item.subject) for item in report.findings] == [
        ("route", "UNDOCUMENTED", "$default")
    ]
    assert (report.routes[0].method, report.routes[0].path) == ("$default", "")


def test_function_not_in_the_assembly_skips_the_code_check() -> None:
    report = audit(_expected(code=None), _deployed())
    assert report.findings == ()
    checks = report.functions[0].checks
    assert checks[Check.CODE] is Status.NOT_CHECKED
    assert {status for check, status in checks.items() if check is not Check.CODE} == {Status.OK}


def test_the_ssm_prefix_of_cdk_json_names_the_parameters(tmp_path: Path) -> None:
    (tmp_path / "cdk.json").write_text(
        '{"context": {"cora:project": "shop", "cora:ssmPrefix": "/platform/shop/"}}', encoding="utf-8"
    )
    settings = read_project_settings(tmp_path)
    assert settings == ProjectSettings("shop", "dev", "/platform/shop/")
    state = ExpectedState(
        project="shop",
        environment="dev",
        expected_runtime="python3.11",
        functions=(),
        manifest_functions=frozenset(),
        manifest_routes=frozenset(),
        check_unmanaged=True,
        check_undocumented_routes=True,
        ssm_prefix=settings.ssm_prefix,
    )
    assert state.parameter("org-layer-arn") == "/platform/shop/org-layer-arn"


def test_a_missing_dependency_layer_is_layer_drift_naming_its_requirements() -> None:
    expected = _expected()
    fn = replace(
        expected.functions[0],
        layer_count=2,
        dependency_layer="packages/module-mod/backend/lambdas/fn/requirements.txt",
    )
    problems = _problems(replace(expected, functions=(fn,)), _deployed())
    assert (
        "layers",
        "DRIFT",
        "1 layer(s) attached; the app attaches 2 (the org layer, then no module layer, then the "
        "dependency layer built from packages/module-mod/backend/lambdas/fn/requirements.txt)",
    ) in problems


def test_template_functions_name_their_dependency_layer() -> None:
    from cora_constructs.audit.expected import template_functions

    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Metadata": {"cora:app": "stack", "cora:dependencyLayer": "m/lambdas/fn/requirements.txt"},
                "Properties": {"FunctionName": FN, "Layers": ["a", "b"]},
            }
        }
    }
    (fn,) = template_functions(template)
    assert (fn.layer_count, fn.dependency_layer) == (2, "m/lambdas/fn/requirements.txt")


def test_the_dependency_layer_must_be_attached_last() -> None:
    expected = _expected()
    fn = replace(expected.functions[0], layer_count=2, dependency_layer="m/lambdas/fn/requirements.txt")
    state = replace(expected, functions=(fn,))
    deployed = _deployed()
    function = deployed.functions[FN]
    deps = "arn:aws:lambda:us-east-1:123456789012:layer:cora-dev-mod-deps-0a1b2c3d:4"
    other = "arn:aws:lambda:us-east-1:123456789012:layer:cora-dev-mod-extra:1"
    good = replace(deployed, functions={FN: replace(function, layer_arns=(*function.layer_arns, deps))})
    assert [p for p in _problems(state, good) if p[0] == "layers"] == []
    bad = replace(deployed, functions={FN: replace(function, layer_arns=(*function.layer_arns, other))})
    (problem,) = [p for p in _problems(state, bad) if p[0] == "layers"]
    assert problem[1] == "DRIFT" and problem[2].startswith(
        f"the last layer attached is {other}, not the dependency"
    )
