"""Every DecisionLedger answers the outcome join's lookups the same way."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from rapport.decisions.record import Decision
from rapport.governance.ledger import DecisionLedger, verify
from rapport.governance.ledger_guard import CountGuard, StaleCountError


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


def test_an_id_already_stored_is_not_stored_again(ledger: DecisionLedger) -> None:
    first = ledger.append(_decision(1, "c1", "fraud", "tx-1", 3))
    ledger.append(_decision(2, "c1", "fraud", "tx-2", 4))
    again = ledger.append(_decision(1, "c1", "fraud", "tx-1", 3))
    assert (again.hash, again.prev_hash) == (first.hash, first.prev_hash)
    stored = list(ledger.scan())
    assert [r.decision_id for r in stored] == ["dec-1", "dec-2"]
    assert [r.position for r in stored] == [1, 2]
    assert stored[1].prev_hash == stored[0].hash == first.hash
    assert verify(ledger).ok


def test_counts_policies_and_erasure(ledger: DecisionLedger) -> None:
    for n, day in enumerate((2, 4, 6), start=1):
        ledger.append(_decision(n, "c1", "communication", f"r-{n}", day))
    ledger.append(_decision(4, "c2", "communication", "r-4", 6))
    assert ledger.count("c1", "communication", "hold", _epoch(4)) == 2
    assert ledger.count("c1", "communication", "send", 0.0) == 0
    ledger.save_policy("v1", "text one")
    ledger.save_policy("v1", "text two")  # a version's text never changes
    assert ledger.policy_text("v1") == "text one"
    assert ledger.policy_text("v2") is None
    assert ledger.erase("c1") == 3
    # Detached from the customer: no longer counted or found by customer, still chained.
    assert ledger.count("c1", "communication", "hold", 0.0) == 0
    assert ledger.latest("c1", "communication", _epoch(20)) is None
    assert ledger.count("c2", "communication", "hold", 0.0) == 1
    assert [d.decision_id for d in ledger.records()] == ["dec-1", "dec-2", "dec-3", "dec-4"]
    assert verify(ledger).ok


def _send(n: int, customer: str, day: int) -> Decision:
    return msgspec.structs.replace(
        _decision(n, customer, "communication", f"req-{n}", day), action="send"
    )


def test_a_guarded_append_refuses_a_stale_count(ledger: DecisionLedger) -> None:
    since = _epoch(1)
    ledger.append(_send(1, "c1", 2))
    stale = CountGuard("c1", "communication", "send", since, expected=0)
    with pytest.raises(StaleCountError) as refused:
        ledger.append(_send(2, "c1", 3), stale)
    assert refused.value.found == 1
    assert ledger.get("dec-2") is None  # nothing stored
    fresh = CountGuard("c1", "communication", "send", since, expected=1)
    assert ledger.append(_send(2, "c1", 3), fresh).decision_id == "dec-2"
    assert ledger.count("c1", "communication", "send", since) == 2
    # Another customer's sends are not this customer's count.
    other = CountGuard("c2", "communication", "send", since, expected=0)
    assert ledger.append(_send(3, "c2", 3), other).decision_id == "dec-3"
    assert verify(ledger).ok
