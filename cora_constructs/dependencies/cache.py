"""The per-user cache of built bundles: one folder per content hash, filled atomically.

An entry is built in a temporary folder next to it and renamed into place with a
``.cora-bundle-complete`` marker only once everything passed, so a failure never leaves a
half-built entry, and two synths building the same entry at once both end with the same one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from cora_constructs import defaults

COMPLETE_MARKER = ".cora-bundle-complete"
CACHE_ENV = "CORA_LAYER_CACHE"
WHEELHOUSE_ENV = "CORA_WHEELHOUSE"


def default_cache_root() -> Path:
    """Where bundles are cached by default: one cache per user, shared by every clone and project.

    ``$CORA_LAYER_CACHE`` if set, else ``$XDG_CACHE_HOME/cora-constructs/layers``, else
    ``~/.cache/cora-constructs/layers``.
    """
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "cora-constructs" / "layers"


def cache_root_of(settings: Mapping[str, object], cache_dir: str | Path | None = None) -> Path:
    """``cache_dir``, else context ``cora:layerCache``, else the per-user cache."""
    chosen = cache_dir or settings.get(defaults.CONTEXT_LAYER_CACHE) or default_cache_root()
    return Path(str(chosen)).expanduser()


def wheelhouse_of(settings: Mapping[str, object], wheelhouse: str | Path | None = None) -> Path | None:
    """``wheelhouse``, else context ``cora:wheelhouse``, else ``$CORA_WHEELHOUSE``; None: the index."""
    house = wheelhouse or settings.get(defaults.CONTEXT_WHEELHOUSE) or os.environ.get(WHEELHOUSE_ENV)
    return Path(str(house)).expanduser() if house else None


def cached_entry(cache_root: Path, fingerprint: str) -> Path | None:
    """The finished entry for ``fingerprint``, if the cache holds one."""
    entry = cache_root / fingerprint
    return entry if (entry / COMPLETE_MARKER).is_file() else None


def build_entry(cache_root: Path, fingerprint: str, build: Callable[[Path], None]) -> Path:
    """The entry for ``fingerprint``: from the cache, or made by ``build(work_folder)`` and
    renamed into place. Whatever ``build`` raises propagates, and nothing is left behind."""
    hit = cached_entry(cache_root, fingerprint)
    if hit is not None:
        return hit
    cache_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{fingerprint[:12]}-", dir=cache_root))
    try:
        build(work)
        (work / COMPLETE_MARKER).write_text(fingerprint + "\n", encoding="utf-8")
        final = cache_root / fingerprint
        try:
            work.replace(final)
        except OSError:
            # Another process finished the same entry first: it is identical, keep it.
            if cached_entry(cache_root, fingerprint) is None:
                raise
        return final
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
