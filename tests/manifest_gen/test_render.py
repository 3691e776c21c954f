"""The generated files: snapshots, the manifest schema, and what each workflow must say."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion

from cora_constructs.assembly.reader import read_cloud_assembly
from manifest_gen.generated import MARKER, is_generated
from manifest_gen.manifest import dump_json, manifest_schema
from manifest_gen.model import COVERAGE_GUARD_PATH, MANIFEST_PATH, REUSABLE_WORKFLOW_PATH
from manifest_gen.outputs import expected_files
from manifest_gen.pins import ACTION_PINS
from manifest_gen.workflows import ALWAYS_GUARDED, coverage_guard_paths
from tests.manifest_gen.conftest import GeneratedProject, many_lambdas, write_cloud_assembly

TRACKER_WORKFLOW = ".github/workflows/lambda-cora-dev-tracker-tracker-api-deploy.yml"
DIGEST_WORKFLOW = ".github/workflows/lambda-cora-dev-tracker-tracker-digest-deploy.yml"


def _workflow(project: GeneratedProject, path: str) -> dict[Any, Any]:
    loaded = yaml.safe_load((project.root / path).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    loaded["on"] = loaded.pop(True)  # YAML 1.1 reads the `on` key as true; GitHub does not
    return loaded


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_every_generated_file_matches_its_snapshot(
    generated: GeneratedProject, snapshot: SnapshotAssertion
) -> None:
    files = generated.files()
    assert sorted(files) == [
        ".github/workflows/lambda-cora-dev-authorizer-authorizer-deploy.yml",
        ".github/workflows/lambda-cora-dev-documents-document-api-deploy.yml",
        TRACKER_WORKFLOW,
        DIGEST_WORKFLOW,
        REUSABLE_WORKFLOW_PATH,
        COVERAGE_GUARD_PATH,
        MANIFEST_PATH,
    ]
    for path, content in files.items():
        assert content.decode("utf-8") == snapshot(name=path)


def test_rendering_is_deterministic_whatever_the_assembly_order(tmp_path: Path) -> None:
    lambdas = many_lambdas(30, 4)
    first = read_cloud_assembly(write_cloud_assembly(tmp_path / "a", lambdas))
    second = read_cloud_assembly(write_cloud_assembly(tmp_path / "b", list(reversed(lambdas))))
    assert expected_files(first) == expected_files(second)
    assert expected_files(first) == expected_files(reversed(first))


def test_every_generated_file_starts_with_the_marker_naming_the_command(generated: GeneratedProject) -> None:
    assert "cora manifest generate" in MARKER
    for path, content in generated.files().items():
        text = content.decode("utf-8")
        assert is_generated(path, text), path
        if path.endswith(".yml"):
            assert text.splitlines()[0] == f"# {MARKER}"
        else:
            assert next(iter(json.loads(text).items())) == ("_generated", MARKER)


class TestManifest:
    def test_is_valid_against_the_shipped_schema(self, generated: GeneratedProject) -> None:
        document = json.loads((generated.root / MANIFEST_PATH).read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(manifest_schema())
        jsonschema.validate(document, manifest_schema(), cls=jsonschema.Draft202012Validator)

    def test_the_reference_manifest_with_websocket_keys_is_valid(self) -> None:
        from tests.conftest import ROOT

        document = json.loads((ROOT / MANIFEST_PATH).read_text(encoding="utf-8"))
        jsonschema.validate(document, manifest_schema(), cls=jsonschema.Draft202012Validator)
        keys = [r for fn in document["functions"] for r in fn["routes"] if r.get("protocol") == "websocket"]
        assert {r["path"] for r in keys} == {"$connect", "$disconnect", "watch", "notify"}
        assert all(r["method"] == "WEBSOCKET" for r in keys)
        assert not any(
            "protocol" in r for fn in document["functions"] for r in fn["routes"] if r["path"][0] == "/"
        )
        keys[0]["path"] = "$connected"
        with pytest.raises(jsonschema.ValidationError, match="connected"):
            jsonschema.validate(document, manifest_schema(), cls=jsonschema.Draft202012Validator)

    def test_the_schema_rejects_an_entry_without_the_seed_keys(self, generated: GeneratedProject) -> None:
        document = json.loads((generated.root / MANIFEST_PATH).read_text(encoding="utf-8"))
        for key in ("function_name", "lambda_dir", "workflow_file"):
            broken = json.loads(json.dumps(document))
            del broken["functions"][0][key]
            with pytest.raises(jsonschema.ValidationError, match=key):
                jsonschema.validate(broken, manifest_schema(), cls=jsonschema.Draft202012Validator)
        document["expected_runtime"] = "python3.12"
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(document, manifest_schema(), cls=jsonschema.Draft202012Validator)

    def test_content(self, generated: GeneratedProject) -> None:
        document = json.loads((generated.root / MANIFEST_PATH).read_text(encoding="utf-8"))
        assert list(document) == ["_generated", "source_of_truth", "expected_runtime", "functions"]
        assert document["expected_runtime"] == "python3.11"
        names = [entry["function_name"] for entry in document["functions"]]
        assert names == sorted(names) == sorted(fn.function_name for fn in generated.lambdas)
        tracker = next(
            e for e in document["functions"] if e["function_name"] == "cora-dev-tracker-tracker-api"
        )
        assert tracker == {
            "function_name": "cora-dev-tracker-tracker-api",
            "lambda_dir": "packages/module-tracker/backend/lambdas/tracker_api",
            "workflow_file": TRACKER_WORKFLOW,
            "app": "stack",
            "stack": "cora-dev-tracker",
            "module": "tracker",
            "construct_path": "cora-dev-tracker/TrackerApi/Function/Resource",
            "handler": "lambda_function.lambda_handler",
            "layers": ["layers/org_common"],
            "dependency_files": [],
            "routes": [
                {
                    "method": "GET",
                    "path": "/health",
                    "auth": "public",
                    "public_reason": "uptime check",
                    "description": "Probe",
                    "category": None,
                },
                {
                    "method": "GET",
                    "path": "/tasks",
                    "auth": "org",
                    "public_reason": None,
                    "description": "List tasks",
                    "category": "Tasks",
                },
                {
                    "method": "POST",
                    "path": "/tasks",
                    "auth": "org",
                    "public_reason": None,
                    "description": "Create a task",
                    "category": "Tasks",
                },
                {
                    "method": "GET",
                    "path": "/tasks/{task_id}",
                    "auth": "org",
                    "public_reason": None,
                    "description": "Get one task",
                    "category": "Tasks",
                },
            ],
        }
        digest = next(
            e for e in document["functions"] if e["function_name"] == "cora-dev-tracker-tracker-digest"
        )
        assert digest["routes"] == []

    def test_passes_the_seed_teams_coverage_rules(self, generated: GeneratedProject) -> None:
        """What the seed team's guard checks: entries, their folders' workflows, and in each
        workflow the function name, the reusable call and top-level id-token permission."""
        document = json.loads((generated.root / MANIFEST_PATH).read_text(encoding="utf-8"))
        assert isinstance(document["functions"], list)
        for entry in document["functions"]:
            assert isinstance(entry["lambda_dir"], str) and entry["lambda_dir"]
            workflow = generated.root / entry["workflow_file"]
            assert workflow.is_file()
            text = workflow.read_text(encoding="utf-8")
            assert entry["function_name"] in text
            assert "uses: ./.github/workflows/lambda-deploy-reusable.yml" in text
            assert re.search(r"(?m)^permissions:\s*$", text)
            assert re.search(r"(?m)^\s*id-token:\s*write\s*$", text)


class TestDeployWorkflow:
    def test_triggers_on_its_folder_its_layers_and_itself(self, generated: GeneratedProject) -> None:
        workflow = _workflow(generated, TRACKER_WORKFLOW)
        assert workflow["name"] == "Deploy Lambda cora-dev-tracker-tracker-api"
        assert workflow["on"] == {
            "push": {
                "branches": ["main"],
                "paths": [
                    "packages/module-tracker/backend/lambdas/tracker_api/**",
                    "layers/org_common/**",
                    TRACKER_WORKFLOW,
                ],
            },
            "workflow_dispatch": None,
        }

    def test_a_lambda_without_layers_triggers_on_its_folder(self, generated: GeneratedProject) -> None:
        workflow = _workflow(generated, ".github/workflows/lambda-cora-dev-authorizer-authorizer-deploy.yml")
        assert workflow["on"]["push"]["paths"] == [
            "lambdas/authorizer/**",
            ".github/workflows/lambda-cora-dev-authorizer-authorizer-deploy.yml",
        ]
        assert workflow["jobs"]["deploy"]["with"]["app"] == "infra"
        assert workflow["jobs"]["deploy"]["with"]["stack"] == "cora-dev-infra"

    def test_packaged_code_triggers_on_the_project_pins_not_on_a_missing_folder(self) -> None:
        from cora_constructs.assembly.model import ProductionLambda
        from manifest_gen.workflows import render_deploy_workflow

        fn = ProductionLambda(
            function_name="shop-dev-authorizer-authorizer",
            app="infra",
            stack="shop-dev-infra",
            stack_id="shop-dev-infra",
            module="authorizer",
            lambda_name="authorizer",
            construct_path="shop-dev-infra/Authorizer/Function/Resource",
            lambda_dir="cora_constructs/authorizer",
            handler="lambda_function.lambda_handler",
            layers=("layers/org_common",),
            routes=(),
            dependency_files=("requirements.txt",),
            source_package="cora-constructs==0.2.0",
        )
        workflow = yaml.safe_load(render_deploy_workflow(fn).content)
        assert workflow[True]["push"]["paths"] == [  # YAML 1.1 reads the key `on` as true
            "layers/org_common/**",
            "requirements.txt",
            ".github/workflows/lambda-shop-dev-authorizer-authorizer-deploy.yml",
        ]
        assert workflow["jobs"]["deploy"]["with"]["lambda_dir"] == ""

    def test_calls_the_reusable_workflow_with_oidc_permissions(self, generated: GeneratedProject) -> None:
        workflow = _workflow(generated, DIGEST_WORKFLOW)
        assert workflow["permissions"] == {"id-token": "write", "contents": "read"}
        job = workflow["jobs"]["deploy"]
        assert job["uses"] == "./.github/workflows/lambda-deploy-reusable.yml"
        assert job["permissions"] == {"id-token": "write", "contents": "read"}
        assert job["with"] == {
            "function_name": "cora-dev-tracker-tracker-digest",
            "stack": "cora-dev-tracker",
            "app": "stack",
            "lambda_dir": "packages/module-tracker/backend/lambdas/tracker_digest",
        }
        assert "secrets" not in job


class TestReusableWorkflow:
    def test_inputs_match_what_callers_pass(self, generated: GeneratedProject) -> None:
        reusable = _workflow(generated, REUSABLE_WORKFLOW_PATH)
        inputs = reusable["on"]["workflow_call"]["inputs"]
        caller = _workflow(generated, DIGEST_WORKFLOW)["jobs"]["deploy"]["with"]
        assert set(inputs) == set(caller)
        assert all(spec == {**spec, "required": True, "type": "string"} for spec in inputs.values())

    def test_concurrency_per_function_never_cancels(self, generated: GeneratedProject) -> None:
        reusable = _workflow(generated, REUSABLE_WORKFLOW_PATH)
        assert reusable["concurrency"] == {
            "group": "lambda-deploy-${{ inputs.function_name }}",
            "cancel-in-progress": False,
        }
        assert reusable["jobs"]["deploy"]["concurrency"]["cancel-in-progress"] is False

    def test_least_permissions(self, generated: GeneratedProject) -> None:
        reusable = _workflow(generated, REUSABLE_WORKFLOW_PATH)
        assert reusable["permissions"] == {"contents": "read"}
        assert reusable["jobs"]["deploy"]["permissions"] == {"id-token": "write", "contents": "read"}

    def test_oidc_role_from_repository_variables_and_no_static_keys(
        self, generated: GeneratedProject
    ) -> None:
        reusable = _workflow(generated, REUSABLE_WORKFLOW_PATH)
        credentials = next(s for s in _steps(reusable) if "configure-aws-credentials" in s.get("uses", ""))
        assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
        assert credentials["with"]["aws-region"] == "${{ vars.AWS_REGION }}"
        for path, content in generated.files().items():
            text = content.decode("utf-8")
            assert "aws-access-key-id" not in text and "aws-secret-access-key" not in text, path
            assert "secrets." not in text and "AWS_ACCESS_KEY_ID" not in text, path

    def test_deploys_the_stack_exclusively_then_checks_the_function(
        self, generated: GeneratedProject
    ) -> None:
        steps = {step["name"]: step for step in _steps(_workflow(generated, REUSABLE_WORKFLOW_PATH))}
        deploy = steps["cdk deploy"]
        assert deploy["run"].strip() == (
            'npx --no-install cdk deploy "$STACK" --exclusively --require-approval never -c "app=$CDK_APP"'
        )
        assert deploy["env"] == {"STACK": "${{ inputs.stack }}", "CDK_APP": "${{ inputs.app }}"}
        check = steps["Post-deploy check"]
        assert check["env"]["EXPECTED_RUNTIME"] == "python3.11"
        assert "get-function-configuration" in check["run"] and "get-alias" in check["run"]
        assert "--name live" in check["run"]
        names = list(steps)
        assert names.index("Install the project") < names.index("Configure AWS credentials (OIDC)")
        assert names.index("Configure AWS credentials (OIDC)") < names.index("cdk deploy")
        assert names.index("cdk deploy") < names.index("Post-deploy check")
        python = next(s for s in steps.values() if "setup-python" in s.get("uses", ""))
        assert python["with"] == {"python-version": "3.11"}
        assert any("setup-node" in s.get("uses", "") for s in steps.values())


class TestCoverageGuard:
    def test_runs_the_check_on_pull_requests_and_pushes_touching_sources(
        self, generated: GeneratedProject
    ) -> None:
        guard = _workflow(generated, COVERAGE_GUARD_PATH)
        # Only what the project has is guarded (no filter on a folder it does not have).
        expected = [
            path
            for path in coverage_guard_paths()
            if path in ALWAYS_GUARDED or next(generated.root.glob(path.removesuffix("/**")), None)
        ]
        assert "cdk.json" in expected and "packages/**" not in expected  # this project has no packages/
        for event in ("pull_request", "push"):
            assert guard["on"][event]["paths"] == expected, event
        assert guard["permissions"] == {"contents": "read"}
        assert any(step.get("run", "").strip() == "cora manifest check" for step in _steps(guard))


class TestAllWorkflows:
    def test_every_action_is_pinned_by_commit_with_its_version(self, generated: GeneratedProject) -> None:
        pins = {pin.uses: pin.version for pin in ACTION_PINS}
        seen = set()
        for path, content in generated.files().items():
            for line in content.decode("utf-8").splitlines():
                match = re.match(r"^\s*(?:- )?uses: (\S+)(?: # (.*))?$", line)
                if not match or match.group(1).startswith("./"):
                    continue
                uses, comment = match.groups()
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses), (path, line)
                assert pins[uses] == comment, (path, line)
                seen.add(uses)
        assert seen == set(pins)

    def test_inputs_reach_shell_only_through_env(self, generated: GeneratedProject) -> None:
        for path in generated.files():
            if not path.endswith(".yml"):
                continue
            for step in _steps(_workflow(generated, path)):
                assert "${{" not in step.get("run", ""), (path, step["name"])

    def test_checkouts_keep_no_credentials(self, generated: GeneratedProject) -> None:
        checkouts = [
            step
            for path in generated.files()
            if path.endswith(".yml")
            for step in _steps(_workflow(generated, path))
            if "actions/checkout@" in step.get("uses", "")
        ]
        assert len(checkouts) == 2
        assert all(step["with"]["persist-credentials"] is False for step in checkouts)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_the_manifest_json_writer_matches_json_dumps(value: Any) -> None:
    assert dump_json(value) == json.dumps(value, indent=2, ensure_ascii=False)
