"""Python's garbage collector while the library loads the CDK's Python bindings (no CDK import).

``from cora_constructs.apps import main`` loads aws-cdk-lib's Python bindings and this library:
about 160,000 objects (classes, functions, enums, type hints) that live as long as the process.
Python's collector cannot know that: while they load, its full passes walk every object
loaded so far, twice in a ``cdk synth`` of the reference app, and free nothing. Measured on a
2-core machine (benchmarks/README.md, "Issue 18, eighth pass"): that import took 0.69 s, and
0.56 s with the collector paused while it runs and what it loaded frozen afterwards.

So the library's two entry points (the lazy names of ``cora_constructs`` and of
``cora_constructs.apps``) load inside :func:`bindings_loading`: in a CDK app process (the CDK
CLI runs the app with ``CDK_OUTDIR`` set: ``cdk synth``, ``cdk deploy``, ``cdk diff``), the
collector is paused while the modules load and what is alive then is frozen
(:func:`gc.freeze`): later collections skip it, and the collector runs again as before. A
synth process exits when the synth ends, so freezing keeps nothing alive that would have been
freed. Elsewhere (tests, the ``cora`` CLI, a notebook) nothing changes, and a process that
turned the collector off itself keeps it off.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

CDK_APP_ENV = "CDK_OUTDIR"
"""Set by the CDK CLI for the app's process (``cxapi.OUTDIR_ENV``): this process is a CDK app."""


def in_cdk_app_process() -> bool:
    """Whether the CDK CLI started this process to run the app."""
    return bool(os.environ.get(CDK_APP_ENV))


@contextmanager
def bindings_loading() -> Iterator[None]:
    """Within this block, modules load without the collector's passes (in a CDK app process);
    at its end, what is alive is frozen out of later passes and the collector runs again."""
    if not in_cdk_app_process() or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
