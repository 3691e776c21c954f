"""Count the round trips Python makes into the CDK's Node process (jsii requests), by kind.

Every jsii request (create an object, read or write a property, call a method, answer a
callback from Node) goes through ``jsii._kernel.providers.process._NodeProcess.send``: one
line of JSON written to Node, one read back. :func:`counting` wraps that method for the
duration of a ``with`` block and records each request's kind (``create``, ``get``, ``invoke``,
``static invoke``, ...) and what it named (the class created, the property read, the method
called), and where in this project's Python code it was made::

    with counting() as calls:
        build_app()
    print(calls.by_kind, calls.total)

Nothing here changes what is sent; the wrapper costs a few microseconds per request, so time
a synth without it.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsii._kernel.providers import process

_KINDS = {
    "CreateRequest": "create",
    "GetRequest": "get",
    "SetRequest": "set",
    "StaticGetRequest": "static get",
    "StaticSetRequest": "static set",
    "InvokeRequest": "invoke",
    "StaticInvokeRequest": "static invoke",
    "_CompleteRequest": "callback answer",
    "CompleteRequest": "callback answer",
    "CallbacksRequest": "callbacks",
    "DeleteRequest": "delete",
    "LoadRequest": "load",
    "BeginRequest": "begin",
    "StaticBeginRequest": "static begin",
    "EndRequest": "end",
}
_ROOT = Path(__file__).resolve().parents[1]
_OWN_CODE = tuple(str(_ROOT / part) for part in ("cora_constructs", "stacks", "benchmarks", "tests"))


@dataclass
class Calls:
    """The requests counted inside one :func:`counting` block."""

    by_kind: Counter[str] = field(default_factory=Counter)
    by_target: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_site: Counter[str] = field(default_factory=Counter)
    seconds_by_target: Counter[tuple[str, str]] = field(default_factory=Counter)
    sites: bool = False

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def record(self, request: Any, seconds: float) -> None:
        kind = _KINDS.get(type(request).__name__, type(request).__name__)
        self.by_kind[kind] += 1
        target = (kind, _target(request))
        self.by_target[target] += 1
        self.seconds_by_target[target] += seconds
        if self.sites:
            self.by_site[_call_site()] += 1


def _target(request: Any) -> str:
    """What a request names: the class of a create, the property of a get, the method of an invoke
    (with the class of the object or the static's class, e.g. ``aws_lambda.Function.node``)."""
    owner = getattr(request, "fqn", None)
    objref = getattr(request, "objref", None)
    if objref is not None:
        owner = str(objref.ref).rpartition("@")[0]
    name = getattr(request, "property", None) or getattr(request, "method", None)
    text = ".".join(part for part in (owner, name) if isinstance(part, str) and part)
    return text.removeprefix("aws-cdk-lib.")


def _call_site() -> str:
    """The innermost frame of this project's code that made the request (file:line function)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(_OWN_CODE) and not name.endswith("jsii_calls.py"):
            return f"{Path(name).relative_to(_ROOT)}:{frame.f_lineno} {frame.f_code.co_name}"
        frame = frame.f_back  # type: ignore[assignment]
    return "(outside the project)"


@contextmanager
def counting(*, sites: bool = False) -> Iterator[Calls]:
    """Count every jsii request made inside the block (``sites``: also where it was made)."""
    calls = Calls(sites=sites)
    original = process._NodeProcess.send

    def send(self: Any, request: Any, response_type: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(self, request, response_type)
        finally:
            # A request answered by a callback is timed up to the callback, which is its own request.
            calls.record(request, time.perf_counter() - start)

    process._NodeProcess.send = send  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        process._NodeProcess.send = original  # type: ignore[method-assign]
