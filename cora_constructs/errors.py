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

    def report(self) -> str:
        """Every violation, sorted by file or construct path, then a count per rule code."""
        ordered = sorted(self.violations, key=lambda v: (v.path, v.code, v.message))
        counts: dict[str, int] = {}
        for violation in ordered:
            counts[violation.code] = counts.get(violation.code, 0) + 1
        summary = ", ".join(f"{code}: {n}" for code, n in sorted(counts.items()))
        noun = "problem" if len(ordered) == 1 else "problems"
        return "\n".join([*(str(v) for v in ordered), f"{len(ordered)} {noun} ({summary})"])
