"""The exceptions of manifest_gen: every bad input ends as one of these, never a traceback.

The assembly and project errors are shared with `cora check` and `cora audit`
(:mod:`cora_constructs.assembly.errors`); ``ManifestGenError`` is their common base.
"""

from __future__ import annotations

from cora_constructs.assembly.errors import CloudAssemblyError, ProjectError
from cora_constructs.assembly.errors import ToolError as ManifestGenError

__all__ = ["CloudAssemblyError", "ManifestGenError", "ProjectError", "UnmarkedFileError"]


class UnmarkedFileError(ManifestGenError):
    """A file without the generated marker sits at a path the generator writes to."""
