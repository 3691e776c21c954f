"""Where a construct is: the project root, project and environment names, and which app."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from constructs import Construct

from cora_constructs import defaults
from cora_constructs.assembly.errors import ProjectError
from cora_constructs.assembly.synth import find_project_root as find_cdk_json_folder
from cora_constructs.errors import CoraValidationError
from cora_constructs.settings_check import KNOWN_KEYS


@dataclass(frozen=True)
class ProjectContext:
    """Read from CDK context, so every construct in an app agrees on it."""

    root: Path
    project: str
    environment: str
    app: str | None
    settings: Mapping[str, Any] = field(default_factory=dict, compare=False)
    """Every ``cora:*`` setting (:data:`cora_constructs.settings_check.SETTINGS`) that is set."""
    bundling_stacks: tuple[str, ...] | None = field(default=None, compare=False)
    """Context ``aws:cdk:bundling-stacks``: the patterns of the stacks this synth bundles (the
    CDK CLI sets it; None when unset, which the CDK reads as ``["**"]``)."""
    path_metadata: bool = field(default=False, compare=False)
    """Context ``aws:cdk:enable-path-metadata`` (the CDK CLI sets it): every resource records its
    construct path in its Metadata (``aws:cdk:path``)."""

    @classmethod
    def of(cls, scope: Construct) -> ProjectContext:
        # All of the node's context in one jsii round trip (one try_get_context per key was one
        # each: 20 of them).
        context = scope.node.get_all_context()
        return cls.from_context(context if isinstance(context, Mapping) else {})

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> ProjectContext:
        """The project as a node's context (``node.get_all_context()``) describes it."""
        settings = {}
        for key in KNOWN_KEYS:
            value = context.get(key)
            if value is not None and value != "":
                settings[key] = value
        root = settings.get(defaults.CONTEXT_ROOT)
        app = context.get(APP_KIND_CONTEXT)
        return cls(
            root=Path(str(root)).resolve() if root else find_project_root(Path.cwd()),
            project=str(settings.get(defaults.CONTEXT_PROJECT) or defaults.DEFAULT_PROJECT),
            environment=str(settings.get(defaults.CONTEXT_ENVIRONMENT) or defaults.DEFAULT_ENVIRONMENT),
            app=str(app) if app else None,
            settings=settings,
            bundling_stacks=_patterns(context.get(BUNDLING_STACKS_CONTEXT)),
            path_metadata=_truthy(context.get(PATH_METADATA_CONTEXT)),
        )

    def setting(self, key: str, default: str) -> str:
        """A context setting as text, or ``default`` when unset."""
        value = self.settings.get(key)
        return str(value) if value not in (None, "") else default

    def relative(self, path: Path, construct_path: str, *, resolved: bool = False) -> str:
        """``path`` relative to the project root, POSIX; outside the root is an error.
        ``resolved``: ``path`` is resolved already (no file system lookup)."""
        try:
            return (path if resolved else path.resolve()).relative_to(self.root).as_posix()
        except ValueError:
            raise CoraValidationError.single(
                "CORA-L8",
                construct_path,
                f"source folder {path} is outside the project root {self.root}: Lambda sources "
                "must live in the project (set context cora:projectRoot if the root is elsewhere).",
            ) from None


PATH_METADATA_CONTEXT = "aws:cdk:enable-path-metadata"
BUNDLING_STACKS_CONTEXT = "aws:cdk:bundling-stacks"


def _patterns(value: object) -> tuple[str, ...] | None:
    """A list of stack patterns as given in context; None when unset or of another shape."""
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def _truthy(value: object) -> bool:
    """Whether a context value is true as the CDK (JavaScript) tests it: any value but null,
    false, 0 and the empty string (an empty list or object is true)."""
    if value is None or value is False or value == "":
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    return True


APP_KIND_CONTEXT = "cora:app"
"""``stack`` or ``infra``, read from context for a construct in no CoraStack (a CoraStack's own
constructs, and those of the stacks nested in it, take its ``app_kind``)."""


def find_project_root(start: Path) -> Path:
    """The nearest folder holding ``cdk.json``, from ``start`` upwards; ``start`` if none."""
    try:
        return find_cdk_json_folder(start)
    except ProjectError:
        return start.resolve()
