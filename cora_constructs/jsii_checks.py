"""jsii's runtime type checks, skipped for the calls the library makes with its own values (no
CDK import).

Every method and struct of the CDK's Python bindings re-checks each argument against its type
hints (``typeguard``) before the request goes to Node: about 0.85 ms of Python per
``aws_lambda.Function``, the largest single part of a StandardLambda's Python
(benchmarks/README.md, "Issue 18, third pass"). The library's own arguments (the role it
builds, the log group, the alias, the routes, the overrides) are checked statically (mypy) and
by its tests, and are the same values every time; only a team's values can be of a wrong
type. So :func:`library_calls` switches the runtime check off for the calls the library makes,
and :func:`team_calls` switches it back on around anything a team wrote (an authorizer
factory) or passed (a ``function_options`` value) inside.

The check is jsii's, not removed from the bindings: ``jsii._type_checking.check_type`` calls
the implementation held in ``_resolved_check``, which :func:`library_calls` swaps for one that
accepts everything, and restores on the way out (exception or not). A jsii without that hook
(older or newer than this was written against) keeps every check: nothing is skipped, the synth
is only slower. ``CORA_JSII_CHECKS=all`` in the environment keeps every check too (to debug a
bad argument the library passes: jsii then names it in Python instead of Node).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

ENV_KEEP_CHECKS = "CORA_JSII_CHECKS"
"""``CORA_JSII_CHECKS=all``: keep jsii's type check on every call, the library's too."""

try:  # pragma: no branch - the hook is there on the jsii this library pins
    from jsii import _type_checking as _hook
except ImportError:  # pragma: no cover - a jsii without the module keeps every check
    _hook = None  # type: ignore[assignment]


def _accept(**_arguments: Any) -> None:
    """The check while the library calls: every value passes (typed and tested already)."""
    return None


def _hooked() -> bool:
    return _hook is not None and hasattr(_hook, "_resolved_check") and hasattr(_hook, "_resolve_check")


_real: Callable[..., Any] | None = None
"""jsii's own check implementation, as the outermost :func:`library_calls` found it (for
:func:`team_calls` inside)."""


def skipping() -> bool:
    """Whether jsii's type check is switched off right now (inside :func:`library_calls`)."""
    return _hooked() and _hook._resolved_check is _accept


@contextmanager
def library_calls() -> Iterator[None]:
    """Within this block, the CDK calls skip jsii's runtime argument check (see the module)."""
    if not _hooked() or os.environ.get(ENV_KEEP_CHECKS, "").strip().lower() == "all":
        yield
        return
    global _real
    if _hook._resolved_check is None:
        _hook._resolve_check()  # jsii resolves its check lazily: resolved once, then kept here
    previous = _hook._resolved_check
    if previous is not _accept:
        _real = previous
    _hook._resolved_check = _accept
    try:
        yield
    finally:
        _hook._resolved_check = previous


@contextmanager
def team_calls() -> Iterator[None]:
    """Within a :func:`library_calls` block, every call checked again (a team's code or values)."""
    if not skipping():
        yield
        return
    _hook._resolved_check = _real
    try:
        yield
    finally:
        _hook._resolved_check = _accept


def require_str(where: str, **values: object) -> None:
    """A TypeError naming every argument of ``where`` that is not a str: the check jsii's would
    have made of values the library then passes inside :func:`library_calls`."""
    wrong = [f"{name} must be a str, got {type(value).__name__}" for name, value in values.items()
             if not isinstance(value, str)]  # fmt: skip
    if wrong:
        raise TypeError(f"{where}: " + "; ".join(wrong))
