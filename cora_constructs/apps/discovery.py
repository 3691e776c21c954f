"""Find the stack app's Lambdas on disk: ``packages/module-*/backend/lambdas/*/lambda_function.py``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cora_constructs import defaults, naming


@dataclass(frozen=True, order=True)
class ModuleLambda:
    """One Lambda of a functional module, e.g. module ``tracker``, Lambda ``tracker_api``."""

    module: str
    lambda_name: str
    source: Path


def discover_module_lambdas(root: Path) -> list[ModuleLambda]:
    """Every module Lambda under ``root``, sorted by module then Lambda (stable across synths)."""
    found = []
    for handler in root.glob(defaults.MODULES_GLOB):
        lambda_dir = handler.parent
        module_dir = lambda_dir.parents[2]
        found.append(ModuleLambda(naming.module_name(module_dir.name), lambda_dir.name, lambda_dir))
    return sorted(found)


def group_by_module(lambdas: list[ModuleLambda]) -> dict[str, list[ModuleLambda]]:
    grouped: dict[str, list[ModuleLambda]] = {}
    for item in lambdas:
        grouped.setdefault(item.module, []).append(item)
    return grouped
