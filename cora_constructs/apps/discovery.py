"""Find the stack app's Lambdas on disk (no CDK import).

By default every ``packages/module-*/backend/lambdas/*/`` folder holding ``lambda_function.py``
is one module Lambda; context ``cora:modules`` changes the pattern. The module is the folder
matched by the pattern's first wildcard (``module-tracker`` -> ``tracker``); its layers live in
the ``layers/`` folder beside ``lambdas/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cora_constructs import defaults, naming
from cora_constructs.errors import Violation


@dataclass(frozen=True, order=True)
class ModuleLambda:
    """One Lambda of a functional module, e.g. module ``tracker``, Lambda ``tracker_api``."""

    module: str
    lambda_name: str
    source: Path

    @property
    def layers_dir(self) -> Path:
        """Where the module's layers live: ``layers/`` beside the module's ``lambdas/`` folder."""
        return self.source.parent.parent / "layers"


def discover_module_lambdas(root: Path, pattern: str = defaults.MODULES_GLOB) -> list[ModuleLambda]:
    """Every module Lambda under ``root``, sorted by module then Lambda (stable across synths)."""
    parts = pattern.strip("/").split("/")
    module_index = next((i for i, part in enumerate(parts) if any(c in part for c in "*?[")), 0)
    found = []
    for folder in root.glob(pattern.strip("/")):
        if not (folder / defaults.HANDLER_FILE).is_file():
            continue
        relative = folder.relative_to(root).parts
        module = naming.module_name(relative[module_index]) if module_index < len(relative) else folder.name
        found.append(ModuleLambda(module, folder.name, folder))
    return sorted(found)


def group_by_module(lambdas: list[ModuleLambda]) -> dict[str, list[ModuleLambda]]:
    grouped: dict[str, list[ModuleLambda]] = {}
    for item in lambdas:
        grouped.setdefault(item.module, []).append(item)
    return grouped


def construct_id(lambda_name: str) -> str:
    """``tracker_api`` and ``tracker-api`` -> ``TrackerApi``."""
    return "".join(part[:1].upper() + part[1:] for part in lambda_name.replace("-", "_").split("_"))


def name_collisions(lambdas: list[ModuleLambda], root: Path) -> list[Violation]:
    """Lambda folders of one module whose names differ only by ``-``/``_`` or case: they would
    get one construct id and one function name."""
    by_key: dict[tuple[str, str], list[ModuleLambda]] = {}
    for item in lambdas:
        by_key.setdefault((naming.slug(item.module), naming.slug(item.lambda_name)), []).append(item)
    problems = []
    for (module, _name), items in sorted(by_key.items()):
        if len(items) > 1:
            folders = [item.source.relative_to(root).as_posix() for item in items]
            problems.append(
                Violation(
                    "CORA-L7",
                    folders[0],
                    f"Lambda folders {', '.join(folders)} of module {module} differ only by '-', '_' "
                    "or case, so they would share one construct id and one function name: rename or "
                    "merge one of them.",
                )
            )
    return problems
