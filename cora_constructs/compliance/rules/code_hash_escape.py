"""CORA-L5: no code-hash escape: what the construct was built with (its ``cora:*`` intent) is
what the template deploys, even after escape-hatch overrides."""

from __future__ import annotations

import os
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
CACHE_FOLDER = "__pycache__"


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
    code = view.memo(function_code)
    unchecked = ""
    if isinstance(source, str) and code.asset_path is None:
        problems.append((f"Code is not the asset of cora:source {source} ({code.problem})", code.location))
    elif (
        isinstance(source, str)
        and code.asset_path is not None
        and not view.assembly.hashed_from(code.asset_hash, source)
    ):
        # (An asset the synth itself hashed from cora:source holds that folder's bytes.)
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
    for relative in source_files(folder):
        staged = f"{asset}/{relative}"
        if Path(staged).is_file() and _read(staged) != _read(f"{folder}/{relative}"):
            differing.append(relative)
    if differing:
        shown = ", ".join(differing[:3]) + (f" and {len(differing) - 3} more" if len(differing) > 3 else "")
        return f"Code is not the asset of cora:source {source}: {shown} differ", ""
    return "", ""


def source_files(folder: Path) -> list[str]:
    """The files below ``folder`` (relative, ``/``-separated, in path order) outside
    ``__pycache__``: the files of ``folder.rglob("*")`` (hidden ones too, symbolic links to files
    followed, linked folders not walked, folders it may not read skipped), read with
    ``os.scandir``, several times faster than pathlib's globbing."""
    if CACHE_FOLDER in folder.parts:
        return []
    found: list[tuple[str, ...]] = []
    _walk(os.fspath(folder), (), found)
    found.sort()  # as pathlib sorts paths: by their parts
    return ["/".join(parts) for parts in found]


def _walk(directory: str, base: tuple[str, ...], found: list[tuple[str, ...]]) -> None:
    try:
        with os.scandir(directory) as listing:
            entries = list(listing)
    except PermissionError:
        return
    for entry in entries:
        if entry.name == CACHE_FOLDER:
            continue
        if entry.is_dir(follow_symlinks=False):
            _walk(entry.path, (*base, entry.name), found)
        elif entry.is_file():
            found.append((*base, entry.name))


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


RULE = Rule(
    id="CORA-L5",
    reason="No code-hash escape: the runtime, handler and code the construct was built with are the "
    "ones deployed, so no override stops code updates or swaps the code.",
    fix="Remove the escape hatch (add_property_override / node.default_child changes) on the "
    "function; change the StandardLambda's source folder instead.",
    resource_types=frozenset({"AWS::Lambda::Function"}),
    check=check,
)
