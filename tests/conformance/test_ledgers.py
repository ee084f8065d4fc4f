"""Every DecisionLedger answers the outcome join's lookups the same way."""

from __future__ import annotations

import datetime as dt

from rapport.decisions.record import Decision
from rapport.governance.ledger import DecisionLedger, verify


def _decision(n: int, customer: str, kind: str, trigger: str, day: int) -> Decision:
    return Decision(
        decision_id=f"dec-{n}",
        kind=kind,
        customer_id=customer,
        trigger_event_id=trigger,
        event_time=f"2026-01-{day:02d}T12:00:00+00:00",
        inputs={},
        candidates=[],
        action="hold",
        score=0.1,
        propensity=1.0,
        reasons=[],
        policy_version="p",
        model_versions={},
        seed=0,
    )


def _epoch(day: int) -> float:
    return dt.datetime(2026, 1, day, 12, tzinfo=dt.UTC).timestamp()


def test_find_by_trigger_names_the_kind(ledger: DecisionLedger) -> None:
    ledger.append(_decision(1, "c1", "fraud", "tx-1", 3))
    ledger.append(_decision(2, "c1", "next_best_action", "tx-1", 3))
    found = ledger.find("fraud", "tx-1")
    assert found is not None
    assert found.decision_id == "dec-1"
    assert ledger.find("credit_limit", "tx-1") is None
    assert ledger.find("fraud", "tx-2") is None


def test_latest_is_the_decision_in_force_at_that_time(ledger: DecisionLedger) -> None:
    ledger.append(_decision(1, "c1", "credit_limit", "st-1", 2))
    ledger.append(_decision(2, "c1", "credit_limit", "st-2", 9))
    ledger.append(_decision(3, "c2", "credit_limit", "st-3", 5))
    before_second = ledger.latest("c1", "credit_limit", _epoch(5))
    assert before_second is not None
    assert before_second.decision_id == "dec-1"
    after = ledger.latest("c1", "credit_limit", _epoch(20))
    assert after is not None
    assert after.decision_id == "dec-2"
    assert ledger.latest("c1", "credit_limit", _epoch(1)) is None
    assert ledger.latest("c1", "fraud", _epoch(20)) is None
    assert verify(ledger).ok
