"""A count an append depends on: the contact cap, kept exact across threads and processes.

A communication decision sends only while the customer's messages of the week stay under the
cap, so the count it was taken on must still hold when it is recorded. The ledger re-counts
inside the transaction that appends (under the lock that orders its chain); if another writer
recorded a message meanwhile, the append is refused with ``StaleCountError`` and the decision
is taken again on the new count. Optimistic, like the profiles' compare-and-set: no lock is held
while deciding.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CountGuard:
    customer_id: str
    kind: str
    action: str
    since: float
    """Event time (seconds since the epoch) from which decisions count."""
    expected: int
    """The count the decision was taken on."""


class StaleCountError(RuntimeError):
    """Another writer recorded a counted decision meanwhile: decide again."""

    def __init__(self, guard: CountGuard, found: int) -> None:
        super().__init__(
            f"{guard.kind}/{guard.action} decisions for the customer: decided on "
            f"{guard.expected}, {found} recorded meanwhile"
        )
        self.found = found
