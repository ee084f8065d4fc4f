"""The outcome join: an outcome event finds the decision it answers, as that decision saw it.

- ``offer_response`` and ``message_event`` name their decision (``decision_id``);
- ``fraud_report`` names a transaction: it joins the ``fraud`` decision that transaction
  triggered, whenever the report arrives;
- ``credit_outcome`` joins its ``decision_id`` if it gives one, else the customer's latest
  ``credit_limit`` decision taken at or before the outcome.

A joined outcome carries the ledger record, whose ``inputs`` are the values the decision
actually used: learners learn from those, never from today's profile. An outcome that finds no
decision is reported (``Unjoined``, kept by ``OutcomeLog``), not dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rapport.decisions.record import Decision
from rapport.events.model import (
    BaseEvent,
    CreditOutcomeEvent,
    FraudReportEvent,
    MessageEvent,
    OfferResponseEvent,
)
from rapport.governance.ledger import DecisionLedger
from rapport.profiles.fold import event_type
from rapport.store.connect import connect, write_transaction
from rapport.store.urls import local_url

OUTCOME_TYPES = frozenset({"offer_response", "message_event", "fraud_report", "credit_outcome"})

# What each outcome says, as a label in [0, 1] for the decision it answers, or None when it is
# only a step on the way (a delivered message, a click before the answer).
_OFFER_LABELS: dict[str, float | None] = {
    "accepted": 1.0,
    "declined": 0.0,
    "ignored": 0.0,
    "clicked": None,
}
_MESSAGE_LABELS: dict[str, float | None] = {
    "delivered": None,
    "opened": 1.0,
    "clicked": 1.0,
    "unsubscribed": 0.0,
}
_CREDIT_LABELS: dict[str, float] = {"current": 0.0, "delinquent": 1.0, "default": 1.0}


@dataclass(frozen=True)
class JoinedOutcome:
    decision: Decision
    """The ledger record: its ``inputs`` are what the decision used."""
    event: BaseEvent
    """The outcome event itself."""
    label: float | None
    """1.0 the favourable/positive outcome of the kind (offer accepted, message opened, fraud
    confirmed, credit went bad), 0.0 the other, None an intermediate step."""


@dataclass(frozen=True)
class Unjoined:
    event_id: str
    type: str
    customer_id: str
    reason: str


class OutcomeLog(Protocol):
    """Where unjoinable outcomes are reported."""

    def report(self, unjoined: Sequence[Unjoined]) -> None:
        """Keep these outcomes (an ingested batch's), in order, in one write."""

    def unjoined(self, limit: int = 100) -> list[Unjoined]: ...

    def count(self) -> int: ...


class MemoryOutcomeLog:
    def __init__(self) -> None:
        self._rows: list[Unjoined] = []

    def report(self, unjoined: Sequence[Unjoined]) -> None:
        self._rows.extend(unjoined)

    def unjoined(self, limit: int = 100) -> list[Unjoined]:
        return self._rows[-limit:]

    def count(self) -> int:
        return len(self._rows)


class SqliteOutcomeLog:
    def __init__(self, path: str | Path) -> None:
        self.connection = connect(path)
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS unjoined_outcomes (event_id TEXT PRIMARY KEY, "
            "type TEXT NOT NULL, customer_id TEXT NOT NULL, reason TEXT NOT NULL)"
        )

    def report(self, unjoined: Sequence[Unjoined]) -> None:
        if not unjoined:
            return
        # One transaction for the batch: on its own, each INSERT would be a commit.
        with write_transaction(self.connection):
            self.connection.executemany(
                "INSERT OR IGNORE INTO unjoined_outcomes VALUES (?, ?, ?, ?)",
                [(u.event_id, u.type, u.customer_id, u.reason) for u in unjoined],
            )

    def unjoined(self, limit: int = 100) -> list[Unjoined]:
        rows = self.connection.execute(
            "SELECT event_id, type, customer_id, reason FROM unjoined_outcomes "
            "ORDER BY rowid DESC LIMIT ?",
            (limit,),
        )
        return [Unjoined(*map(str, row)) for row in rows][::-1]

    def count(self) -> int:
        return int(self.connection.execute("SELECT count(*) FROM unjoined_outcomes").fetchone()[0])

    def close(self) -> None:
        self.connection.close()


def join(event: BaseEvent, ledger: DecisionLedger) -> JoinedOutcome | Unjoined:
    """The decision an outcome answers, or why none could be found."""
    if isinstance(event, OfferResponseEvent | MessageEvent):
        named = event.payload.decision_id
        decision = ledger.get(named)
        if decision is None:
            return _unjoined(event, f"no decision {named!r} in the ledger")
        if decision.customer_id != event.customer_id:
            return _unjoined(event, f"decision {decision.decision_id!r} is another customer's")
        if isinstance(event, OfferResponseEvent):
            label = _OFFER_LABELS[event.payload.response]
        else:
            label = _MESSAGE_LABELS[event.payload.status]
        return JoinedOutcome(decision, event, label)
    if isinstance(event, FraudReportEvent):
        transaction = event.payload.transaction_event_id
        decision = ledger.find("fraud", transaction)
        if decision is None:
            return _unjoined(event, f"no fraud decision on transaction {transaction!r}")
        return JoinedOutcome(decision, event, 1.0 if event.payload.is_fraud else 0.0)
    if isinstance(event, CreditOutcomeEvent):
        credit_named = event.payload.decision_id
        if credit_named:
            decision = ledger.get(credit_named)
            if decision is None:
                return _unjoined(event, f"no decision {credit_named!r} in the ledger")
        else:
            decision = ledger.latest(event.customer_id, "credit_limit", event.epoch)
            if decision is None:
                return _unjoined(event, "no credit_limit decision before this outcome")
        return JoinedOutcome(decision, event, _CREDIT_LABELS[event.payload.status])
    return _unjoined(event, f"{event_type(event)!r} is not an outcome")


def _unjoined(event: BaseEvent, reason: str) -> Unjoined:
    return Unjoined(event.event_id, event_type(event), event.customer_id, reason)


def open_outcome_log(url: str) -> OutcomeLog:
    """The outcome log beside the stores a URL names (``memory://`` or a SQLite file)."""
    if url == "memory://":
        return MemoryOutcomeLog()
    return SqliteOutcomeLog(local_url(url).removeprefix("sqlite:///"))
