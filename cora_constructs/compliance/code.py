"""Where a function's code comes from: inline, an image, or an S3 object, and when that object is
a CDK file asset of the assembly, the staged folder (or zip) in ``cdk.out``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cora_constructs.compliance.assembly import ResourceView
from cora_constructs.compliance.values import is_intrinsic, references, shape

_ASSET_BUCKET = re.compile(r"^cdk-[a-z0-9]+-assets-")
_ASSET_KEY = re.compile(r"^([0-9a-f]{64})\.zip$")
_LEGACY_PARAMETER = re.compile(r"^AssetParameters([0-9a-f]{64})(S3Bucket|S3VersionKey|ArtifactHash)")


@dataclass(frozen=True, slots=True)
class FunctionCode:
    """``kind`` is ``inline``, ``image``, ``s3`` or ``unknown``; for ``s3``, ``asset_hash`` is set
    when bucket and key are a CDK asset's, and ``asset_path`` when the assembly holds it."""

    kind: str
    problem: str = ""
    location: str = "Properties/Code"
    asset_hash: str | None = None
    asset_path: Path | None = None


def function_code(view: ResourceView) -> FunctionCode:
    code = view.properties.get("Code")
    if code is None:
        return FunctionCode("unknown", "the function has no Code property")
    if not isinstance(code, Mapping) or is_intrinsic(code):
        return FunctionCode("unknown", f"Code is {shape(code)}, built at deploy time")
    if "ZipFile" in code:
        return FunctionCode("inline", "Code.ZipFile holds inline code", "Properties/Code/ZipFile")
    if "ImageUri" in code:
        return FunctionCode("image", f"Code.ImageUri is a container image ({shape(code['ImageUri'])})")
    if "S3ObjectVersion" in code:
        return FunctionCode(
            "s3", "Code.S3ObjectVersion pins one version of an S3 object", "Properties/Code/S3ObjectVersion"
        )
    bucket, key = code.get("S3Bucket"), code.get("S3Key")
    bucket_ok = _is_asset_bucket(bucket, view)
    asset_hash = _asset_hash(key, view)
    if not bucket_ok:
        return FunctionCode(
            "s3", f"Code.S3Bucket is {shape(bucket)}, not the CDK assets bucket", "Properties/Code/S3Bucket"
        )
    if asset_hash is None:
        return FunctionCode(
            "s3", f"Code.S3Key is {shape(key)}, not a content-hashed asset key", "Properties/Code/S3Key"
        )
    path = _asset_path(view, asset_hash)
    if path is None:
        return FunctionCode(
            "s3",
            f"no asset of this cloud assembly has hash {asset_hash[:12]}…: the key names a fixed S3 object",
            "Properties/Code/S3Key",
            asset_hash,
        )
    return FunctionCode("s3", "", "Properties/Code", asset_hash, path)


def _is_asset_bucket(bucket: object, view: ResourceView) -> bool:
    if isinstance(bucket, str):
        return bool(_ASSET_BUCKET.match(bucket))
    if isinstance(bucket, Mapping) and len(bucket) == 1:
        sub = bucket.get("Fn::Sub")
        if isinstance(sub, str):
            return bool(_ASSET_BUCKET.match(sub))
        return any(_LEGACY_PARAMETER.match(ref) for ref in references(bucket))
    return False


def _asset_hash(key: object, view: ResourceView) -> str | None:
    if isinstance(key, str):
        match = _ASSET_KEY.match(key)
        return match.group(1) if match else None
    for ref in references(key):
        match = _LEGACY_PARAMETER.match(ref)
        if match and ref in view.stack.parameters:
            return match.group(1)
    return None


def _asset_path(view: ResourceView, asset_hash: str) -> Path | None:
    """The staged asset: the ``aws:asset:path`` metadata CDK writes, else the asset manifest."""
    path = view.metadata.get("aws:asset:path")
    prop = view.metadata.get("aws:asset:property", "Code")
    if isinstance(path, str) and path and prop == "Code":
        return view.stack.directory / path
    return view.stack.assets.get(asset_hash)
