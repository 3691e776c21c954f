"""The exceptions of manifest_gen: every bad input ends as one of these, never a traceback."""

from __future__ import annotations

from collections.abc import Iterable


class ManifestGenError(Exception):
    """A problem the user must fix; ``problems`` holds every one found, one line each.

    ``str(error)`` is the first problem, followed by a count of the others, so it fits on one
    line; the CLI prints every problem on its own line.
    """

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        if not self.problems:
            raise ValueError("ManifestGenError needs at least one problem")
        more = len(self.problems) - 1
        super().__init__(self.problems[0] + (f" (and {more} more)" if more else ""))


class CloudAssemblyError(ManifestGenError):
    """The cloud assembly (cdk.out) is missing, unreadable or breaks the ``cora:*`` contract."""


class ProjectError(ManifestGenError):
    """The project root cannot be found, or `cdk synth` failed."""


class UnmarkedFileError(ManifestGenError):
    """A file without the generated marker sits at a path the generator writes to."""
