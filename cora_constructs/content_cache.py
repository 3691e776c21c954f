"""Results computed from files, kept for as long as the files do not change (no CDK import).

A synth reads the same inputs many times: each handler's docstring (routes, description), each
layer's files (fingerprint, import check), in every stack and in both apps. :func:`cached`
computes a result once per input and hands it back while the input's *stamp* is unchanged: for
each file, its path, size, modification time (ns) and inode. Editing, replacing or touching a
file changes its stamp, so the next lookup computes again. A file modified in the last
:data:`RACY_SECONDS` is never served from the cache (as git treats "racily clean" files): the
file system's clock ticks coarser than a nanosecond, so a same-size edit made within one tick
of the first read could keep its stamp.

The cache lives in the process (one ``cdk synth``, or a test session): nothing is written to
disk. :func:`clear` empties it (the benchmarks do, so each round pays what a fresh synth pays).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
Stamp = tuple[tuple[str, int, int, int], ...]

RACY_SECONDS = 2.0
_CACHE: dict[tuple[str, Hashable], tuple[Stamp, object]] = {}


def stamp(paths: Iterable[Path]) -> Stamp:
    """What identifies the content of ``paths`` without reading it; a missing file stamps as
    ``-1`` (so its appearance is a change too)."""
    found = []
    for path in paths:
        try:
            st = Path(path).stat()
        except OSError:
            found.append((str(path), -1, -1, -1))
        else:
            found.append((str(path), st.st_size, st.st_mtime_ns, st.st_ino))
    return tuple(found)


def cached(kind: str, key: Hashable, paths: Iterable[Path], compute: Callable[[], T]) -> T:
    """``compute()``, or what it returned the last time for ``(kind, key)`` if the files it read
    (``paths``) still have the same stamp. An exception is not cached: it is raised again by a
    new computation the next time."""
    current = stamp(paths)
    entry = _CACHE.get((kind, key))
    if entry is not None and entry[0] == current:
        return entry[1]  # type: ignore[return-value]
    value = compute()
    settled = time.time_ns() - int(RACY_SECONDS * 1e9)
    if all(mtime < settled for _path, _size, mtime, _inode in current):
        _CACHE[(kind, key)] = (current, value)
    else:
        _CACHE.pop((kind, key), None)
    return value


def cached_file(kind: str, path: Path, compute: Callable[[Path], T]) -> T:
    """``compute(path)`` for one file, cached while the file's stamp is unchanged."""
    return cached(kind, str(path), (path,), lambda: compute(path))


def clear() -> None:
    """Forget every cached result."""
    _CACHE.clear()
