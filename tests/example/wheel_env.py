"""A virtualenv holding the built cora-constructs wheel, the way a team installs it (helpers for
the `wheel` tests: the wheel is built once per session by tests/example/conftest.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

CDK_BIN = ROOT / "node_modules" / ".bin"
PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


@dataclass(frozen=True)
class Installed:
    """A virtualenv holding the cora-constructs wheel, and the environment to run it with."""

    venv: Path
    env: dict[str, str]

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(
        self, *command: str, cwd: Path, check: bool = True, **env: str
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            list(command), cwd=cwd, env={**self.env, **env}, capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result


def build_wheel(dist: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("cora_constructs-*.whl")
    return wheel


def install(python: str | Path, wheel: Path, venv: Path, layer_cache: Path) -> Installed:
    """A fresh virtualenv made by ``python`` with the wheel (and its dependencies) installed."""
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    result = subprocess.run(
        [*pip, str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"pip install {wheel.name} on {python} failed:\n{result.stderr}")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "CORA_", "PIP_", "PYTEST"))
    }
    env["PATH"] = os.pathsep.join([str(venv / "bin"), str(CDK_BIN), env.get("PATH", "")])
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    env["CORA_LAYER_CACHE"] = str(layer_cache)  # one per-user cache, shared by every project
    return Installed(venv, env)


def find_interpreter(version: str) -> str | None:
    """A working ``python3.12``: the newest pyenv build of that version, else one on PATH (a
    pyenv shim on PATH may not run: each candidate must answer), else None."""
    builds = sorted(PYENV_VERSIONS.glob(f"{version}.*/bin/python{version}"))
    candidates = [str(path) for path in reversed(builds)] + [shutil.which(f"python{version}") or ""]
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import venv"], capture_output=True, check=False)
        if probe.returncode == 0:
            return candidate
    return None
