"""Reading production Lambdas from a cloud assembly: the contract with the CDK side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cora_constructs.assembly.reader import read_cloud_assembly
from manifest_gen.errors import CloudAssemblyError
from manifest_gen.model import Route
from tests.manifest_gen.conftest import (
    SyntheticLambda,
    function_resource,
    many_lambdas,
    route,
    sample_lambdas,
    template_of,
    write_cloud_assembly,
)


def _corrupt(cdk_out: Path, stack: str, function_name: str, change: object) -> None:
    path, template = template_of(cdk_out, stack)
    resource = function_resource(template, function_name)
    change(resource)  # type: ignore[operator]
    path.write_text(json.dumps(template), encoding="utf-8")


def test_reads_every_production_lambda_of_both_apps_sorted(cloud_assembly: Path) -> None:
    lambdas = read_cloud_assembly(cloud_assembly)
    assert [fn.function_name for fn in lambdas] == [
        "cora-dev-authorizer-authorizer",
        "cora-dev-documents-document-api",
        "cora-dev-tracker-tracker-api",
        "cora-dev-tracker-tracker-digest",
    ]
    authorizer, documents, tracker, digest = lambdas
    assert (authorizer.app, authorizer.stack, authorizer.lambda_dir, authorizer.layers) == (
        "infra",
        "cora-dev-infra",
        "lambdas/authorizer",
        (),
    )
    assert tracker.app == "stack"
    assert tracker.stack == tracker.stack_id == "cora-dev-tracker"
    assert tracker.module == "tracker"
    assert tracker.lambda_name == "tracker_api"
    assert tracker.construct_path == "cora-dev-tracker/TrackerApi/Function/Resource"
    assert tracker.lambda_dir == "packages/module-tracker/backend/lambdas/tracker_api"
    assert tracker.handler == "lambda_function.lambda_handler"
    assert tracker.layers == ("layers/org_common",)
    assert tracker.workflow_file == ".github/workflows/lambda-cora-dev-tracker-tracker-api-deploy.yml"
    assert digest.routes == ()
    assert documents.routes[0] == Route("POST", "/admin/reindex", "iam", None, "Rebuild the index", None)


def test_routes_are_sorted_by_path_then_method_and_absent_optionals_are_null(cloud_assembly: Path) -> None:
    tracker = next(fn for fn in read_cloud_assembly(cloud_assembly) if fn.lambda_name == "tracker_api")
    assert [(r.path, r.method) for r in tracker.routes] == [
        ("/health", "GET"),
        ("/tasks", "GET"),
        ("/tasks", "POST"),
        ("/tasks/{task_id}", "GET"),
    ]
    health = tracker.routes[0]
    assert (health.auth, health.public_reason, health.category) == ("public", "uptime check", None)
    assert tracker.routes[1].category == "Tasks"


def test_ignores_functions_without_cora_app_and_layers(cloud_assembly: Path) -> None:
    # Every stack also holds a CDK provider function and the infra stack the org layer.
    _, template = template_of(cloud_assembly, "cora-dev-infra")
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert types.count("AWS::Lambda::Function") == 2
    assert "AWS::Lambda::LayerVersion" in types
    assert len(read_cloud_assembly(cloud_assembly)) == 4


def test_a_function_with_no_cora_metadata_but_other_keys_is_not_production(tmp_path: Path) -> None:
    out = write_cloud_assembly(tmp_path / "cdk.out", [SyntheticLambda("tracker", "api")])
    _corrupt(out, "cora-dev-tracker", "cora-dev-tracker-api", lambda r: r["Metadata"].pop("cora:app"))
    assert read_cloud_assembly(out) == ()


def test_follows_nested_assemblies(tmp_path: Path) -> None:
    out = write_cloud_assembly(tmp_path / "cdk.out", sample_lambdas(), nested_stage="Prod")
    assert (out / "assembly-Prod" / "manifest.json").is_file()
    lambdas = read_cloud_assembly(out)
    assert len(lambdas) == 4
    tracker = next(fn for fn in lambdas if fn.module == "tracker")
    assert tracker.stack == "cora-dev-tracker"
    assert tracker.stack_id == "Prod/cora-dev-tracker"


def test_reads_two_hundred_functions(tmp_path: Path) -> None:
    out = write_cloud_assembly(tmp_path / "cdk.out", many_lambdas(200, 12))
    assert len(read_cloud_assembly(out)) == 200


@pytest.mark.parametrize(
    "key",
    [
        "aws:cdk:path",
        "cora:module",
        "cora:lambda",
        "cora:source",
        "cora:handler",
        "cora:layers",
        "cora:routes",
    ],
)
def test_a_missing_metadata_key_names_stack_path_and_key(cloud_assembly: Path, key: str) -> None:
    _corrupt(
        cloud_assembly, "cora-dev-tracker", "cora-dev-tracker-tracker-api", lambda r: r["Metadata"].pop(key)
    )
    with pytest.raises(CloudAssemblyError) as caught:
        read_cloud_assembly(cloud_assembly)
    message = str(caught.value)
    assert "stack cora-dev-tracker" in message
    assert f"'{key}' is missing" in message
    if key != "aws:cdk:path":
        assert "cora-dev-tracker/TrackerApi/Function/Resource" in message
    else:  # without its path, the resource is named by its logical id
        assert "TrackerApiFunction5E6F7A8B" in message


@pytest.mark.parametrize(
    "name",
    [{"Ref": "AWS::StackName"}, {"Fn::Join": ["-", ["cora", {"Ref": "Env"}]]}],
    ids=["ref", "join"],
)
def test_a_non_literal_function_name_is_an_error(cloud_assembly: Path, name: object) -> None:
    def change(resource: dict[str, object]) -> None:
        resource["Properties"]["FunctionName"] = name  # type: ignore[index]

    _corrupt(cloud_assembly, "cora-dev-documents", "cora-dev-documents-document-api", change)
    with pytest.raises(CloudAssemblyError, match=r"stack cora-dev-documents, cora-dev-documents/DocumentApi"):
        read_cloud_assembly(cloud_assembly)
    with pytest.raises(CloudAssemblyError, match="FunctionName is not a literal string"):
        read_cloud_assembly(cloud_assembly)


def test_a_missing_function_name_is_an_error(cloud_assembly: Path) -> None:
    _corrupt(
        cloud_assembly,
        "cora-dev-tracker",
        "cora-dev-tracker-tracker-digest",
        lambda r: r["Properties"].pop("FunctionName"),
    )
    with pytest.raises(
        CloudAssemblyError, match="TrackerDigest/Function/Resource: property FunctionName is missing"
    ):
        read_cloud_assembly(cloud_assembly)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("cora:app", "both", "must be one of stack, infra"),
        ("cora:source", "../outside", "relative POSIX folder path"),
        ("cora:source", "/abs/path", "relative POSIX folder path"),
        ("cora:layers", "layers/org_common", "must be a list"),
        ("cora:layers", ["layers\\org_common"], "not a relative POSIX folder path"),
        ("cora:routes", [{"method": "GET"}], "missing key(s) 'path', 'auth'"),
        ("cora:routes", [{"method": "get", "path": "/x", "auth": "org"}], "upper-case HTTP method"),
        ("cora:routes", [{"method": "GET", "path": "x", "auth": "org"}], "starting with '/'"),
        (
            "cora:routes",
            [{"method": "GET", "path": "/x", "auth": "org", "public_reason": 3}],
            "public_reason",
        ),
        ("cora:routes", [route("GET", "/x", "a"), route("GET", "/x", "b")], "listed twice"),
        ("cora:handler", 42, "must be a non-empty string"),
        ("cora:module", "", "must be a non-empty string"),
    ],
)
def test_malformed_metadata_is_an_error(cloud_assembly: Path, key: str, value: object, expected: str) -> None:
    def change(resource: dict[str, dict[str, object]]) -> None:
        resource["Metadata"][key] = value

    _corrupt(cloud_assembly, "cora-dev-tracker", "cora-dev-tracker-tracker-api", change)
    with pytest.raises(CloudAssemblyError) as caught:
        read_cloud_assembly(cloud_assembly)
    assert expected in str(caught.value)
    assert "stack cora-dev-tracker, cora-dev-tracker/TrackerApi/Function/Resource" in str(caught.value)


def test_every_problem_is_reported_at_once(cloud_assembly: Path) -> None:
    _corrupt(
        cloud_assembly,
        "cora-dev-tracker",
        "cora-dev-tracker-tracker-api",
        lambda r: r["Metadata"].pop("cora:source"),
    )
    _corrupt(
        cloud_assembly,
        "cora-dev-infra",
        "cora-dev-authorizer-authorizer",
        lambda r: r["Metadata"].pop("cora:routes"),
    )
    with pytest.raises(CloudAssemblyError) as caught:
        read_cloud_assembly(cloud_assembly)
    assert len(caught.value.problems) == 2
    assert "(and 1 more)" in str(caught.value)


def test_duplicate_function_names_are_an_error(tmp_path: Path) -> None:
    out = write_cloud_assembly(
        tmp_path / "cdk.out", [SyntheticLambda("tracker", "api"), SyntheticLambda("orgs", "api")]
    )
    _corrupt(
        out,
        "cora-dev-orgs",
        "cora-dev-orgs-api",
        lambda r: r["Properties"].update(FunctionName="cora-dev-tracker-api"),
    )
    with pytest.raises(CloudAssemblyError, match="function name cora-dev-tracker-api is used by 2 Lambdas"):
        read_cloud_assembly(out)


def test_a_missing_assembly_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CloudAssemblyError, match=r"no cloud assembly in .*manifest.json is missing"):
        read_cloud_assembly(tmp_path)


def test_a_missing_or_broken_template_is_an_error(cloud_assembly: Path) -> None:
    (cloud_assembly / "cora-dev-tracker.template.json").unlink()
    (cloud_assembly / "cora-dev-infra.template.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CloudAssemblyError) as caught:
        read_cloud_assembly(cloud_assembly)
    problems = "\n".join(caught.value.problems)
    assert "template of stack cora-dev-tracker" in problems and "does not exist" in problems
    assert "template of stack cora-dev-infra" in problems and "is not valid JSON" in problems


def test_a_broken_assembly_manifest_is_an_error(cloud_assembly: Path) -> None:
    (cloud_assembly / "manifest.json").write_text('{"artifacts": []}', encoding="utf-8")
    with pytest.raises(CloudAssemblyError, match="'artifacts' is not an object"):
        read_cloud_assembly(cloud_assembly)
    manifest = {"artifacts": {"x": {"type": "aws:cloudformation:stack", "properties": {}}}}
    (cloud_assembly / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(CloudAssemblyError, match=r"artifact 'x' has no properties\.templateFile"):
        read_cloud_assembly(cloud_assembly)
