"""StandardLambda refuses every way of breaking a standard, with the rule and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cora_constructs import ApiRoutes, CoraStack, CoraValidationError, OrgLayer, StandardLambda
from tests.cdk_helpers import new_app, parameter_name, read_templates, resources

pytestmark = pytest.mark.synth

HANDLER = '''"""
Demo API - a small module for tests.

Routes - Demo:
- GET /demo - List demos
- GET /demo/{demo_id} - One demo
"""


def lambda_handler(event, context):
    return {"statusCode": 200}
'''


def make_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "cdk.json").write_text('{"app": "python3 app.py"}')
    write(root / "packages/module-demo/backend/lambdas/demo_api/lambda_function.py", HANDLER)
    write(
        root / "lambdas/authorizer/lambda_function.py",
        '"""Authorizer."""\n\ndef lambda_handler(e, c):\n    return {}\n',
    )
    write(root / "layers/org_common/python/org_common/__init__.py", '"""org_common."""\n')
    write(root / "layers/org_common/requirements.txt", "# nothing to install in tests\n")
    return root


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def stack_in(project: Path, app_kind: str = "stack", **context: Any) -> CoraStack:
    app = new_app(project / "cdk.out", project, **context)
    return CoraStack(app, f"test-{app_kind}", app_kind=app_kind)


def org_layer(stack: cdk.Stack) -> OrgLayer:
    return OrgLayer(
        stack, "OrgLayer", cache_dir=Path(str(stack.node.try_get_context("cora:projectRoot"))) / ".cache"
    )


DEMO = "packages/module-demo/backend/lambdas/demo_api"


def refusal(project: Path, **kwargs: Any) -> CoraValidationError:
    stack = stack_in(project)
    layer = kwargs.pop("org_layer", None) or org_layer(stack)
    with pytest.raises(CoraValidationError) as caught:
        StandardLambda(stack, "Demo", source=kwargs.pop("source", DEMO), org_layer=layer, **kwargs)
    return caught.value


def test_python312_is_refused_with_rule_value_and_fix(project: Path) -> None:
    error = refusal(project, runtime=lambda_.Runtime.PYTHON_3_12)
    assert error.codes == ("CORA-L2",)
    message = str(error)
    assert "test-stack/Demo" in message
    assert "python3.12" in message
    assert "python3.11" in message and "drop `runtime=`" in message


def test_inline_code_is_refused(project: Path) -> None:
    error = refusal(project, code=lambda_.Code.from_inline("def lambda_handler(e, c): pass"))
    assert error.codes == ("CORA-L1",)
    assert "InlineCode" in str(error) and "content-hashed asset" in str(error)


def test_other_handler_function_name_and_fixed_hash_are_refused_all_at_once(project: Path) -> None:
    error = refusal(project, handler="app.main", function_name="custom", asset_hash="abc")
    assert sorted(error.codes) == ["CORA-L1", "CORA-L5", "CORA-L7"]
    assert "'app.main'" in str(error) and "'custom'" in str(error) and "'abc'" in str(error)


def test_dropping_the_org_layer_is_refused(project: Path) -> None:
    stack = stack_in(project)
    with pytest.raises(CoraValidationError) as caught:
        StandardLambda(stack, "Demo", source=DEMO, org_layer=None)
    assert caught.value.codes == ("CORA-L3",)
    assert "OrgLayer" in str(caught.value)


def test_a_plain_layer_cannot_pose_as_the_org_layer(project: Path) -> None:
    stack = stack_in(project)
    plain = lambda_.LayerVersion.from_layer_version_arn(
        stack, "Plain", "arn:aws:lambda:us-east-1:1:layer:x:1"
    )
    with pytest.raises(CoraValidationError) as caught:
        StandardLambda(stack, "Demo", source=DEMO, org_layer=plain)  # type: ignore[arg-type]
    assert caught.value.codes == ("CORA-L3",)


def test_unknown_option_is_refused(project: Path) -> None:
    error = refusal(project, timeout_ms=5)
    assert error.codes == ("CORA-L0",)
    assert "timeout_ms" in str(error)


def test_native_so_in_function_folder_points_to_shared_layer(project: Path) -> None:
    (project / DEMO / "_speedups.cpython-311-darwin.so").write_bytes(b"\xcf\xfa\xed\xfe" + b"x" * 60)
    error = refusal(project)
    assert error.codes == ("CORA-L6",)
    assert "_speedups.cpython-311-darwin.so" in str(error)
    assert "Mach-O" in str(error)
    assert "packages/module-<name>/backend/layers/<layer>/requirements.txt" in str(error)
    assert "layers/org_common/requirements.txt" in str(error)


def test_elf_binary_without_suffix_is_refused(project: Path) -> None:
    (project / DEMO / "helper").write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 11 + b"\x3e\x00" + b"\0" * 44)
    error = refusal(project)
    assert error.codes == ("CORA-L6",)
    assert "ELF x86-64" in str(error)


def test_requirements_that_cannot_be_installed_are_refused(project: Path) -> None:
    write(project / DEMO / "requirements.txt", "# deps\n-e ../somewhere\n")
    error = refusal(project)
    assert error.codes == ("CORA-L12",)
    assert "-e ../somewhere" in str(error)


def test_requirements_with_only_comments_are_accepted(project: Path) -> None:
    write(project / DEMO / "requirements.txt", "# all dependencies come from the org layer\n")
    stack = stack_in(project)
    StandardLambda(stack, "Demo", source=DEMO, org_layer=org_layer(stack))


def test_missing_handler_file_is_refused(project: Path) -> None:
    (project / DEMO / "lambda_function.py").unlink()
    write(project / DEMO / "main.py", "x = 1\n")
    error = refusal(project)
    assert error.codes == ("CORA-L8",)
    assert "lambda_function.py" in str(error)


def test_source_outside_the_project_is_refused_with_the_construct_path(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "demo_api"
    write(outside / "lambda_function.py", HANDLER)
    error = refusal(project, source=outside)
    assert error.codes == ("CORA-L8",)
    assert str(error).startswith("CORA-L8 test-stack/Demo: ")
    assert "outside the project root" in str(error)


def test_module_code_in_the_infra_app_is_refused(project: Path) -> None:
    stack = stack_in(project, "infra")
    with pytest.raises(CoraValidationError) as caught:
        StandardLambda(stack, "Demo", source=DEMO, org_layer=org_layer(stack))
    assert caught.value.codes == ("CORA-A1",)
    assert "never sync functional module code to the infra repo" in str(caught.value)


def test_authorizer_in_the_stack_app_is_refused(project: Path) -> None:
    stack = stack_in(project)
    with pytest.raises(CoraValidationError) as caught:
        StandardLambda(
            stack, "Authorizer", source="lambdas/authorizer", module="authorizer", org_layer=org_layer(stack)
        )
    assert caught.value.codes == ("CORA-A2",)
    assert "infra app" in str(caught.value)


def test_standard_lambda_outside_a_cora_stack_is_refused(project: Path) -> None:
    app = new_app(project / "cdk.out", project)
    stack = cdk.Stack(app, "plain")
    layer = OrgLayer(stack, "OrgLayer", cache_dir=project / ".cache")
    with pytest.raises(CoraValidationError) as caught:
        StandardLambda(stack, "Demo", source=DEMO, org_layer=layer)
    assert caught.value.codes == ("CORA-A0",)


def test_bad_route_line_fails_with_file_and_line(project: Path) -> None:
    handler = project / DEMO / "lambda_function.py"
    handler.write_text(HANDLER.replace("- GET /demo - List demos", "- GTE /x - Typo"))
    error = refusal(project)
    assert error.codes == ("CORA-R1",)
    assert f"{handler}:5:" in str(error)
    assert "unknown HTTP method 'GTE'" in str(error)


def test_wrong_app_kind_is_refused(project: Path) -> None:
    app = new_app(project / "cdk.out", project)
    with pytest.raises(CoraValidationError) as caught:
        CoraStack(app, "x", app_kind="both")
    assert caught.value.codes == ("CORA-A0",)


def second_module(project: Path, docstring_routes: str) -> str:
    source = "packages/module-other/backend/lambdas/other_api"
    write(
        project / source / "lambda_function.py",
        f'"""\nOther API.\n\nRoutes:\n{docstring_routes}\n"""\n\n'
        "def lambda_handler(e, c):\n    return {}\n",
    )
    return source


def test_same_route_in_two_lambdas_names_both_files(project: Path) -> None:
    other = second_module(project, "- GET /demo/{id} - clash")
    stack = stack_in(project)
    layer = org_layer(stack)
    routes = ApiRoutes(api_id_parameter="/t/api", authorizer_id_parameter="/t/auth")
    routes.add(StandardLambda(stack, "Demo", source=DEMO, org_layer=layer))
    with pytest.raises(CoraValidationError) as caught:
        routes.add(StandardLambda(stack, "Other", source=other, org_layer=layer))
    message = str(caught.value)
    assert caught.value.codes == ("CORA-R2",)
    assert "GET /demo/{demo_id}" in message
    assert str(project / DEMO / "lambda_function.py") in message
    assert str(project / other / "lambda_function.py") in message


def test_unknown_named_authorizer_is_refused(project: Path) -> None:
    other = second_module(project, "- GET /other - needs cognito [auth: cognito]")
    stack = stack_in(project)
    routes = ApiRoutes(api_id_parameter="/t/api", authorizer_id_parameter="/t/auth")
    with pytest.raises(CoraValidationError) as caught:
        routes.add(StandardLambda(stack, "Other", source=other, org_layer=org_layer(stack)))
    assert caught.value.codes == ("CORA-R3",)
    assert "[auth: cognito]" in str(caught.value) and "iam" in str(caught.value)


def synth_routes(project: Path, outdir: Path) -> set[str]:
    app = new_app(outdir, project)
    stack = CoraStack(app, "test-stack", app_kind="stack")
    routes = ApiRoutes(api_id_parameter="/t/api", authorizer_id_parameter="/t/auth")
    routes.add(StandardLambda(stack, "Demo", source=DEMO, org_layer=org_layer(stack)))
    app.synth()
    template = read_templates(outdir)["test-stack"]
    return {r["Properties"]["RouteKey"] for r in resources(template, "AWS::ApiGatewayV2::Route").values()}


def test_adding_a_docstring_line_adds_exactly_that_route(project: Path, tmp_path: Path) -> None:
    before = synth_routes(project, tmp_path / "before")
    handler = project / DEMO / "lambda_function.py"
    handler.write_text(
        HANDLER.replace(
            "- GET /demo/{demo_id} - One demo", "- GET /demo/{demo_id} - One demo\n- POST /demo - Create"
        )
    )
    after = synth_routes(project, tmp_path / "after")
    assert before == {"GET /demo", "GET /demo/{demo_id}"}
    assert after - before == {"POST /demo"}
    assert before <= after


def test_code_change_changes_the_asset_hash_and_the_version(project: Path, tmp_path: Path) -> None:
    def synth_once(outdir: Path) -> tuple[str, set[str]]:
        app = new_app(outdir, project)
        stack = CoraStack(app, "test-stack", app_kind="stack")
        routes = ApiRoutes(api_id_parameter="/t/api", authorizer_id_parameter="/t/auth")
        routes.add(StandardLambda(stack, "Demo", source=DEMO, org_layer=org_layer(stack)))
        app.synth()
        template = read_templates(outdir)["test-stack"]
        (fn,) = resources(template, "AWS::Lambda::Function").values()
        return fn["Properties"]["Code"]["S3Key"], set(resources(template, "AWS::Lambda::Version"))

    key_before, versions_before = synth_once(tmp_path / "a")
    key_same, versions_same = synth_once(tmp_path / "b")
    (project / DEMO / "lambda_function.py").write_text(HANDLER + "\n# a code change\n")
    key_after, versions_after = synth_once(tmp_path / "c")
    assert key_before == key_same and versions_before == versions_same
    assert key_after != key_before
    assert versions_after != versions_before


def test_names_module_and_routes_are_exposed(project: Path) -> None:
    stack = stack_in(project)
    fn = StandardLambda(stack, "Demo", source=DEMO, org_layer=org_layer(stack))
    assert fn.function_name == "cora-dev-demo-demo-api"
    assert [r.key for r in fn.routes] == ["GET /demo", "GET /demo/{demo_id}"]
    assert fn.module == "demo" and fn.lambda_name == "demo_api" and fn.app == "stack"


def test_a_function_with_many_routes_gets_one_api_gateway_permission(project: Path, tmp_path: Path) -> None:
    # One statement per route in the alias's resource policy would pass Lambda's 20 KB limit at a
    # few dozen routes: API Gateway is allowed to invoke the alias once, from the whole API.
    lines = [f"- {method} /many/r{i} - route {i}" for i in range(18) for method in ("GET", "POST")]
    many = second_module(project, "\n".join(lines[:35]))
    app = new_app(tmp_path / "cdk.out", project)
    stack = CoraStack(app, "test-stack", app_kind="stack")
    routes = ApiRoutes(api_id_parameter="/t/api", authorizer_id_parameter="/t/auth")
    function = StandardLambda(stack, "Many", source=many, org_layer=org_layer(stack))
    routes.add(function)
    app.synth()
    template = read_templates(tmp_path / "cdk.out")["test-stack"]
    assert len(resources(template, "AWS::ApiGatewayV2::Route")) == 35
    (integration_id,) = resources(template, "AWS::ApiGatewayV2::Integration")
    for route in resources(template, "AWS::ApiGatewayV2::Route").values():
        assert route["Properties"]["Target"] == {"Fn::Join": ["", ["integrations/", {"Ref": integration_id}]]}
    (permission,) = resources(template, "AWS::Lambda::Permission").values()
    (alias_id,) = resources(template, "AWS::Lambda::Alias")
    props = permission["Properties"]
    assert props["FunctionName"] == {"Ref": alias_id}
    assert props["Principal"] == "apigateway.amazonaws.com"
    source_arn = props["SourceArn"]["Fn::Join"][1]
    assert ":execute-api:" in source_arn
    assert source_arn[-1] == "/*/*/*"  # every stage, method and path of the API
    assert parameter_name(template, source_arn[-2]) == "/t/api"


@pytest.mark.parametrize(
    ("argument", "value", "expected"),
    [
        ("memory_size", "512", "memory_size must be a number of MiB, got str '512'"),
        ("environment", {"TABLE": 3}, "environment must map names to strings"),
        ("timeout", 10, "timeout must be a cdk.Duration"),
        ("description", 5, "description must be a str, got int"),
    ],
)
def test_a_value_of_the_wrong_type_is_a_type_error_naming_the_argument(
    project: Path, argument: str, value: object, expected: str
) -> None:
    # jsii's own check is skipped for the library's calls (jsii_checks): these are checked here.
    stack = stack_in(project)
    with pytest.raises(TypeError, match="StandardLambda 'Demo'") as caught:
        StandardLambda(stack, "Demo", source=DEMO, org_layer=org_layer(stack), **{argument: value})
    assert expected in str(caught.value)


def test_a_passthrough_option_of_the_wrong_type_is_refused_by_jsii_check(project: Path) -> None:
    stack = stack_in(project)
    with pytest.raises(TypeError, match="reserved_concurrent_executions"):
        StandardLambda(
            stack, "Demo", source=DEMO, org_layer=org_layer(stack), reserved_concurrent_executions="5"
        )


def test_a_team_authorizer_factory_runs_with_jsii_check(project: Path) -> None:
    from cora_constructs import jsii_checks

    other = second_module(project, "- GET /other - needs cognito [auth: cognito]")
    stack = stack_in(project)
    seen: list[bool] = []

    def cognito(scope: Any) -> Any:
        from aws_cdk import aws_apigatewayv2 as apigw

        seen.append(jsii_checks.skipping())
        return apigw.HttpNoneAuthorizer()

    routes = ApiRoutes(
        api_id_parameter="/t/api", authorizer_id_parameter="/t/auth", authorizers={"cognito": cognito}
    )
    routes.add(StandardLambda(stack, "Other", source=other, org_layer=org_layer(stack)))
    assert seen == [False]
    assert not jsii_checks.skipping()


def test_a_built_function_records_the_asset_it_hashed_from_its_source(project: Path) -> None:
    # The CORA pack after the synth takes these assets as their folders (CORA-L5, L6).
    from cora_constructs.functions.packaging import hashed_sources
    from cora_constructs.stack import project_of

    stack = stack_in(project)
    fn = StandardLambda(stack, "Demo", source=DEMO, org_layer=org_layer(stack))
    cfn = fn.function_resource
    assert cdk.Stack.of(fn).resolve(cfn.code)["s3Key"] == f"{fn.code_hash}.zip"
    assert hashed_sources(project_of(stack).settings) == {(fn.code_hash, DEMO)}


def test_a_refused_function_records_no_asset(project: Path) -> None:
    from cora_constructs.functions.packaging import hashed_sources
    from cora_constructs.stack import project_of

    write(project / DEMO / "_speedups.so", "\x7fELF")
    stack = stack_in(project)
    with pytest.raises(CoraValidationError):
        StandardLambda(stack, "Demo", source=DEMO, org_layer=org_layer(stack))
    assert hashed_sources(project_of(stack).settings) == set()


def test_a_nested_stack_belongs_to_the_app_of_the_cora_stack_it_is_nested_in(project: Path) -> None:
    from cora_constructs.stack import project_of

    infra = stack_in(project, app_kind="infra")
    nested = cdk.NestedStack(cdk.NestedStack(infra, "Outer"), "Inner")
    assert project_of(nested) is infra.project
    assert project_of(Construct(nested, "Group")).app == "infra"
    # Functional module code stays refused there, as in the infra stack itself (CORA-A1).
    with pytest.raises(CoraValidationError) as caught:
        StandardLambda(nested, "Demo", source=DEMO, org_layer=org_layer(infra))
    assert "CORA-A1" in str(caught.value)
    # A stack that is no CoraStack and nests in none: the app is read from context (none set).
    assert project_of(cdk.Stack(infra.node.scope, "plain")).app is None


def test_values_the_library_no_longer_has_jsii_check_are_checked_in_python(project: Path) -> None:
    # The library's own stacks, API and org layer reference skip jsii's check; a caller's
    # wrong value is still a TypeError naming it, and a caller's stack props keep jsii's check.
    from cora_constructs.routes.http_api import OrgHttpApi

    stack = stack_in(project)
    with pytest.raises(TypeError, match="api_id_parameter must be a str, got int"):
        OrgHttpApi(stack, "Api", api_name="a", authorizer_arn_parameter="/a", api_id_parameter=3,  # type: ignore[arg-type]
                   authorizer_id_parameter="/b")  # fmt: skip
    with pytest.raises(TypeError, match=r"OrgLayer\.from_ssm: parameter_name must be a str, got NoneType"):
        OrgLayer.from_ssm(stack, "Org", parameter_name=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="description"):
        CoraStack(stack.node.scope, "other", app_kind="stack", description=5)
    with pytest.raises(TypeError, match="scope"):
        StandardLambda("not a construct", "Demo", source=DEMO, org_layer=org_layer(stack))  # type: ignore[arg-type]


@pytest.mark.parametrize("env", [None, cdk.Environment(account="123456789012", region="eu-west-1")])
def test_execute_api_arns_are_the_stacks_format_arn(project: Path, env: cdk.Environment | None) -> None:
    # An environment-agnostic CoraStack's ARNs are written without asking the stack (no round
    # trip); a stack given an environment is asked. Both resolve as stack.format_arn does.
    from cora_constructs.routes.http_api import execute_api_arn, lambda_invocation_uri

    app = new_app(project / "cdk.out", project)
    stack = CoraStack(app, "test-stack", app_kind="stack", **({"env": env} if env else {}))
    assert stack.environment_agnostic is (env is None)
    expected = stack.format_arn(service="execute-api", resource="api1", resource_name="*/*/*")
    assert stack.resolve(execute_api_arn(stack, "api1", "*/*/*")) == stack.resolve(expected)
    uri = f"arn:{stack.partition}:apigateway:{stack.region}:lambda:path/2015-03-31/functions/fn/invocations"
    assert stack.resolve(lambda_invocation_uri(stack, "fn")) == stack.resolve(uri)
    if env is not None:
        assert "eu-west-1" in stack.resolve(execute_api_arn(stack, "api1", "x"))
