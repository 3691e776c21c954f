"""``cora synth``'s size lines: each function's unzipped size against Lambda's limit, largest
first, read from the ``cora:size`` metadata of the templates (pure: no disk, no CDK)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cora_constructs.dependencies.sizes import MAX_UNZIPPED_BYTES, NOT_COUNTED, SIZE_METADATA, megabytes


@dataclass(frozen=True)
class FunctionSize:
    function_name: str
    total: int
    limit: int
    parts: tuple[tuple[str, int | None], ...]

    @property
    def share(self) -> float:
        return self.total / self.limit if self.limit else 0.0


def function_sizes(templates: Iterable[Mapping[str, object]]) -> list[FunctionSize]:
    """Every function carrying ``cora:size`` in the templates, largest first."""
    found: list[FunctionSize] = []
    for template in templates:
        resources = template.get("Resources")
        if not isinstance(resources, Mapping):
            continue
        for resource in resources.values():
            if not isinstance(resource, Mapping) or resource.get("Type") != "AWS::Lambda::Function":
                continue
            metadata = resource.get("Metadata")
            properties = resource.get("Properties")
            size = metadata.get(SIZE_METADATA) if isinstance(metadata, Mapping) else None
            name = properties.get("FunctionName") if isinstance(properties, Mapping) else None
            if not isinstance(size, Mapping) or not isinstance(name, str):
                continue
            parts = tuple(
                (str(part.get("name", "?")), part["bytes"] if isinstance(part.get("bytes"), int) else None)
                for part in size.get("parts", [])
                if isinstance(part, Mapping)
            )
            total = size.get("bytes")
            limit = size.get("limit")
            found.append(
                FunctionSize(
                    name,
                    total if isinstance(total, int) else 0,
                    limit if isinstance(limit, int) else MAX_UNZIPPED_BYTES,
                    parts,
                )
            )
    found.sort(key=lambda item: (-item.total, item.function_name))
    return found


def render_sizes(sizes: Iterable[FunctionSize]) -> list[str]:
    """One line per function: ``name  12.3 MB of 262.1 MB (5%)``, then what is not counted."""
    rows = list(sizes)
    if not rows:
        return []
    width = max(len(row.function_name) for row in rows)
    lines = ["  unzipped size per function (code + layers), against Lambda's limit of 250 MiB:"]
    for row in rows:
        unknown = [name for name, size in row.parts if size is None]
        note = f"; {', '.join(unknown)} {NOT_COUNTED}" if unknown else ""
        lines.append(
            f"    {row.function_name:<{width}}  {megabytes(row.total):>9} of {megabytes(row.limit)} "
            f"({row.share:.0%}){note}"
        )
    return lines
