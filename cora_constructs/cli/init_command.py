"""``cora init [DIR]``: a new project that synthesizes as is.

The project is built in a temporary folder beside DIR (files rendered, `npm install` of the
pinned CDK CLI, `cdk synth` of both apps and `cora manifest generate`), and moved into DIR only
when every step passed: a refusal or a failed step leaves nothing behind. DIR must be empty or
new (a ``.git`` folder is allowed) unless ``--force``; then files cora init writes replace those
at the same paths and every other file is kept.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from cora_constructs import defaults, packaged
from cora_constructs.assembly.errors import ToolError
from cora_constructs.scaffold.flags import flags_lib_version, recommended_flags
from cora_constructs.scaffold.project_files import (
    FIRST_LAMBDA,
    FIRST_MODULE,
    NewProject,
    name_problems,
    project_name_for,
    render_project,
)
from cora_constructs.scaffold.toolchain import CDK_CLI_VERSION

EXIT_OK, EXIT_ERROR = 0, 2
ALLOWED_IN_EMPTY = frozenset({".git"})

EPILOG = """examples:
  cora init shop                         # a new folder shop/, project "shop", environment "dev"
  cora init --project shop --environment staging    # in the current (empty) folder
  cora init . --force                    # into a folder that already holds files
  cora init shop --no-generate           # skip the first synth and the workflows (offline)
