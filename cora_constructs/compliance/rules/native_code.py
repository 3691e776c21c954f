"""CORA-L6: no native code in a function's package: compiled dependencies belong in a layer
built for Lambda's Linux (the function's dependency layer, a module layer or the org layer).
Layers are not checked here: they are built for manylinux2014_x86_64 and their native files
pass the ELF x86-64 check when they are bundled."""

from __future__ import annotations

import zipfile
from pathlib import Path

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
from cora_constructs.dependencies.binaries import NATIVE_SUFFIXES, BinaryKind, classify, find_native_files


def check(view: ResourceView) -> Result:
    code = view.memo(function_code)
    asset = code.asset_path
    if asset is None:
        return not_applicable("the code is not an asset of this assembly (CORA-L1)")
    if view.assembly.hashed_from(code.asset_hash, view.cora("source")):
        return compliant()  # the synth hashed it from its folder, which passed CORA-L6 then
    if asset.is_dir():
        found = [(path.relative_to(asset).as_posix(), kind) for path, kind in find_native_files(asset)]
    elif asset.is_file() and zipfile.is_zipfile(asset):
        found = _native_members(asset)
    else:
        return unvalidated(f"the code asset {asset.name} is not in the cloud assembly", "Properties/Code")
    if not found:
        return compliant()
    shown = ", ".join(f"{name} ({kind})" for name, kind in found[:5])
    more = f" and {len(found) - 5} more" if len(found) > 5 else ""
    return non_compliant(f"the code package holds native code: {shown}{more}", "Properties/Code")


def _native_members(archive: Path) -> list[tuple[str, BinaryKind]]:
    found = []
    with zipfile.ZipFile(archive) as bundle:
        for info in bundle.infolist():
            if info.is_dir():
                continue
            with bundle.open(info) as member:
                kind = classify(member.read(64))
            if kind is None and info.filename.lower().endswith(NATIVE_SUFFIXES):
                kind = BinaryKind("native library", "by its suffix")
            if kind is not None:
                found.append((info.filename, kind))
    return found


RULE = Rule(
    id="CORA-L6",
    reason="Compiled dependencies never ship in a function package: they break on Lambda's Linux "
    "unless built for it, which the layers are.",
    fix="Remove the native files from the function's folder and list the package in the function's "
    "requirements.txt instead: it is built for manylinux2014_x86_64 into the function's dependency "
    "layer (or put it in a module layer or the org layer).",
    resource_types=frozenset({"AWS::Lambda::Function"}),
    check=check,
)
