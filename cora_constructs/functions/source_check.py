"""What a Lambda source folder may hold: checked before any CDK resource is built (no CDK import)."""

from __future__ import annotations

from pathlib import Path

from cora_constructs import defaults
from cora_constructs.binaries import find_native_files
from cora_constructs.errors import Violation

SHARED_LAYER_FIX = (
    f"put the dependency in the shared layer ({defaults.ORG_LAYER_DIR}/requirements.txt), which is "
    "built for Lambda's Linux with pip --platform manylinux2014_x86_64; function folders hold only "
    "your own Python sources"
)


def requirement_packages(requirements: Path) -> list[str]:
    """The package lines of a requirements file (comments and blank lines dropped)."""
    lines = []
    for raw in requirements.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def check_function_source(source: Path, construct_path: str) -> list[Violation]:
    """Every reason ``source`` cannot be a StandardLambda's code folder."""
    if not source.is_dir():
        return [
            Violation(
                "CORA-L8",
                construct_path,
                f"source folder {source} does not exist: pass the folder that holds {defaults.HANDLER_FILE}.",
            )
        ]
    problems: list[Violation] = []
    if not (source / defaults.HANDLER_FILE).is_file():
        problems.append(
            Violation(
                "CORA-L8",
                construct_path,
                f"{source} has no {defaults.HANDLER_FILE}: every Lambda's handler is "
                f"{defaults.HANDLER} (create {defaults.HANDLER_FILE} with a lambda_handler function).",
            )
        )
    for path, kind in find_native_files(source):
        problems.append(
            Violation(
                "CORA-L6",
                construct_path,
                f"{path} is a compiled binary ({kind}); compiled dependencies never ship in a function "
                f"package: {SHARED_LAYER_FIX}.",
            )
        )
    for requirements in sorted(source.rglob("requirements*.txt")):
        packages = requirement_packages(requirements)
        if packages:
            problems.append(
                Violation(
                    "CORA-L6",
                    construct_path,
                    f"{requirements} lists packages ({', '.join(packages[:5])}"
                    f"{', ...' if len(packages) > 5 else ''}); {SHARED_LAYER_FIX}, then delete "
                    "this requirements file.",
                )
            )
    return problems
