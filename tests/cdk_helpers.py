"""Helpers to build and synthesize CDK apps in tests (imported only by tests that synthesize)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk

ROOT = Path(__file__).resolve().parents[1]
_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}(-unbundled)?\b")
_VERSION_ID = re.compile(r"(CurrentVersion)[0-9A-F]{8}[0-9a-f]{32}")


def project_context(root: Path = ROOT, **extra: Any) -> dict[str, Any]:
    """The context `cdk synth` would pass: cdk.json's, plus the project root."""
    context: dict[str, Any] = dict(json.loads((ROOT / "cdk.json").read_text())["context"])
    context["cora:projectRoot"] = str(root)
    # What the CDK CLI sets for every synth: construct paths and asset paths in Metadata.
    context["aws:cdk:enable-path-metadata"] = True
    context["aws:cdk:enable-asset-metadata"] = True
    context.update(extra)
    return context


def new_app(outdir: Path, root: Path = ROOT, *, bundle: bool = False, **extra: Any) -> cdk.App:
    """An App like the CLI's; without ``bundle`` no stack is bundled (no pip)."""
    context = project_context(root, **extra)
    if not bundle:
        context["aws:cdk:bundling-stacks"] = []
    return cdk.App(outdir=str(outdir), context=context)


def read_templates(assembly_dir: Path) -> dict[str, dict[str, Any]]:
    """Stack name -> template, read from a synthesized cloud assembly."""
    manifest = json.loads((assembly_dir / "manifest.json").read_text())
    templates = {}
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact["type"] == "aws:cloudformation:stack":
            template_file = assembly_dir / artifact["properties"]["templateFile"]
            templates[artifact_id] = json.loads(template_file.read_text())
    return templates


def construct_metadata(assembly_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Construct path -> metadata entries, of every stack of a cloud assembly (each artifact's
    inline metadata and its ``additionalMetadataFile``)."""
    manifest = json.loads((assembly_dir / "manifest.json").read_text())
    entries: dict[str, list[dict[str, Any]]] = {}
    for artifact in manifest["artifacts"].values():
        entries.update(artifact.get("metadata", {}))
        extra = artifact.get("additionalMetadataFile")
        if extra:
            entries.update(json.loads((assembly_dir / extra).read_text()))
    return entries


def normalise(template: dict[str, Any]) -> Any:
    """The template with asset hashes and version hashes replaced, so snapshots do not churn."""
    text = json.dumps(template, indent=1, sort_keys=True)
    text = _ASSET_HASH.sub("<asset-hash>", text)
    text = _VERSION_ID.sub(r"\1<hash>", text)
    out = json.loads(text)
    for resource in out.get("Resources", {}).values():
        size = resource.get("Metadata", {}).get("cora:size")
        if isinstance(size, dict):
            # Sizes change with every code edit, and whether the org layer's size is known
            # depends on this machine's layer cache (a synth that does not bundle reads it only
            # when cached): both are left out of snapshots.
            size["bytes"] = "<bytes>"
            for part in size.get("parts", []):
                part.pop("counted", None)
                part["bytes"] = "<bytes>"
    return out


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def parameter_name(template: dict[str, Any], value: Any) -> str:
    """The SSM parameter name behind a ``{"Ref": <SSM parameter value>}``."""
    return str(template["Parameters"][value["Ref"]]["Default"])
