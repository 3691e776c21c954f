"""The GitHub Actions the generated workflows use, pinned by full commit SHA (one place).

Updating an action is a one-line change here followed by `cora manifest generate`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ActionPin:
    """An action pinned to the commit its release tag pointed to."""

    repository: str
    version: str
    commit: str

    @property
    def uses(self) -> str:
        """The ``uses:`` value; the version goes in the trailing comment."""
        return f"{self.repository}@{self.commit}"


CHECKOUT = ActionPin("actions/checkout", "v4.2.2", "11bd71901bbe5b1630ceea73d27597364c9af683")
SETUP_PYTHON = ActionPin("actions/setup-python", "v5.6.0", "a26af69be951a213d495a4c3e4e4022e16d87065")
SETUP_NODE = ActionPin("actions/setup-node", "v4.4.0", "49933ea5288caeca8642d1e84afbd3f7d6820020")
CACHE = ActionPin("actions/cache", "v4.2.3", "5a3ec84eff668545956fd18022155c47e93e2684")
CONFIGURE_AWS_CREDENTIALS = ActionPin(
    "aws-actions/configure-aws-credentials", "v4.0.2", "e3dd6a429d7300a6a4c196c26e071d42e0343502"
)

ACTION_PINS: tuple[ActionPin, ...] = (CHECKOUT, SETUP_PYTHON, SETUP_NODE, CACHE, CONFIGURE_AWS_CREDENTIALS)
