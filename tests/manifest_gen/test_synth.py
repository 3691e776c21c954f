"""Synthesize before reading when cdk.out is missing or older than the sources; the
"Done when" scenarios of the coverage guard on a project whose app is synthesized for real
by a stand-in `npx` on PATH."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cora_constructs.assembly.synth import (
    SYNTH_COMMAND,
    assembly_is_stale,
    default_cdk_out,
    ensure_cloud_assembly,
    find_project_root,
)
from manifest_gen.errors import ProjectError
from tests.manifest_gen.conftest import make_project, sample_lambdas, write_cloud_assembly

HERE = Path(__file__).resolve().parent


def _age(path: Path, seconds: float) -> None:
    """Move the modification time of ``path`` ``seconds`` into the past."""
    now = path.stat().st_mtime
    os.utime(path, (now - seconds, now - seconds))


def _project_with_assembly(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project")
    handler = root / "packages/module-tracker/backend/lambdas/tracker_api/lambda_function.py"
    handler.parent.mkdir(parents=True)
    handler.write_text('"""Routes:\n- GET /tasks - List\n"""\n', encoding="utf-8")
    (root / "app.py").write_text("", encoding="utf-8")
    write_cloud_assembly(root / "cdk.out", sample_lambdas())
    for path in [root / "cdk.json", root / "app.py", *root.glob("packages/**/*")]:
        _age(path, 100)
    for path in [root / "packages", root / "packages/module-tracker"]:
        _age(path, 100)
    return root


def _synth_script(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "synth.py"
    script.write_text(body, encoding="utf-8")
    return [sys.executable, str(script)]


class TestProjectRoot:
    def test_nearest_folder_with_cdk_json(self, tmp_path: Path) -> None:
        root = make_project(tmp_path / "project")
        (root / "a/b").mkdir(parents=True)
        assert find_project_root(root / "a/b") == root.resolve()

    def test_none_is_an_error(self, tmp_path: Path) -> None:
        with pytest.raises(ProjectError, match=r"no cdk\.json in .* or any parent folder"):
            find_project_root(tmp_path)

    def test_cdk_out_follows_cdk_json_output(self, tmp_path: Path) -> None:
        root = make_project(tmp_path / "project")
        assert default_cdk_out(root) == root / "cdk.out"
        (root / "cdk.json").write_text(
            '{"app": "python3 app.py", "output": "build/assembly"}', encoding="utf-8"
        )
        assert default_cdk_out(root) == root / "build/assembly"


class TestStaleness:
    def test_fresh(self, tmp_path: Path) -> None:
        root = _project_with_assembly(tmp_path)
        assert not assembly_is_stale(root, root / "cdk.out")

    def test_missing(self, tmp_path: Path) -> None:
        root = _project_with_assembly(tmp_path)
        (root / "cdk.out/manifest.json").unlink()
        assert assembly_is_stale(root, root / "cdk.out")

    @pytest.mark.parametrize(
        "source",
        ["app.py", "cdk.json", "packages/module-tracker/backend/lambdas/tracker_api/lambda_function.py"],
    )
    def test_an_edited_source(self, tmp_path: Path, source: str) -> None:
        root = _project_with_assembly(tmp_path)
        os.utime(root / source)
        assert assembly_is_stale(root, root / "cdk.out")

    @pytest.mark.parametrize("folder", ["stacks", "cora_constructs", "lambdas", "layers/org_common/python"])
    def test_a_new_file_in_any_source_folder(self, tmp_path: Path, folder: str) -> None:
        root = _project_with_assembly(tmp_path)
        (root / folder).mkdir(parents=True)
        (root / folder / "x.py").write_text("", encoding="utf-8")
        assert assembly_is_stale(root, root / "cdk.out")

    def test_a_removed_lambda_folder(self, tmp_path: Path) -> None:
        root = _project_with_assembly(tmp_path)
        lambdas = root / "packages/module-tracker/backend/lambdas"
        (lambdas / "tracker_api/lambda_function.py").unlink()
        (lambdas / "tracker_api").rmdir()
        assert assembly_is_stale(root, root / "cdk.out")

    def test_bytecode_caches_do_not_count(self, tmp_path: Path) -> None:
        root = _project_with_assembly(tmp_path)
        cache = root / "packages/module-tracker/backend/lambdas/tracker_api/__pycache__"
        cache.mkdir()
        (cache / "lambda_function.cpython-311.pyc").write_bytes(b"")
        _age(cache.parent, 100)
        assert not assembly_is_stale(root, root / "cdk.out")


class TestEnsureCloudAssembly:
    def test_an_explicit_cdk_out_is_read_as_is(self, tmp_path: Path) -> None:
        root = _project_with_assembly(tmp_path)
        os.utime(root / "app.py")  # stale, but --cdk-out never synthesizes
        never = _synth_script(tmp_path, "raise SystemExit(9)\n")
        assert ensure_cloud_assembly(root, root / "cdk.out", synth_command=never) == root / "cdk.out"
        with pytest.raises(ProjectError, match=r"is not a cloud assembly: it has no manifest\.json"):
            ensure_cloud_assembly(root, tmp_path, synth_command=never)

    def test_synthesizes_only_when_stale(self, tmp_path: Path) -> None:
        root = _project_with_assembly(tmp_path)
        log = tmp_path / "calls.log"
        synth = _synth_script(
            tmp_path,
            "import os, pathlib\n"
            f"pathlib.Path({str(log)!r}).open('a').write(os.getcwd() + '\\n')\n"
            "pathlib.Path('cdk.out/manifest.json').touch()\n",
        )
        messages: list[str] = []
        assert ensure_cloud_assembly(root, synth_command=synth, progress=messages.append) == root / "cdk.out"
        assert messages == [] and not log.exists()
        os.utime(root / "app.py", (root.stat().st_mtime + 10, root.stat().st_mtime + 10))
        assert ensure_cloud_assembly(root, synth_command=synth, progress=messages.append) == root / "cdk.out"
        assert messages == ["synthesizing the app (cdk synth)…"]
        assert log.read_text(encoding="utf-8").splitlines() == [str(root)]

    def test_a_failed_synth_is_an_error(self, tmp_path: Path) -> None:
        root = make_project(tmp_path / "project")
        failing = _synth_script(tmp_path, "import sys; print('boom', file=sys.stderr); sys.exit(3)\n")
        with pytest.raises(ProjectError, match=r"failed with exit code 3 \(its output is above\)"):
            ensure_cloud_assembly(root, synth_command=failing, progress=lambda _: None)

    def test_a_synth_that_writes_no_assembly_is_an_error(self, tmp_path: Path) -> None:
        root = make_project(tmp_path / "project")
        silent = _synth_script(tmp_path, "")
        with pytest.raises(ProjectError, match=r"wrote no .*manifest\.json"):
            ensure_cloud_assembly(root, synth_command=silent, progress=lambda _: None)

    def test_a_missing_npx_is_an_error(self, tmp_path: Path) -> None:
        root = make_project(tmp_path / "project")
        with pytest.raises(ProjectError, match="no-such-npx is not on PATH"):
            ensure_cloud_assembly(root, synth_command=["no-such-npx", "cdk"], progress=lambda _: None)

    def test_the_default_command_is_the_projects_cdk_cli(self) -> None:
        assert SYNTH_COMMAND == ("npx", "--no-install", "cdk", "synth", "--quiet")


class TestDoneWhen:
    """On a project whose `npx` synthesizes its folders: a clean project passes, and each
    mutation of the issue's "Done when" fails `check` with a clear message."""

    @pytest.fixture
    def project(self, tmp_path: Path) -> tuple[Path, dict[str, str]]:
        root = make_project(tmp_path / "project")
        for module, name, doc in [
            ("tracker", "tracker_api", '"""Routes:\n- GET /tasks - List\n"""\n'),
            ("tracker", "tracker_digest", '"""Nightly digest, no routes."""\n'),
            ("documents", "document_api", '"""Routes:\n- GET /documents - List\n"""\n'),
        ]:
            folder = root / f"packages/module-{module}/backend/lambdas/{name}"
            folder.mkdir(parents=True)
            (folder / "lambda_function.py").write_text(doc, encoding="utf-8")
        (root / "lambdas/authorizer").mkdir(parents=True)
        (root / "lambdas/authorizer/lambda_function.py").write_text("", encoding="utf-8")
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        npx = bin_dir / "npx"
        npx.write_text(f'#!/bin/sh\nexec {sys.executable} {HERE / "fake_npx.py"} "$@"\n', encoding="utf-8")
        npx.chmod(npx.stat().st_mode | stat.S_IXUSR)
        env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_NPX_LOG": str(tmp_path / "npx.log"),
        }
        return root, env

    @staticmethod
    def _run(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "manifest_gen", *args],
            cwd=root / "packages",  # the project root is found upwards from here
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    @staticmethod
    def _synths(env: dict[str, str]) -> int:
        log = Path(env["FAKE_NPX_LOG"])
        return len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0

    def test_clean_then_each_mutation(self, project: tuple[Path, dict[str, str]]) -> None:
        root, env = project
        generate = self._run(root, env, "generate")
        assert generate.returncode == 0, generate.stderr
        assert generate.stderr == "synthesizing the app (cdk synth)…\n"
        assert self._synths(env) == 1
        clean = self._run(root, env, "check")
        assert (clean.returncode, self._synths(env)) == (0, 1), clean.stdout  # no second synth
        again = self._run(root, env, "generate")
        assert again.stdout.endswith("0 files written, 0 deleted, 7 unchanged\n")

        manifest = root / "infrastructure/lambda_workflow_manifest.json"
        original = manifest.read_text(encoding="utf-8")
        document = json.loads(original)
        document["functions"].pop(0)
        manifest.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        removed = self._run(root, env, "check")
        assert removed.returncode == 1
        assert "[lambda-without-entry] Lambda cora-dev-authorizer-authorizer" in removed.stdout
        manifest.write_text(original, encoding="utf-8")

        workflow = root / ".github/workflows/lambda-cora-dev-tracker-tracker-api-deploy.yml"
        content = workflow.read_text(encoding="utf-8")
        workflow.write_text(content.replace("workflow_dispatch:\n", ""), encoding="utf-8")
        edited = self._run(root, env, "check")
        assert edited.returncode == 1
        assert f"[stale-file] {workflow.relative_to(root).as_posix()} differs" in edited.stdout
        assert "    +  workflow_dispatch:" in edited.stdout

        workflow.unlink()
        deleted = self._run(root, env, "check")
        assert deleted.returncode == 1
        assert (
            "[missing-file] .github/workflows/lambda-cora-dev-tracker-tracker-api-deploy.yml"
            in deleted.stdout
        )
        workflow.write_text(content, encoding="utf-8")
        assert self._run(root, env, "check").returncode == 0
        assert self._synths(env) == 1

        new = root / "packages/module-tracker/backend/lambdas/tracker_worker"
        new.mkdir()
        (new / "lambda_function.py").write_text('"""A queue worker, no routes."""\n', encoding="utf-8")
        later = (root / "cdk.out/manifest.json").stat().st_mtime + 5
        os.utime(new / "lambda_function.py", (later, later))
        added = self._run(root, env, "check", "--json")
        assert added.returncode == 1
        assert added.stderr == "synthesizing the app (cdk synth)…\n"
        assert self._synths(env) == 2
        problems = {(p["kind"], p["function_name"]) for p in json.loads(added.stdout)["problems"]}
        assert ("lambda-without-entry", "cora-dev-tracker-tracker-worker") in problems
        assert ("missing-file", "cora-dev-tracker-tracker-worker") in problems

        assert self._run(root, env, "generate").returncode == 0
        assert self._run(root, env, "check").returncode == 0


def test_the_app_runs_with_this_interpreter(tmp_path: Path) -> None:
    """cdk.json says `python3 app.py`: synth finds this interpreter's python3 first on PATH."""
    root = make_project(tmp_path / "project")
    command = [
        "sh",
        "-c",
        "command -v python3 > found.txt && mkdir -p cdk.out && touch cdk.out/manifest.json",
    ]
    ensure_cloud_assembly(root, synth_command=command, progress=lambda _: None)
    found = Path((root / "found.txt").read_text(encoding="utf-8").strip())
    assert found.parent == Path(sys.executable).parent
