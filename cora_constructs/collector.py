"""Python's garbage collector around the allocation bursts the library knows of (no CDK import).

- :func:`collector_paused`: a burst that makes no cycles (an assembly's parsed JSON, the rule
  pack's views and findings) runs without the collector's passes; reference counting still
  frees everything, and the collector runs again as before afterwards.
- :func:`bindings_loading`: loading the CDK's Python bindings. ``from cora_constructs.apps
  import main`` loads aws-cdk-lib's Python bindings and this library: about 160,000 objects
  (classes, functions, enums, type hints) that live as long as the process. The collector
  cannot know that: while they load, its full passes walk every object loaded so far, twice in
  a ``cdk synth`` of the reference app, and free nothing. Measured on a 2-core machine
  (benchmarks/README.md, "Issue 18, eighth pass"): that import took 0.69 s, and 0.56 s with
  the collector paused while it runs and what it loaded frozen afterwards. So the library's
  two entry points (the lazy names of ``cora_constructs`` and of ``cora_constructs.apps``,
  :func:`lazy_name`) load inside it: in a CDK app process (the CDK CLI runs the app with ``CDK_OUTDIR`` set:
  ``cdk synth``, ``cdk deploy``, ``cdk diff``), the collector is paused while the modules load
  and what is alive then is frozen (:func:`gc.freeze`), so later collections skip it. A synth
  process exits when the synth ends, so freezing keeps nothing alive that would have been
  freed. Elsewhere (tests, the ``cora`` CLI, a notebook) nothing changes.

A process that turned the collector off itself keeps it off: neither pauses nor freezes.
"""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

CDK_APP_ENV = "CDK_OUTDIR"
"""Set by the CDK CLI for the app's process (``cxapi.OUTDIR_ENV``): this process is a CDK app."""


@contextmanager
def collector_paused(*, freeze: bool = False) -> Iterator[None]:
    """The collector paused within the block; with ``freeze``, what is alive at its end is
    moved out of later collections (:func:`gc.freeze`) before the collector runs again."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        gc.enable()


def in_cdk_app_process() -> bool:
    """Whether the CDK CLI started this process to run the app."""
    return bool(os.environ.get(CDK_APP_ENV))


def bindings_loading() -> AbstractContextManager[None]:
    """Modules load within the block without the collector's passes, and what is alive at its
    end is frozen, in a CDK app process; anywhere else the block runs as is."""
    return collector_paused(freeze=True) if in_cdk_app_process() else nullcontext()


def lazy_name(package: str, namespace: MutableMapping[str, Any], lazy: Mapping[str, str], name: str) -> Any:
    """A package's ``__getattr__``: ``name`` loaded from its module in ``lazy`` (inside
    :func:`bindings_loading`) and kept in the package's ``namespace``, so the next lookup of the
    name finds it there; an AttributeError for a name ``lazy`` does not list."""
    module = lazy.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    with bindings_loading():
        loaded = importlib.import_module(module)
    value = namespace[name] = getattr(loaded, name)
    return value
