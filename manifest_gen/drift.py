"""Drift between what the app generates and what the project holds (pure: no disk access)."""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from manifest_gen.generated import REGENERATE_COMMAND, GeneratedFile, is_generated
from manifest_gen.manifest import manifest_function_names
from manifest_gen.model import MANIFEST_PATH, REUSABLE_WORKFLOW_PATH, ProductionLambda

FIX = f"run `{REGENERATE_COMMAND}`"

# Problem kinds, in report order.
LAMBDA_WITHOUT_ENTRY = "lambda-without-entry"
ENTRY_WITHOUT_LAMBDA = "entry-without-lambda"
MISSING_FILE = "missing-file"
UNMARKED_FILE = "unmarked-file"
STALE_FILE = "stale-file"
ORPHANED_WORKFLOW = "orphaned-workflow"
UNMANAGED_DEPLOY_WORKFLOW = "unmanaged-deploy-workflow"
KINDS = (
    LAMBDA_WITHOUT_ENTRY,
    ENTRY_WITHOUT_LAMBDA,
    MISSING_FILE,
    UNMARKED_FILE,
    STALE_FILE,
    ORPHANED_WORKFLOW,
    UNMANAGED_DEPLOY_WORKFLOW,
)

DEPLOY_WORKFLOW_NAMES = ("lambda-*-deploy.yml", "lambda-*-deploy.yaml")
"""File names of deploy workflows (the seed's convention): any such file deploys a Lambda."""
_REUSABLE_NAME = REUSABLE_WORKFLOW_PATH.rsplit("/", 1)[-1].removesuffix(".yml")
# A job calling the reusable deploy workflow, however it names the repository and ref.
_CALLS_REUSABLE = re.compile(
    r"^\s*(?:-\s*)?uses\s*:\s*['\"]?[^\s'\"#]*/" + re.escape(_REUSABLE_NAME) + r"\.ya?ml\b", re.MULTILINE
)


def deploys_a_lambda(file_name: str, text: str) -> bool:
    """True when the workflow ``file_name`` (holding ``text``) deploys a Lambda: it is named
    ``lambda-*-deploy.yml`` or one of its jobs calls the reusable deploy workflow."""
    if any(fnmatch.fnmatchcase(file_name, pattern) for pattern in DEPLOY_WORKFLOW_NAMES):
        return True
    return _CALLS_REUSABLE.search(text) is not None


@dataclass(frozen=True, slots=True)
class ProjectFiles:
    """What the project holds: the text of each generated path (None when absent), the marked
    workflows found in the workflows folder at paths the app no longer generates, and the
    hand-written (unmarked) workflows there that deploy a Lambda (:func:`deploys_a_lambda`)."""

    at_generated_paths: Mapping[str, str | None]
    other_marked_workflows: tuple[str, ...]
    unmanaged_deploy_workflows: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Problem:
    """One mismatch; ``diff`` (on disk -> generated) is set for a changed generated file."""

    kind: str
    path: str
    message: str
    function_name: str | None = None
    diff: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "kind": self.kind,
            "path": self.path,
            "function_name": self.function_name,
            "message": self.message,
            "diff": self.diff,
        }


def find_drift(
    lambdas: Iterable[ProductionLambda],
    expected: Iterable[GeneratedFile],
    project: ProjectFiles,
) -> list[Problem]:
    """Every problem, sorted by kind then path; an empty list means the project is up to date."""
    lambdas = list(lambdas)
    owners = {fn.workflow_file: fn.function_name for fn in lambdas}
    problems: list[Problem] = []
    for file in expected:
        actual = project.at_generated_paths.get(file.path)
        owner = owners.get(file.path)
        if actual is None:
            what = f"the workflow of Lambda {owner}" if owner else "a generated file"
            problems.append(
                Problem(MISSING_FILE, file.path, f"{file.path} is missing ({what}): {FIX}", owner)
            )
        elif not is_generated(file.path, actual):
            problems.append(
                Problem(
                    UNMARKED_FILE,
                    file.path,
                    f"{file.path} was not written by the generator (no marker) but the app generates "
                    f"this path: move or delete it, then {FIX}",
                    owner,
                )
            )
        elif actual != file.content:
            problems.append(
                Problem(
                    STALE_FILE,
                    file.path,
                    f"{file.path} differs from what the app generates (hand-edited or out of date): {FIX}",
                    owner,
                    unified_diff(file.path, actual, file.content),
                )
            )
    manifest_text = project.at_generated_paths.get(MANIFEST_PATH)
    if manifest_text is not None:
        problems.extend(_entry_problems(lambdas, manifest_text))
    for path in project.other_marked_workflows:
        problems.append(
            Problem(
                ORPHANED_WORKFLOW,
                path,
                f"{path} is a generated workflow whose Lambda is no longer in the app: {FIX} to delete it",
            )
        )
    for path in project.unmanaged_deploy_workflows:
        problems.append(
            Problem(
                UNMANAGED_DEPLOY_WORKFLOW,
                path,
                f"{path} deploys a Lambda but was not generated for a function of the app (no "
                "marker): a function deployed outside the standards. Delete it and let the app own "
                f"the function (add its folder, then {FIX}), or rename it if it deploys no Lambda",
            )
        )
    return sorted(problems, key=lambda problem: (KINDS.index(problem.kind), problem.path, problem.message))


def unified_diff(path: str, on_disk: str, generated: str) -> str:
    """The unified diff turning the file on disk into the generated one."""
    return "".join(
        difflib.unified_diff(
            on_disk.splitlines(keepends=True),
            generated.splitlines(keepends=True),
            fromfile=f"{path} (on disk)",
            tofile=f"{path} (generated)",
        )
    )


def _entry_problems(lambdas: list[ProductionLambda], manifest_text: str) -> list[Problem]:
    try:
        document = json.loads(manifest_text)
    except json.JSONDecodeError:
        return []  # reported as a changed file with its diff
    names = manifest_function_names(document)
    if names is None:
        return []
    listed = set(names)
    in_app = {fn.function_name: fn for fn in lambdas}
    problems = [
        Problem(
            LAMBDA_WITHOUT_ENTRY,
            MANIFEST_PATH,
            f"Lambda {name} ({fn.construct_path}, {fn.lambda_dir}) has no entry in {MANIFEST_PATH}: {FIX}",
            name,
        )
        for name, fn in in_app.items()
        if name not in listed
    ]
    problems.extend(
        Problem(
            ENTRY_WITHOUT_LAMBDA,
            MANIFEST_PATH,
            f"{MANIFEST_PATH} lists {name}, but the app has no such Lambda: {FIX}",
            name,
        )
        for name in sorted(listed - in_app.keys())
    )
    return problems
