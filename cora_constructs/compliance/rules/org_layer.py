"""CORA-L3: the org common layer is attached, first."""

from __future__ import annotations

from collections.abc import Mapping

from cora_constructs.compliance.assembly import ResourceView
from cora_constructs.compliance.model import Result, Rule, compliant, non_compliant, unvalidated
from cora_constructs.compliance.values import is_intrinsic, ref_target, shape

ORG_LAYER_PARAMETER_SUFFIX = "/org-layer-arn"
ORG_LAYER_DESCRIPTION = "Org common layer"
SSM_STRING = "AWS::SSM::Parameter::Value<String>"


def org_layer_kind(view: ResourceView, layer: object) -> tuple[bool | None, str]:
    """Whether one ``Layers`` entry is the org layer (None: cannot tell) and what it is."""
    target = ref_target(layer)
    if target is not None and isinstance(layer, Mapping) and "Ref" in layer:
        parameter = view.stack.parameters.get(target)
        if parameter is not None:
            name = parameter.get("Default")
            if parameter.get("Type") == SSM_STRING and isinstance(name, str):
                return name.endswith(ORG_LAYER_PARAMETER_SUFFIX), f"the SSM parameter {name}"
            return None, f"parameter {target}, chosen at deploy time"
        resource = view.stack.resources.get(target)
        if resource is not None and resource.get("Type") == "AWS::Lambda::LayerVersion":
            properties = resource.get("Properties")
            description = properties.get("Description") if isinstance(properties, Mapping) else None
            is_org = isinstance(description, str) and description.startswith(ORG_LAYER_DESCRIPTION)
            return is_org, f"layer {view.stack.path_of(target)}"
    if isinstance(layer, str):
        return None, f"the literal ARN {layer}"
    return None, shape(layer)


def check(view: ResourceView) -> Result:
    layers = view.properties.get("Layers")
    if layers is None or layers == []:
        return non_compliant("the function has no layers, so not the org common layer", "Properties/Layers")
    if not isinstance(layers, list) or is_intrinsic(layers):
        return unvalidated(f"Layers is {shape(layers)}, known only at deploy time", "Properties/Layers")
    first, what = org_layer_kind(view, layers[0])
    if first:
        return compliant()
    later = [index for index, layer in enumerate(layers[1:], 1) if org_layer_kind(view, layer)[0]]
    if later:
        return non_compliant(
            f"the org layer is Layers[{later[0]}], not first (Layers[0] is {what})", "Properties/Layers/0"
        )
    if first is None:
        return unvalidated(
            f"Layers[0] is {what}, which cannot be recognised as the org layer", "Properties/Layers/0"
        )
    return non_compliant(f"Layers[0] is {what}, not the org common layer", "Properties/Layers/0")


RULE = Rule(
    id="CORA-L3",
    reason="The org common layer is attached first, so every function gets the shared runtime and "
    "its pinned, Linux-built dependencies.",
    fix="Attach the org layer first: OrgLayer.from_ssm(...) in the stack app (the "
    "/{project}/{env}/org-layer-arn parameter), the OrgLayer itself in the infra app; module layers "
    "go after it.",
    resource_types=frozenset({"AWS::Lambda::Function"}),
    check=check,
)