"""


class InitError(ToolError):
    """`cora init` refused or failed; nothing was written to DIR."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "init",
        help="create a new project that synthesizes as is",
        description="Create a cora-constructs project in DIR (default: the current folder): app.py, "
        "cdk.json (cora settings and the CDK feature flags), requirements.txt pinning this "
        "cora-constructs, package.json and package-lock.json pinning the CDK CLI (runs npm), "
        ".gitignore, pytest.ini, a README, one module with one Lambda and its unit test, and the "
        "generated manifest and deploy workflows (runs `cdk synth`); `git init` when DIR is not in "
        "a repository. Nothing is written when a step fails.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("dir", nargs="?", type=Path, default=Path(), metavar="DIR", help="the project folder")
    parser.add_argument("--project", help="cora:project, the first part of every name (default: from DIR)")
    parser.add_argument(
        "--environment",
        default=defaults.DEFAULT_ENVIRONMENT,
        help=f"cora:environment (default: {defaults.DEFAULT_ENVIRONMENT})",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a folder that is not empty (replacing files at the same paths)",
    )
    parser.add_argument(
        "--no-generate",
        action="store_true",
        help="skip the first synth and the generated manifest and workflows",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    target: Path = args.dir.expanduser().resolve()
    new = _validate(target, args)
    npm = shutil.which("npm")
    if npm is None:
        raise InitError(
            "npm is not on PATH: install Node.js 20 or newer with npm (the CDK CLI is an npm package), "
            "then run cora init again"
        )
    files = render_project(new)
    replaced = sorted(path for path in files if (target / path).exists())
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".cora-init-{target.name}-", dir=target.parent))
    try:
        _write(staging, files)
        _progress(f"installing the CDK CLI (aws-cdk@{CDK_CLI_VERSION}) with npm…")
        _npm_install(npm, staging)
        if not args.no_generate:
            _progress(
                f"synthesizing both apps and generating the workflows in {staging.name}/ "
                f"(moved to {target.name}/ when done)…"
            )
            _generate(staging)
        _move_into(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    git = _git_init(target)
    print(_summary(target, new, files, replaced, git, generated=not args.no_generate))
    return EXIT_OK


def _validate(target: Path, args: argparse.Namespace) -> NewProject:
    if target.exists() and not target.is_dir():
        raise InitError(f"{target} is a file, not a folder: pick a new or empty folder")
    if target.is_dir() and not args.force:
        present = sorted(entry.name for entry in target.iterdir() if entry.name not in ALLOWED_IN_EMPTY)
        if present:
            shown = ", ".join(present[:5]) + (", …" if len(present) > 5 else "")
            raise InitError(
                f"{target} is not empty ({len(present)} entries: {shown}): pick a new or empty folder, "
                "or pass --force to write into it (files at the same paths are replaced)"
            )
    project = args.project or project_name_for(target.name)
    if not project:
        raise InitError(
            f"cannot derive a project name from the folder name {target.name!r}: pass --project NAME"
        )
    problems = name_problems(project, args.environment)
    if problems:
        if not args.project:
            problems = [
                p + f" (derived from the folder name {target.name!r}: pass --project)" for p in problems
            ]
        raise InitError(problems)
    return NewProject(project, args.environment, packaged.version())


def _progress(message: str) -> None:
    print(f"cora init: {message}", file=sys.stderr, flush=True)


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def _npm_install(npm: str, root: Path) -> None:
    command = [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    except OSError as error:
        raise InitError(f"cannot run npm: {error.strerror}") from error
    if result.returncode != 0 or not (root / "package-lock.json").is_file():
        detail = " ".join(result.stderr.split())[-400:] or f"exit code {result.returncode}"
        raise InitError(
            f"`npm install` of aws-cdk@{CDK_CLI_VERSION} failed: {detail}: check the npm registry "
            "(npm config get registry) and run cora init again"
        )


def _generate(root: Path) -> None:
    from manifest_gen.cli import main as manifest_main

    if manifest_main(["generate", "--project-root", str(root)]) != 0:
        raise InitError(
            "the first synth or the workflow generation failed (see above); nothing was written. "
            "Run `cora doctor`, or `cora init --no-generate` to skip this step"
        )


def _move_into(staging: Path, target: Path) -> None:
    """Move the built project into ``target`` (renames: the staging folder sits beside it)."""
    if not target.exists():
        staging.rename(target)
        return
    _merge(staging, target)


def _merge(source: Path, destination: Path) -> None:
    for entry in sorted(source.iterdir()):
        there = destination / entry.name
        if entry.is_dir() and not entry.is_symlink() and there.is_dir() and not there.is_symlink():
            _merge(entry, there)
        elif there.is_dir() and not there.is_symlink():
            shutil.rmtree(there)
            entry.rename(there)
        else:
            entry.replace(there)


def _git_init(target: Path) -> str:
    git = shutil.which("git")
    if git is None:
        return "git is not installed: the project is not a repository yet (git init)"
    inside = subprocess.run(
        [git, "rev-parse", "--is-inside-work-tree"], cwd=target, capture_output=True, text=True, check=False
    )
    if inside.returncode == 0 and inside.stdout.strip() == "true":
        return "inside an existing git repository (no git init)"
    result = subprocess.run([git, "init", "--quiet"], cwd=target, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return f"git init failed: {result.stderr.strip()}"
    return "git init: a new repository"


def _summary(
    target: Path, new: NewProject, files: dict[str, str], replaced: list[str], git: str, *, generated: bool
) -> str:
    where = os.path.relpath(target) if target != Path.cwd() else "."
    module = f"packages/module-{FIRST_MODULE}/backend"
    lines = [
        f"cora init: created project {new.project!r} (environment {new.environment!r}) in {where}/",
        "  app.py                  both apps from cora-constructs (-c app=infra|stack)",
        f"  cdk.json                cora settings + {len(recommended_flags())} CDK feature flags "
        f"(aws-cdk-lib {flags_lib_version()})",
        f"  requirements.txt        {files['requirements.txt'].splitlines()[-1]}",
        "  requirements-dev.txt    + pytest",
        f"  package.json            aws-cdk {CDK_CLI_VERSION}, locked in package-lock.json",
        "  .gitignore, pytest.ini, README.md",
        f"  {module}/lambdas/{FIRST_LAMBDA}/lambda_function.py   GET /hello on the runtime's router",
        f"  {module}/tests/          its unit test",
    ]
    if generated:
        lines.append(
            "  infrastructure/lambda_workflow_manifest.json, .github/workflows/   generated; commit them"
        )
    if replaced:
        lines.append(f"  replaced (--force): {', '.join(replaced)}")
    lines.append(f"  {git}")
    steps = [] if where == "." else [f"cd {where}"]
    steps += [
        "python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements-dev.txt",
        "cora doctor",
        "cora synth && cora routes",
        "pytest",
        'cora new lambda billing invoice-api --route "GET /invoices"',
    ]
    if not generated:
        steps.append("cora manifest generate")
    steps.append('git add -A && git commit -m "New cora-constructs project"')
    lines.append("Next:")
    lines += [f"  {step}" for step in steps]
    return "\n".join(lines)
