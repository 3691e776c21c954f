"""One exception hierarchy for every standard the constructs enforce."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``code`` (e.g. ``CORA-L2``), where it happened, and a message with the fix."""

    code: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} {self.path}: {self.message}"


class CoraValidationError(ValueError):
    """Raised at synth time when a construct is asked to break a CORA standard.

    Every problem found is collected first and raised once; ``violations`` lists them and
    ``str(error)`` prints one per line: rule code, construct path or file, what is wrong, the fix.
    """

    def __init__(self, violations: Iterable[Violation]) -> None:
        self.violations: tuple[Violation, ...] = tuple(violations)
        super().__init__("\n".join(str(v) for v in self.violations))

    @classmethod
    def single(cls, code: str, path: str, message: str) -> CoraValidationError:
        return cls([Violation(code, path, message)])

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(v.code for v in self.violations)
