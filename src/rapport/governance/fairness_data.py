"""The fairness monitor's table, built from the ledger, the protected store and the outcomes.

One row per decision of a monitored kind: its kind, time, action and whether that action is
favorable, its score, the customer's protected attributes (joined by customer id from the
protected store: the only place they are read) and, where an outcome is known, whether it was
bad. Outcomes join through the learning layer's outcome join (``rapport.learning.outcomes``):
a ``credit_outcome`` by its ``decision_id`` (or the credit decision in force), a
``fraud_report`` by its transaction to the fraud decision that transaction triggered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pandas as pd

from rapport.decisions.record import Decision
from rapport.events.model import BaseEvent
from rapport.events.validation import EventRejectedError, parse_event
from rapport.governance.fairness import BAD, FAVORABLE, KIND, SCORE, age_band
from rapport.governance.fairness_policy import FairnessPolicy
from rapport.governance.ledger import DecisionLedger
from rapport.governance.protected import ProtectedStore, ProtectedValue
from rapport.learning.outcomes import JoinedOutcome, join
from rapport.store.protocols import EventLog

LABELLED_OUTCOMES = ("credit_outcome", "fraud_report")
"""Outcome types that say whether a monitored decision's customer turned out bad."""


def ledger_decisions(ledger: DecisionLedger) -> Iterator[Decision]:
    """Every readable decision in chain order (an erased customer's are left out)."""
    yield from ledger.records()


def logged_outcomes(events: EventLog) -> Iterator[BaseEvent]:
    """The outcome events in an event log, in arrival order."""
    for record in events.scan(types=LABELLED_OUTCOMES):
        try:
            yield parse_event(record.body)
        except EventRejectedError:
            continue  # an erased customer's event no longer parses: it has no outcome to give


def outcome_labels(events: Iterable[BaseEvent], ledger: DecisionLedger) -> dict[str, float]:
    """Decision id -> 1.0 if its outcome turned out bad (default, delinquency, confirmed fraud),
    0.0 if good. A decision with several outcomes keeps the worst: a delinquency stays one."""
    labels: dict[str, float] = {}
    for event in events:
        joined = join(event, ledger)
        if isinstance(joined, JoinedOutcome) and joined.label is not None:
            decision_id = joined.decision.decision_id
            labels[decision_id] = max(labels.get(decision_id, 0.0), joined.label)
    return labels


def decision_table(
    decisions: Iterable[Decision],
    protected: ProtectedStore | Mapping[str, Mapping[str, ProtectedValue]],
    labels: Mapping[str, float],
    settings: FairnessPolicy,
) -> pd.DataFrame:
    """The monitor's table (see :mod:`rapport.governance.fairness` for its columns), with
    ``decision_id``, ``customer_id``, ``time`` and ``action`` beside them."""
    favorable = {kind: set(actions) for kind, actions in settings.favorable_actions.items()}
    rows: list[dict[str, Any]] = []
    for decision in decisions:
        if decision.kind not in favorable:
            continue
        rows.append(
            {
                "decision_id": decision.decision_id,
                "customer_id": decision.customer_id,
                KIND: decision.kind,
                "time": decision.event_time,
                "action": decision.action,
                FAVORABLE: decision.action in favorable[decision.kind],
                SCORE: float(decision.score),
                BAD: labels.get(decision.decision_id, float("nan")),
                "policy_version": decision.policy_version,
            }
        )
    columns = ["decision_id", "customer_id", KIND, "time", "action", FAVORABLE, SCORE, BAD]
    table = pd.DataFrame(rows, columns=[*columns, "policy_version"])
    table["time"] = pd.to_datetime(table["time"], utc=True, format="ISO8601")
    customers = table["customer_id"].unique().tolist()
    values = (
        protected.get_many(customers)
        if hasattr(protected, "get_many")
        else {c: dict(protected[c]) for c in customers if c in protected}
    )
    wanted = {"age" if name == "age_band" else name for name in settings.attributes}
    for name in sorted(wanted):
        table[name] = [_value(values.get(c, {}).get(name)) for c in table["customer_id"]]
    if "age_band" in settings.attributes:
        table["age_band"] = [age_band(age, settings.age_bands) for age in table["age"]]
    return table


def _value(value: ProtectedValue) -> object:
    """Protected values as groups: text as is, numbers kept numeric (age), missing as None."""
    if value is None or isinstance(value, int | float):
        return value
    return str(value)
