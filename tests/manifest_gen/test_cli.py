"""`generate` and `check` end to end on synthetic assemblies: the coverage guard catches every
mutation, generation is idempotent and atomic, and errors are one line without a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from manifest_gen import writer
from manifest_gen.cli import main
from manifest_gen.model import COVERAGE_GUARD_PATH, MANIFEST_PATH, REUSABLE_WORKFLOW_PATH
from tests.manifest_gen.conftest import (
    REPO_ROOT,
    GeneratedProject,
    SyntheticLambda,
    function_resource,
    make_project,
    sample_lambdas,
    template_of,
    write_cloud_assembly,
)

DIGEST = "cora-dev-tracker-tracker-digest"
DIGEST_WORKFLOW = f".github/workflows/lambda-{DIGEST}-deploy.yml"


def _check(project: GeneratedProject, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(project.args("check"))
    return code, capsys.readouterr().out


def _check_json(
    project: GeneratedProject, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, object]]:
    code = main(project.args("check", "--json"))
    report: dict[str, object] = json.loads(capsys.readouterr().out)
    return code, report


def _kinds(report: dict[str, object]) -> list[tuple[str, str]]:
    problems = report["problems"]
    assert isinstance(problems, list)
    return [(problem["kind"], problem["path"]) for problem in problems]


def _regenerate(project: GeneratedProject, lambdas: list[SyntheticLambda]) -> None:
    """Replace the project's assembly by one for ``lambdas`` (a new synth of a changed app)."""
    for path in project.cdk_out.iterdir():
        path.unlink()
    write_cloud_assembly(project.cdk_out, lambdas)


