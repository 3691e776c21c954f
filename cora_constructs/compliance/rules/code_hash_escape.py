"""CORA-L5: no code-hash escape: what the construct was built with (its ``cora:*`` intent) is
what the template deploys, even after escape-hatch overrides."""

from __future__ import annotations

from pathlib import Path

from cora_constructs import packaged
from cora_constructs.compliance.assembly import ResourceView
from cora_constructs.compliance.code import function_code
from cora_constructs.compliance.model import (
    Result,
    Rule,
    compliant,
    non_compliant,
    not_applicable,
    unvalidated,
)
from cora_constructs.compliance.values import Unresolved, literal_str

INTENDED_RUNTIME = "python3.11"


def check(view: ResourceView) -> Result:
    if not view.has_cora:
        return not_applicable("not a StandardLambda (no cora:* metadata)")
    problems: list[tuple[str, str]] = []
    runtime = literal_str(view.properties.get("Runtime"))
    if not isinstance(runtime, Unresolved) and runtime != INTENDED_RUNTIME:
        problems.append(
            (f"Runtime is {runtime} but the construct was built with {INTENDED_RUNTIME}: it was "
             "overridden after construction", "Properties/Runtime")
        )  # fmt: skip
    intended_handler = view.cora("handler")
    handler = literal_str(view.properties.get("Handler"))
    if (
        isinstance(intended_handler, str)
        and not isinstance(handler, Unresolved)
        and handler != intended_handler
    ):
        problems.append(
            (
                f"Handler is {handler} but the construct was built with {intended_handler}",
                "Properties/Handler",
            )
        )
    source = view.cora("source")
    code = function_code(view)
    unchecked = ""
    if isinstance(source, str) and code.asset_path is None:
        problems.append((f"Code is not the asset of cora:source {source} ({code.problem})", code.location))
    elif isinstance(source, str) and code.asset_path is not None:
        differs, unchecked = _compare(view, source, code.asset_path, intended_handler)
        if differs:
            problems.append((differs, "Properties/Code"))
    if problems:
        return non_compliant("; ".join(text for text, _ in problems), problems[0][1])
    return unvalidated(unchecked, "Properties/Code") if unchecked else compliant()


def _compare(view: ResourceView, source: str, asset: Path, handler: object) -> tuple[str, str]:
    """(what differs, why it could not be compared) between the source folder and the asset."""
    root = view.assembly.project_root
    folder = root / source if root is not None else None
    shipped = view.cora("package")
    if isinstance(shipped, str):
        # Code shipped in cora-constructs (the org authorizer): its folder is in the installed
        # distribution, not in the project.
        installed = f"{packaged.DISTRIBUTION}=={packaged.version()}"
        if shipped != installed:
            return (
                "",
                f"the code was built from {shipped} but {installed} is installed, so it was not compared",
            )
        root, folder = packaged.PACKAGE_DIR.parent, packaged.PACKAGE_DIR.parent / source
    if folder is None or not folder.is_dir():
        where = f"under {root}" if root is not None else "(project root unknown: pass --project-root)"
        return "", f"cora:source {source} is not a folder {where}, so the code asset was not compared with it"
    if not asset.is_dir():
        return "", f"the code asset {asset.name} is not a folder in the cloud assembly"
    module = handler.rsplit(".", 1)[0] if isinstance(handler, str) else "lambda_function"
    handler_file = module.replace(".", "/") + ".py"
    if not (asset / handler_file).is_file():
        return f"Code is not the asset of cora:source {source}: the asset has no {handler_file}", ""
    differing = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        relative = file.relative_to(folder)
        staged = asset / relative
        if staged.is_file() and staged.read_bytes() != file.read_bytes():
            differing.append(relative.as_posix())
    if differing:
        shown = ", ".join(differing[:3]) + (f" and {len(differing) - 3} more" if len(differing) > 3 else "")
        return f"Code is not the asset of cora:source {source}: {shown} differ", ""
    return "", ""


RULE = Rule(
    id="CORA-L5",
    reason="No code-hash escape: the runtime, handler and code the construct was built with are the "
    "ones deployed, so no override stops code updates or swaps the code.",
    fix="Remove the escape hatch (add_property_override / node.default_child changes) on the "
    "function; change the StandardLambda's source folder instead.",
    resource_types=frozenset({"AWS::Lambda::Function"}),
    check=check,
)
