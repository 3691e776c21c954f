"""The one pip command that installs wheels for Lambda's Linux, and pip's output as a message."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cora_constructs import defaults

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]
"""Runs a command and returns its completed process (tests pass fakes)."""

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
_NOISE = (
    "WARNING: Location ",  # a find-links/extra-index folder of this machine that does not exist
    "WARNING: Target directory ",
    "[notice]",
    "WARNING: Running pip as the 'root' user",
)


def pip_command(
    requirements: Path,
    target: Path,
    wheelhouse: Path | None = None,
    *,
    constraints: Path | None = None,
) -> list[str]:
    """pip installing ``requirements`` as Linux x86-64 CPython 3.11 wheels into ``target``.

    ``constraints`` is a pip constraints file (``name==version`` lines): pip then resolves to
    exactly those versions whenever it needs one of those distributions, and fails when a
    requirement cannot be met by them. A ``wheelhouse`` makes it offline (``--no-index
    --find-links``).
    """
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--platform",
        defaults.PIP_PLATFORM,
        "--implementation",
        defaults.PIP_IMPLEMENTATION,
        "--python-version",
        defaults.PYTHON_VERSION,
        "--abi",
        defaults.PIP_ABI,
        "--only-binary=:all:",
        "--no-compile",
        "--disable-pip-version-check",
        "--no-color",
        "--quiet",
        "-r",
        str(requirements),
        "-t",
        str(target),
    ]
    if constraints is not None:
        command += ["-c", str(constraints)]
    if wheelhouse is not None:
        command += ["--no-index", "--find-links", str(wheelhouse)]
    return command


def run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run ``command`` without colours, capturing its output."""
    return subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        check=False,
        env=_no_colour_env(),
    )


def _no_colour_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    env["PIP_NO_COLOR"] = "1"
    env.pop("FORCE_COLOR", None)
    return env


def clean_output(text: str, *, hide: Sequence[tuple[Path, str]] = (), limit: int = 1500) -> str:
    """pip's output for a message: no colour codes, no notices about this machine's pip setup,
    temporary and cache paths replaced by what they stand for (``hide``: (path, shown as)),
    and at most ``limit`` characters (the end, where pip says what failed)."""
    text = _ANSI.sub("", text)
    for path, shown in hide:
        text = text.replace(str(path), shown)
    lines = [line.rstrip() for line in text.splitlines()]
    kept = [line for line in lines if line.strip() and not line.lstrip().startswith(_NOISE)]
    out = "\n".join(kept).strip()
    return out if len(out) <= limit else "…" + out[-limit:]