class TestGenerate:
    def test_writes_the_manifest_and_every_workflow(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        files = generated.files()
        assert len(files) == 4 + 3
        assert {MANIFEST_PATH, REUSABLE_WORKFLOW_PATH, COVERAGE_GUARD_PATH} <= set(files)

    def test_twice_gives_byte_identical_files_and_writes_nothing(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        before = generated.files()
        mtimes = {path: (generated.root / path).stat().st_mtime_ns for path in before}
        capsys.readouterr()
        assert main(generated.args("generate")) == 0
        assert capsys.readouterr().out == "4 Lambdas: 0 files written, 0 deleted, 7 unchanged\n"
        assert generated.files() == before
        assert {path: (generated.root / path).stat().st_mtime_ns for path in before} == mtimes

    def test_writes_only_changed_files(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        workflow = generated.root / DIGEST_WORKFLOW
        workflow.write_text(workflow.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
        workflow.chmod(0o600)
        capsys.readouterr()
        assert main(generated.args("generate")) == 0
        assert capsys.readouterr().out == (
            f"wrote {DIGEST_WORKFLOW}\n4 Lambdas: 1 files written, 0 deleted, 6 unchanged\n"
        )
        assert workflow.stat().st_mode & 0o777 == 0o600  # an existing file keeps its mode
        assert main(generated.args("check")) == 0

    def test_deletes_the_marked_workflow_of_a_removed_lambda_only(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        handwritten_path = ".github/workflows/lambda-handwritten-deploy.yml"
        handwritten = generated.root / handwritten_path
        handwritten.write_text("name: mine\n", encoding="utf-8")
        _regenerate(generated, [fn for fn in sample_lambdas() if fn.name != "tracker_digest"])
        capsys.readouterr()
        assert main(generated.args("generate")) == 0
        out = capsys.readouterr().out
        assert f"deleted {DIGEST_WORKFLOW}" in out
        assert not (generated.root / DIGEST_WORKFLOW).exists()
        assert handwritten.read_text(encoding="utf-8") == "name: mine\n"
        manifest = json.loads((generated.root / MANIFEST_PATH).read_text(encoding="utf-8"))
        assert DIGEST not in [entry["function_name"] for entry in manifest["functions"]]
        # Left alone, and still reported: it deploys a Lambda the app does not own.
        code, report = _check_json(generated, capsys)
        assert (code, _kinds(report)) == (1, [("unmanaged-deploy-workflow", handwritten_path)])

    def test_refuses_to_overwrite_an_unmarked_file_and_writes_nothing(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        (generated.root / DIGEST_WORKFLOW).write_text("name: hand-written\n", encoding="utf-8")
        _regenerate(generated, [*sample_lambdas(), SyntheticLambda("tracker", "tracker_new")])
        before = generated.files()
        capsys.readouterr()
        assert main(generated.args("generate")) == 2
        captured = capsys.readouterr()
        assert captured.err == (
            f"cora manifest: error: refusing to overwrite {DIGEST_WORKFLOW}: it has no generated marker "
            "(it was written by hand); move or delete it, then run the generator again\n"
        )
        assert generated.files() == before  # not even the new Lambda's workflow

    def test_a_failed_write_changes_nothing_and_leaves_no_temporary_file(
        self, generated: GeneratedProject, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _regenerate(
            generated,
            [*sample_lambdas(), SyntheticLambda("tracker", "tracker_new"), SyntheticLambda("x", "y")],
        )
        before = generated.files()
        real_stage = writer._stage
        calls: list[Path] = []

        def failing_stage(target: Path, content: str) -> Path:
            calls.append(target)
            if len(calls) == 3:
                raise OSError(28, "No space left on device", str(target))
            return real_stage(target, content)

        monkeypatch.setattr(writer, "_stage", failing_stage)
        assert main(generated.args("generate")) == 2
        assert "No space left on device" in capsys.readouterr().err
        assert len(calls) == 3
        assert generated.files() == before


class TestCheck:
    def test_passes_when_everything_matches(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert _check(generated, capsys) == (
            0,
            "cora manifest check: OK: 4 Lambdas, 7 generated files match the app\n",
        )
        code, report = _check_json(generated, capsys)
        assert (code, report) == (0, {"ok": True, "lambdas": 4, "generated_files": 7, "problems": []})

    def test_a_removed_manifest_entry(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = generated.root / MANIFEST_PATH
        document = json.loads(path.read_text(encoding="utf-8"))
        document["functions"] = [e for e in document["functions"] if e["function_name"] != DIGEST]
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        code, out = _check(generated, capsys)
        assert code == 1
        assert (
            f"- [lambda-without-entry] Lambda {DIGEST} (cora-dev-tracker/TrackerDigest/Function/Resource, "
            f"packages/module-tracker/backend/lambdas/tracker_digest) has no entry in {MANIFEST_PATH}: "
            "run `cora manifest generate`"
        ) in out
        assert f'+      "function_name": "{DIGEST}",' in out
        _, report = _check_json(generated, capsys)
        assert _kinds(report) == [("lambda-without-entry", MANIFEST_PATH), ("stale-file", MANIFEST_PATH)]

    def test_an_edited_workflow_shows_a_diff(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = generated.root / DIGEST_WORKFLOW
        path.write_text(
            path.read_text(encoding="utf-8").replace("branches:\n      - main", "branches:\n      - dev")
        )
        code, out = _check(generated, capsys)
        assert code == 1
        assert (
            f"- [stale-file] {DIGEST_WORKFLOW} differs from what the app generates "
            "(hand-edited or out of date)" in out
        )
        assert f"    --- {DIGEST_WORKFLOW} (on disk)" in out
        assert f"    +++ {DIGEST_WORKFLOW} (generated)" in out
        assert "    -      - dev" in out and "    +      - main" in out
        assert out.rstrip().endswith("Run `cora manifest generate` and commit the result.")
        _, report = _check_json(generated, capsys)
        problem = report["problems"][0]  # type: ignore[index]
        assert problem["function_name"] == DIGEST and "+      - main" in problem["diff"]

    def test_a_deleted_workflow(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        (generated.root / DIGEST_WORKFLOW).unlink()
        code, out = _check(generated, capsys)
        assert code == 1
        assert f"- [missing-file] {DIGEST_WORKFLOW} is missing (the workflow of Lambda {DIGEST})" in out

    @pytest.mark.parametrize("path", [MANIFEST_PATH, REUSABLE_WORKFLOW_PATH, COVERAGE_GUARD_PATH])
    def test_a_deleted_shared_file(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str], path: str
    ) -> None:
        (generated.root / path).unlink()
        code, report = _check_json(generated, capsys)
        assert (code, _kinds(report)) == (1, [("missing-file", path)])

    def test_a_new_lambda_without_routes(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _regenerate(generated, [*sample_lambdas(), SyntheticLambda("tracker", "tracker_worker")])
        code, report = _check_json(generated, capsys)
        assert code == 1
        new = ".github/workflows/lambda-cora-dev-tracker-tracker-worker-deploy.yml"
        assert _kinds(report) == [
            ("lambda-without-entry", MANIFEST_PATH),
            ("missing-file", new),
            ("stale-file", MANIFEST_PATH),
        ]
        assert main(generated.args("generate")) == 0
        assert main(generated.args("check")) == 0

    def test_a_removed_lambda(self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]) -> None:
        _regenerate(generated, [fn for fn in sample_lambdas() if fn.name != "tracker_digest"])
        code, report = _check_json(generated, capsys)
        assert code == 1
        assert _kinds(report) == [
            ("entry-without-lambda", MANIFEST_PATH),
            ("stale-file", MANIFEST_PATH),
            ("orphaned-workflow", DIGEST_WORKFLOW),
        ]

    def test_a_changed_lambda_makes_its_workflow_stale(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path, template = template_of(generated.cdk_out, "cora-dev-tracker")
        function_resource(template, DIGEST)["Metadata"]["cora:layers"] = ["layers/org_common", "layers/extra"]
        path.write_text(json.dumps(template), encoding="utf-8")
        code, report = _check_json(generated, capsys)
        assert (code, _kinds(report)) == (1, [("stale-file", DIGEST_WORKFLOW), ("stale-file", MANIFEST_PATH)])

    def test_an_unmarked_file_at_a_generated_path(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        (generated.root / REUSABLE_WORKFLOW_PATH).write_text("name: mine\n", encoding="utf-8")
        code, out = _check(generated, capsys)
        assert code == 1
        assert (
            f"- [unmarked-file] {REUSABLE_WORKFLOW_PATH} was not written by the generator (no marker)" in out
        )

    def test_a_truncated_manifest(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = generated.root / MANIFEST_PATH
        path.write_text(path.read_text(encoding="utf-8")[:300], encoding="utf-8")
        code, report = _check_json(generated, capsys)
        assert (code, _kinds(report)) == (1, [("stale-file", MANIFEST_PATH)])

    def test_hand_written_workflows_that_deploy_no_lambda_are_not_its_business(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        (generated.root / ".github/workflows/ui-backend-deploy.yml").write_text(
            "name: ui\non: push\njobs:\n  ui:\n    uses: ./.github/workflows/ui-reusable.yml\n",
            encoding="utf-8",
        )
        notes = generated.root / ".github/workflows/lambda-notes.md"
        notes.write_text("lambda-x-deploy\n", encoding="utf-8")
        assert _check(generated, capsys)[0] == 0

    def test_a_hand_written_lambda_deploy_workflow_is_a_finding(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        ghost = ".github/workflows/lambda-ghost-deploy.yml"
        (generated.root / ghost).write_text("name: ghost\non: push\n", encoding="utf-8")
        before = generated.files()
        code, out = _check(generated, capsys)
        assert code == 1
        assert f"- [unmanaged-deploy-workflow] {ghost} deploys a Lambda but was not generated" in out
        # `generate` never touches a hand-written file: the finding stays until a person acts.
        assert main(generated.args("generate")) == 0
        assert generated.files()[ghost] == before[ghost]
        assert _check(generated, capsys)[0] == 1

    @pytest.mark.parametrize(
        "uses",
        [
            "./.github/workflows/lambda-deploy-reusable.yml",
            "'./.github/workflows/lambda-deploy-reusable.yml'",
            "my-org/platform/.github/workflows/lambda-deploy-reusable.yml@0123abcd",
        ],
    )
    def test_any_workflow_calling_the_reusable_deploy_workflow_is_a_finding(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str], uses: str
    ) -> None:
        path = ".github/workflows/billing.yaml"
        (generated.root / path).write_text(
            f"name: billing\non: push\njobs:\n  deploy:\n    uses: {uses}\n    with:\n      stack: x\n",
            encoding="utf-8",
        )
        code, report = _check_json(generated, capsys)
        assert (code, _kinds(report)) == (1, [("unmanaged-deploy-workflow", path)])


class TestErrors:
    def test_a_missing_cdk_out(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        root = make_project(tmp_path / "p")
        assert main(["check", "--cdk-out", str(tmp_path / "nope"), "--project-root", str(root)]) == 2
        err = capsys.readouterr().err
        assert (
            err
            == f"cora manifest: error: {tmp_path / 'nope'} is not a cloud assembly: it has no manifest.json\n"
        )

    def test_a_broken_assembly_lists_every_problem(
        self, generated: GeneratedProject, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path, template = template_of(generated.cdk_out, "cora-dev-tracker")
        function_resource(template, DIGEST)["Properties"]["FunctionName"] = {"Ref": "Name"}
        function_resource(template, "cora-dev-tracker-tracker-api")["Metadata"].pop("cora:handler")
        path.write_text(json.dumps(template), encoding="utf-8")
        before = generated.files()
        assert main(generated.args("generate")) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 2
        assert all(line.startswith("cora manifest: error: stack cora-dev-tracker, ") for line in err)
        assert generated.files() == before

    def test_no_project_root(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.chdir(tmp_path)
        assert main(["check"]) == 2
        assert "no cdk.json in" in capsys.readouterr().err

    def test_usage_errors_exit_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main([]) == 2
        assert main(["deploy"]) == 2
        assert main(["generate", "--json"]) == 2
        assert "usage:" in capsys.readouterr().err
        assert main(["--help"]) == 0

    def test_the_project_root_is_found_from_a_subfolder(
        self, generated: GeneratedProject, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.chdir(generated.root / ".github")
        assert main(["check", "--cdk-out", str(generated.cdk_out)]) == 0


def test_python_dash_m_runs_without_importing_the_cdk(generated: GeneratedProject) -> None:
    code = (
        "import json, sys\n"
        "from manifest_gen.cli import main\n"
        f"rc = main({generated.args('check')!r})\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'aws_cdk', 'constructs', 'jsii'})\n"
        "print(json.dumps({'rc': rc, 'loaded': loaded}))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=REPO_ROOT, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.splitlines()[-1]) == {"rc": 0, "loaded": []}

    module = subprocess.run(
        [sys.executable, "-m", "manifest_gen", *generated.args("check", "--json")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert module.returncode == 0, module.stderr
    assert json.loads(module.stdout)["ok"] is True
    (generated.root / DIGEST_WORKFLOW).unlink()
    module = subprocess.run(
        [sys.executable, "-m", "manifest_gen", *generated.args("check")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert module.returncode == 1
    assert module.stdout.startswith("python -m manifest_gen check: 1 problem(s)")
    assert "Traceback" not in module.stderr


def test_no_module_of_manifest_gen_imports_the_cdk() -> None:
    import ast

    package = REPO_ROOT / "manifest_gen"
    for source in package.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"aws_cdk", "constructs", "jsii"}, (source.name, name)
