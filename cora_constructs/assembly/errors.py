"""The errors of the tools that read a cloud assembly (`cora manifest`, `cora check`, `cora audit`).

Every bad input ends as one of these, never a traceback: ``problems`` holds each problem found,
one line each, and the CLIs print them all.
"""

from __future__ import annotations

from collections.abc import Iterable


class ToolError(Exception):
    """A problem the user must fix; ``problems`` holds every one found, one line each.

    ``str(error)`` is the first problem, followed by a count of the others, so it fits on one
    line; the CLIs print every problem on its own line.
    """

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        if not self.problems:
            raise ValueError(f"{type(self).__name__} needs at least one problem")
        more = len(self.problems) - 1
        super().__init__(self.problems[0] + (f" (and {more} more)" if more else ""))


class CloudAssemblyError(ToolError):
    """The cloud assembly (cdk.out) is missing, unreadable or breaks the ``cora:*`` contract."""


class ProjectError(ToolError):
    """The project root cannot be found, or `cdk synth` failed."""
