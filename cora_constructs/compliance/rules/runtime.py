"""CORA-L2: python3.11 on x86_64, the runtime and architecture the org layer is built for."""

from __future__ import annotations

from cora_constructs.compliance.assembly import ResourceView
from cora_constructs.compliance.model import Result, Rule, compliant, non_compliant, unvalidated
from cora_constructs.compliance.values import Unresolved, literal_str, shape

RUNTIME = "python3.11"
ARCHITECTURE = "x86_64"


def check(view: ResourceView) -> Result:
    runtime = literal_str(view.properties.get("Runtime"))
    if isinstance(runtime, Unresolved):
        return unvalidated(f"Runtime is {runtime.shape}, known only at deploy time", "Properties/Runtime")
    if runtime is None:
        return non_compliant("the function has no Runtime (a container image function)", "Properties/Runtime")
    problems: list[str] = []
    if runtime != RUNTIME:
        problems.append(f"Runtime is {runtime}; the org layer is built for {RUNTIME}")
    architectures = view.properties.get("Architectures")
    if architectures is not None:
        if not isinstance(architectures, list) or not all(isinstance(a, str) for a in architectures):
            return unvalidated(
                f"Architectures is {shape(architectures)}, known only at deploy time",
                "Properties/Architectures",
            )
        if architectures != [ARCHITECTURE]:
            problems.append(
                f"Architectures is {architectures}; the org layer is built for {ARCHITECTURE} "
                "(manylinux2014_x86_64)"
            )
    if not problems:
        return compliant()
    location = "Properties/Runtime" if runtime != RUNTIME else "Properties/Architectures"
    return non_compliant("; ".join(problems), location)


RULE = Rule(
    id="CORA-L2",
    reason="Every function runs python3.11 on x86_64: the org layer's compiled packages are built "
    "for exactly that.",
    fix="Use Runtime.PYTHON_3_11 and Architecture.X86_64 (StandardLambda's only choice), and drop any "
    "add_property_override of Runtime or Architectures.",
    resource_types=frozenset({"AWS::Lambda::Function"}),
    check=check,
)
