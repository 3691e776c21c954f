"""``cora doctor``: is this machine and project ready to synthesize and deploy?

One line per check, with the fix for what fails: Python and its virtualenv, the installed
cora-constructs, Node.js, the CDK CLI (found, and one that reads aws-cdk-lib 2.275's cloud
assembly), pip fetching a manylinux wheel for Lambda (or the wheelhouse), the layer cache, the
project's cdk.json, AWS credentials (informational). Exit 1 when a required check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cora_constructs import defaults, packaged
from cora_constructs.assembly.errors import ProjectError
from cora_constructs.assembly.synth import CDK_JSON, find_project_root, synth_command
from cora_constructs.scaffold.toolchain import (
    CDK_CLI_VERSION,
    MINIMUM_NODE,
    cdk_cli_problem,
    dotted,
    parse_version,
)
from cora_constructs.settings_check import check_settings

EXIT_OK, EXIT_FAILED = 0, 1
OK, FAIL, WARN, INFO = "ok", "FAIL", "warn", "info"
SUPPORTED_PYTHON = ((3, 11), (3, 13))
PIP_PROBE = "MarkupSafe==3.0.2"
"""A small package with a manylinux2014 x86_64 CPython 3.11 wheel: what layer bundling fetches."""
TIMEOUT_S = 120

EPILOG = """examples:
  cora doctor                  # in a project: every check, exit 1 if a required one fails
  cora doctor --json           # the same, for CI
  cora doctor --skip-pip       # no network: skip the manylinux wheel download
