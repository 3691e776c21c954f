"""A function folder's own checks, computed ahead in a background thread (no CDK import).

A synth spends most of its wall time in Python waiting for the CDK's Node process to answer
(each jsii request is a round trip, and Python holds no lock while it waits). The checks of a
function folder need nothing from Node: its source check (CORA-L6/L8/L11), its asset's
fingerprint and size, its description line. :class:`FolderPrefetch` computes them for every
folder an app discovered, in discovery order, in one daemon thread started before the stacks
are built, so they run while the main thread waits; :meth:`FolderPrefetch.result` hands a
result over (waiting for it if the thread is not there yet), or computes it in the caller when
the folder was never planned. An exception is handed over as it was raised. The thread
resolves each folder first (task ``"resolved"``, its real path): a folder's other results are
found under the path as planned and as resolved.

An app may also give ``ahead`` tasks of its own, run once before the folders
(:meth:`FolderPrefetch.ahead_result`): the stack app reads its org layer's composition,
fingerprint and cached bundle there.

One prefetch per app (:func:`start`, :func:`of`), keyed by the app's settings mapping (every
stack of one app shares it): a new app (a new synth, a new test) never sees another's results.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from cora_constructs.kept import kept_of

T = TypeVar("T")
Task = Callable[[Path], object]

RESOLVED = "resolved"
"""The task every folder gets first: its resolved path (``Path.resolve()``)."""

SWITCH_INTERVAL = 0.0005
"""Seconds between interpreter-lock handovers while a prefetch thread runs (Python's default is
0.005). The main thread gives the lock up at every round trip to Node (the write, the read)
and at every file system call; back from one, it waits until the prefetch thread hands the lock
over, up to the switch interval. At 0.5 ms the main thread builds the stacks 5-8% faster than
at 5 ms (200 functions, alternating rounds); the previous interval is restored when the last
prefetch thread ends."""

_switch_lock = threading.Lock()
_switch_state: dict[str, Any] = {"running": 0, "previous": None}


def _lower_switch_interval() -> None:
    with _switch_lock:
        if _switch_state["running"] == 0:
            _switch_state["previous"] = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_INTERVAL, _switch_state["previous"]))
        _switch_state["running"] += 1


def _restore_switch_interval() -> None:
    with _switch_lock:
        _switch_state["running"] -= 1
        if _switch_state["running"] == 0 and _switch_state["previous"] is not None:
            sys.setswitchinterval(_switch_state["previous"])
            _switch_state["previous"] = None


@dataclass
class _Outcome:
    done: threading.Event = field(default_factory=threading.Event)
    values: dict[str, object] = field(default_factory=dict)
    errors: dict[str, BaseException] = field(default_factory=dict)


class FolderPrefetch:
    """``tasks`` (name -> function of a folder) run for each of ``folders`` in a daemon thread,
    after the app's ``ahead`` tasks (name -> function of nothing), which run first."""

    def __init__(
        self,
        folders: Iterable[Path],
        tasks: Mapping[str, Task],
        ahead: Mapping[str, Callable[[], object]] | None = None,
    ) -> None:
        self._ahead = dict(ahead or {})
        self._ahead_outcome = _Outcome()
        self._tasks = dict(tasks)
        self._planned: dict[Path, _Outcome] = {}
        for folder in folders:
            self._planned.setdefault(folder, _Outcome())
        self._resolved: dict[Path, _Outcome] = {}
        self._thread = threading.Thread(target=self._run, name="cora-prefetch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        _lower_switch_interval()
        try:
            self._run_all()
        finally:
            _restore_switch_interval()

    def _run_all(self) -> None:
        for name, run_ahead in self._ahead.items():
            # A task that raises has no value: its caller computes it again, and raises there.
            with contextlib.suppress(Exception):
                self._ahead_outcome.values[name] = run_ahead()
            time.sleep(0)
        self._ahead_outcome.done.set()
        for planned, outcome in list(self._planned.items()):
            try:
                folder = planned.resolve()
            except (OSError, RuntimeError) as error:
                outcome.errors[RESOLVED] = error
                outcome.done.set()
                continue
            outcome.values[RESOLVED] = folder
            self._resolved.setdefault(folder, outcome)
            for name, task in self._tasks.items():
                try:
                    outcome.values[name] = task(folder)
                except Exception as error:  # handed to the caller of result(), as raised
                    outcome.errors[name] = error
                # Hand the interpreter lock back between tasks: the main thread, back from a
                # round trip to Node, must not wait out a whole switch interval for it.
                time.sleep(0)
            outcome.done.set()

    def result(self, name: str, folder: Path, compute: Callable[[], T]) -> T:
        """Task ``name``'s result for ``folder`` (computed ahead), else ``compute()`` here.
        ``folder`` is looked up as planned and as resolved, never resolved here (an lstat per
        path component, three times per function)."""
        outcome = self._planned.get(folder) or self._resolved.get(folder)
        if outcome is None or (name not in self._tasks and name != RESOLVED):
            return compute()
        outcome.done.wait()
        if name in outcome.errors:
            raise outcome.errors[name]
        if name in outcome.values:
            return outcome.values[name]  # type: ignore[return-value]
        return compute()  # the folder could not be resolved: its tasks never ran

    def ahead_result(self, name: str, compute: Callable[[], T]) -> T:
        """The ahead task ``name``'s result (waiting for it), else ``compute()`` here: when it
        was not planned or raised (computed again, the error raised where it belongs)."""
        if name not in self._ahead:
            return compute()
        self._ahead_outcome.done.wait()
        if name in self._ahead_outcome.values:
            return self._ahead_outcome.values[name]  # type: ignore[return-value]
        return compute()

    def join(self) -> None:
        """Wait until every planned folder is done (tests)."""
        self._thread.join()


_KEY = "folder prefetch"


def start(
    app_key: Mapping[str, Any],
    folders: Iterable[Path],
    tasks: Mapping[str, Task],
    ahead: Mapping[str, Callable[[], object]] | None = None,
) -> FolderPrefetch:
    """Start the prefetch of ``folders`` (after the ``ahead`` tasks) for the app whose settings
    mapping is ``app_key``."""
    prefetch = FolderPrefetch(folders, tasks, ahead)
    kept_of(app_key)[_KEY] = prefetch
    return prefetch


def of(app_key: Mapping[str, Any]) -> FolderPrefetch | None:
    """The prefetch started for this app, if any."""
    found = kept_of(app_key).get(_KEY)
    return found if isinstance(found, FolderPrefetch) else None


def result(app_key: Mapping[str, Any], name: str, folder: Path, compute: Callable[[], T]) -> T:
    """:meth:`FolderPrefetch.result` of the app's prefetch, or ``compute()`` without one."""
    prefetch = of(app_key)
    return compute() if prefetch is None else prefetch.result(name, folder, compute)


def ahead_result(app_key: Mapping[str, Any], name: str, compute: Callable[[], T]) -> T:
    """:meth:`FolderPrefetch.ahead_result` of the app's prefetch, or ``compute()`` without one."""
    prefetch = of(app_key)
    return compute() if prefetch is None else prefetch.ahead_result(name, compute)
