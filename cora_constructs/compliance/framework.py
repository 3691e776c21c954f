"""Recognise the Lambdas CDK itself creates for custom resources (log retention, bucket
deployment, ``AwsCustomResource``, provider frameworks, singleton handlers).

They are listed in the report as framework functions, never silently skipped and never held to
the production rules: their code, runtime and layers are CDK's. A function carrying ``cora:*``
metadata is never one of them.
"""

from __future__ import annotations

import re

from cora_constructs.compliance.assembly import ResourceView
from cora_constructs.compliance.model import FrameworkFunction

# CDK's own singleton uuids (construct ids ``<purpose><uuid without dashes>``).
_KNOWN_SINGLETONS = {
    "aae0aa3c5b4d4f87b02d85b201efdd8a": "log retention",
    "679f53fac002430cb0da5b7982bd2287": "AwsCustomResource",
    "050a0587b7544547bf325f094a3db834": "S3 bucket notifications",
}
_UUID = re.compile(r"[0-9a-f]{32}")
_PROVIDER_SEGMENTS = ("framework-onEvent", "framework-onTimeout", "framework-isComplete")
_PROVIDER_LOGICAL = re.compile(r"framework(onEvent|onTimeout|isComplete)")
# Markers CDK writes into the assembly metadata of its custom resource handlers.
_HANDLER_MARKER = "aws:cdk:is-custom-resource-handler-"
_PROVIDER_DESCRIPTION = "AWS CDK resource provider framework"


def framework_function(view: ResourceView) -> FrameworkFunction | None:
    """What CDK built this function for, or None for a function of the app's own."""
    if view.has_cora:
        return None
    found = _recognise(view)
    if found is None:
        return None
    kind, evidence = found
    return FrameworkFunction(view.stack.name, view.path, view.logical_id, kind, evidence)


def _recognise(view: ResourceView) -> tuple[str, str] | None:
    path = view.path
    segments = path.split("/")
    for uuid, kind in _KNOWN_SINGLETONS.items():
        if uuid in path or uuid in view.logical_id:
            return kind, f"CDK's {kind} singleton id {uuid}"
    for segment in segments:
        if segment.startswith("Custom::CDKBucketDeployment"):
            return "BucketDeployment", f"construct {segment}"
    for segment in segments:
        if segment in _PROVIDER_SEGMENTS:
            return "custom resource provider framework", f"construct {segment}"
    description = view.properties.get("Description")
    if isinstance(description, str) and description.startswith(_PROVIDER_DESCRIPTION):
        return "custom resource provider framework", "its description"
    for segment in segments:
        if segment.startswith("Custom::"):
            return "custom resource provider", f"construct {segment}"
    for depth in range(len(segments), 1, -1):  # never the stack itself
        markers = [
            m for m in view.stack.metadata_types("/".join(segments[:depth])) if m.startswith(_HANDLER_MARKER)
        ]
        if markers:
            return "custom resource handler", f"assembly metadata {sorted(markers)[0]}"
    for segment in segments[1:]:
        if _UUID.search(segment) and not segment.startswith("Default"):
            return "singleton function", f"singleton construct id {segment}"
    if path.endswith(f"/{view.logical_id}"):  # no construct path known: judge the logical id
        if _PROVIDER_LOGICAL.search(view.logical_id):
            return "custom resource provider framework", f"logical id {view.logical_id}"
        if view.logical_id.startswith("Custom") and "CustomResourceProvider" in view.logical_id:
            return "custom resource provider", f"logical id {view.logical_id}"
    return None