"""


@dataclass(frozen=True)
class Check:
    """One line of the report: ``status`` is ok, FAIL (required, exit 1), warn or info."""

    name: str
    status: str
    detail: str
    fix: str = ""

    def line(self, width: int) -> str:
        text = f"{self.status:<4}  {self.name:<{width}}  {self.detail}"
        return f"{text} -> fix: {self.fix}" if self.fix and self.status in (FAIL, WARN) else text


Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor",
        help="check Python, Node, the CDK CLI, pip, the layer cache and cdk.json (exit 1 on a failure)",
        description="Check that this machine and project can synthesize and deploy: one line per "
        "check, with the fix for what fails. AWS credentials are reported, never required.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.add_argument("--skip-pip", action="store_true", help="do not try to download a manylinux wheel")
    parser.add_argument(
        "--project-root", type=Path, help="the folder holding cdk.json (default: found from cwd)"
    )
    return parser


def run(args: argparse.Namespace) -> int:
    root: Path | None
    try:
        root = args.project_root.resolve() if args.project_root else find_project_root()
    except ProjectError:
        root = None
    checks = diagnose(root, skip_pip=args.skip_pip)
    failed = [check for check in checks if check.status == FAIL]
    if args.json:
        print(json.dumps({"ok": not failed, "checks": [asdict(check) for check in checks]}, indent=2))
    else:
        width = max(len(check.name) for check in checks)
        for check in checks:
            print(check.line(width))
        verdict = f"{len(failed)} required check(s) failed" if failed else "ready"
        print(f"cora doctor: {verdict} ({len(checks)} checks)")
    return EXIT_FAILED if failed else EXIT_OK


def diagnose(root: Path | None, *, skip_pip: bool = False, runner: Runner = _run) -> list[Check]:
    """Every check, in report order."""
    document, settings_check = _settings(root)
    context: Mapping[str, object] = {}
    if isinstance(document, dict) and isinstance(document.get("context"), dict):
        context = document["context"]
    checks = [
        python_check(sys.version_info[:3], sys.prefix, sys.base_prefix),
        cora_check(root),
        node_check(runner),
        cdk_cli_check(root, runner),
        pip_check(context, runner) if not skip_pip else Check("pip", INFO, "skipped (--skip-pip)"),
        layer_cache_check(context),
        settings_check,
        aws_credentials_check(os.environ, Path.home()),
    ]
    return checks


def python_check(version: tuple[int, ...], prefix: str, base_prefix: str) -> Check:
    low, high = SUPPORTED_PYTHON
    shown = dotted(version)
    if not low <= tuple(version[:2]) <= high:
        return Check(
            "python",
            FAIL,
            f"Python {shown}: cora-constructs runs on {dotted(low)} to {dotted(high)}",
            "create the virtualenv with python3.11, 3.12 or 3.13",
        )
    if prefix == base_prefix:
        return Check(
            "python",
            WARN,
            f"Python {shown}, not in a virtualenv ({sys.executable})",
            "python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt",
        )
    return Check("python", OK, f"Python {shown} in the virtualenv {prefix} (Lambdas run python3.11)")


def cora_check(root: Path | None) -> Check:
    installed = packaged.version()
    pinned = _pinned_version(root / "requirements.txt") if root else None
    if pinned and pinned != installed:
        return Check(
            "cora-constructs",
            WARN,
            f"{installed} installed, but requirements.txt pins {pinned}",
            "pip install -r requirements.txt",
        )
    where = " (pinned in requirements.txt)" if pinned else ""
    return Check("cora-constructs", OK, f"{installed}{where}")


def _pinned_version(requirements: Path) -> str | None:
    try:
        lines = requirements.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        text = line.split("#", 1)[0].strip().replace(" ", "")
        name, sep, version = text.partition("==")
        if sep and name.lower().replace("_", "-") == packaged.DISTRIBUTION:
            return version
    return None


def node_check(runner: Runner) -> Check:
    fix = f"install Node.js {MINIMUM_NODE[0]} or newer (with npm), e.g. from https://nodejs.org"
    if shutil.which("node") is None:
        return Check("node", FAIL, "Node.js not found on PATH (the CDK CLI and jsii run on it)", fix)
    result = _probe(runner, ["node", "--version"])
    version = parse_version(result.stdout) if result else None
    if version is None:
        return Check("node", FAIL, "`node --version` did not answer", fix)
    if version < MINIMUM_NODE:
        return Check(
            "node", FAIL, f"Node.js {dotted(version)}: aws-cdk-lib needs >= {dotted(MINIMUM_NODE)}", fix
        )
    return Check("node", OK, f"Node.js {dotted(version)}")


def cdk_cli_check(root: Path | None, runner: Runner) -> Check:
    fix = f"npm install --save-dev aws-cdk@{CDK_CLI_VERSION} (or `npm ci` where package.json pins it)"
    command = synth_command(root) if root else (shutil.which("cdk") or "npx",)
    executable = command[0]
    if executable == "npx":
        return Check("cdk-cli", FAIL, "no CDK CLI in node_modules/.bin or on PATH", fix)
    result = _probe(runner, [executable, "--version"])
    version = parse_version(result.stdout) if result else None
    if version is None:
        return Check("cdk-cli", FAIL, f"`{executable} --version` did not answer", fix)
    problem = cdk_cli_problem(version)
    if problem:
        return Check("cdk-cli", FAIL, f"{problem} ({executable})", fix)
    return Check("cdk-cli", OK, f"CDK CLI {dotted(version)} ({_shown(executable, root)})")


def pip_check(context: Mapping[str, object], runner: Runner) -> Check:
    house = context.get(defaults.CONTEXT_WHEELHOUSE) or os.environ.get("CORA_WHEELHOUSE")
    if house:
        folder = Path(str(house)).expanduser()
        wheels = list(folder.glob("*.whl")) if folder.is_dir() else []
        if not wheels:
            return Check(
                "pip",
                FAIL,
                f"the wheelhouse {folder} (cora:wheelhouse / CORA_WHEELHOUSE) holds no wheel",
                "pip download --only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.11 "
                f"-r <requirements> -d {folder}",
            )
        return Check("pip", OK, f"wheelhouse {folder}: {len(wheels)} wheels (layers build offline)")
    with tempfile.TemporaryDirectory(prefix="cora-doctor-") as target:
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--only-binary=:all:", "--platform", defaults.PIP_PLATFORM,
            "--implementation", defaults.PIP_IMPLEMENTATION, "--python-version",
            defaults.PYTHON_VERSION, "--abi", defaults.PIP_ABI, "-d", target, PIP_PROBE,
        ]  # fmt: skip
        result = _probe(runner, command)
        fetched = sorted(path.name for path in Path(target).glob("*.whl"))
    if result is None or result.returncode != 0 or not fetched:
        reason = _last_line(result.stderr) if result else f"pip did not finish in {TIMEOUT_S} s"
        return Check(
            "pip",
            FAIL,
            f"pip cannot fetch a manylinux2014_x86_64 cp311 wheel ({PIP_PROBE}): {reason}",
            "check the package index or proxy (pip config list), or set cora:wheelhouse in cdk.json "
            "to a folder of wheels",
        )
    return Check("pip", OK, f"fetches manylinux wheels for Lambda ({fetched[0]})")


def layer_cache_check(context: Mapping[str, object]) -> Check:
    from cora_constructs.dependencies.cache import default_cache_root

    configured = context.get(defaults.CONTEXT_LAYER_CACHE)
    path = Path(str(configured)).expanduser() if configured else default_cache_root()
    if not path.exists():
        return Check("layer-cache", INFO, f"{path}: empty (the first synth bundles the org layer)")
    size, bundles = _folder_size(path), sum(1 for entry in path.iterdir() if entry.is_dir())
    return Check("layer-cache", INFO, f"{path}: {size / 1e6:.1f} MB in {bundles} bundle(s)")


def _folder_size(folder: Path) -> int:
    total = 0
    for parent, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(parent) / name).lstat().st_size
            except OSError:
                continue
    return total


def _settings(root: Path | None) -> tuple[object, Check]:
    if root is None:
        return None, Check(
            "cdk.json", INFO, "no cdk.json here or in a parent folder: not in a project (`cora init`)"
        )
    path = root / CDK_JSON
    try:
        document: object = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        return None, Check(
            "cdk.json", FAIL, f"cannot read {path}: {error.strerror}", "fix the file's permissions"
        )
    except ValueError as error:
        return None, Check("cdk.json", FAIL, f"{path} is not JSON: {error}", "fix the JSON syntax")
    problems, warnings = _settings_problems(document, root)
    if problems:
        return document, Check(
            "cdk.json", FAIL, f"{path}: {'; '.join(problems)}", "fix cdk.json (docs/guide.md, Context keys)"
        )
    if warnings:
        return document, Check("cdk.json", WARN, f"{path}: {'; '.join(warnings)}", "rename or remove the key")
    return document, Check("cdk.json", OK, f"{path}: settings valid")


def _settings_problems(cdk_json: object, root: Path) -> tuple[list[str], list[str]]:
    """What is wrong with the parsed cdk.json (errors, warnings): an ``app`` command, a
    ``context`` object, and every ``cora:*`` setting as the synth checks it
    (:func:`cora_constructs.settings_check.check_settings`)."""
    if not isinstance(cdk_json, dict):
        return ["the top level is not an object"], []
    problems = []
    if not isinstance(cdk_json.get("app"), str) or not cdk_json["app"].strip():
        problems.append('no "app" command (e.g. "python3 app.py")')
    context = cdk_json.get("context")
    if not isinstance(context, dict):
        problems.append('no "context" object holding the cora:* settings')
        return problems, []
    report = check_settings(context, root)
    problems += [str(violation) for violation in report.errors]
    return problems, report.warnings


def aws_credentials_check(environ: Mapping[str, str], home: Path) -> Check:
    """Where AWS credentials would come from (informational: only deploy and audit need them)."""
    for variable in (
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        if environ.get(variable):
            return Check("aws", INFO, f"credentials configured ({variable} is set)")
    for name in ("credentials", "config"):
        if (home / ".aws" / name).is_file():
            return Check("aws", INFO, f"credentials may come from ~/.aws/{name}")
    return Check(
        "aws",
        INFO,
        "no AWS credentials found (needed only for `cdk deploy` and `cora audit`: "
        "aws configure or aws sso login)",
    )


def _probe(runner: Runner, command: list[str]) -> subprocess.CompletedProcess[str] | None:
    try:
        return runner(command)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _shown(executable: str, root: Path | None) -> str:
    path = Path(executable)
    if root is not None and path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    return executable
