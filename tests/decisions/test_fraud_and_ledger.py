"""Fraud decisions mean what they say; the ledger chains, verifies, and replays them exactly."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import msgspec
import pytest

from rapport import Engine
from rapport.governance.ledger import SqliteLedger, verify
from tests.profiles.samples import at, debit, event

HOME = {"lat": 48.85, "lon": 2.35, "country": "FR"}


def habits(customer: str = "c1", days: int = 40) -> list[dict[str, Any]]:
    return [
        debit(
            f"{customer}-g{d}",
            at(d, 3),
            30.0 + d % 7,
            merchant=f"m{d % 3}",
            customer=customer,
            device_id=f"{customer}-phone",
            location=HOME,
        )
        for d in range(days)
    ]


def test_far_outside_habits_at_a_defrauded_merchant_scores_higher() -> None:
    engine = Engine("memory://")
    engine.ingest(habits())
    # The merchant "shady" has had confirmed frauds.
    victims = [
        debit(f"v{i}", at(30, i), 80.0, merchant="shady", customer=f"v{i}") for i in range(4)
    ]
    engine.ingest(victims)
    engine.ingest(
        [
            event(
                f"r{i}",
                "fraud_report",
                {"transaction_event_id": f"v{i}", "is_fraud": True},
                at(35),
                customer=f"v{i}",
            )
            for i in range(4)
        ]
    )
    ordinary = engine.decide_transaction(
        debit("t1", at(40, 3), 33.0, merchant="m1", device_id="c1-phone", location=HOME)
    )
    odd = engine.decide_transaction(
        debit(
            "t2",
            at(40, 4),
            900.0,
            merchant="shady",
            device_id="c1-laptop",
            location={"lat": 40.7, "lon": -74.0, "country": "US"},
        )
    )
    assert odd.score > 10 * ordinary.score
    assert ordinary.action == "approve"
    assert odd.action in {"step_up", "decline"}
    codes = [r.code for r in odd.reasons]
    assert "FRD_AMOUNT" in codes
    assert "FRD_MERCHANT_RISK" in {r.code for r in odd.reasons} or len(codes) == 4


def test_a_decision_is_taken_before_the_transaction_is_applied() -> None:
    engine = Engine("memory://")
    engine.ingest(habits())
    before = engine.profile("c1").values()
    engine.decide_transaction(debit("t1", at(40, 3), 33.0, merchant="m1", location=HOME))
    assert engine.profile("c1").values() == before


def test_guardrail_forces_a_step_up_and_says_why() -> None:
    engine = Engine("memory://")
    engine.ingest(habits())
    engine.ingest([event("f1", "login", {"success": False}, at(40, 1), device_id="stranger")])
    decision = engine.decide_transaction(
        debit(
            "t1", at(40, 2), 35.0, merchant="m1", device_id="stranger", channel="web", location=HOME
        )
    )
    assert decision.action == "step_up"
    assert decision.reasons[0].code == "GRD_TAKEOVER_PATTERN"


def test_same_history_same_decision_ids_and_replay_reproduces(tmp_path: Path) -> None:
    outcomes = []
    for run in range(2):
        with Engine(tmp_path / f"run{run}.db") as engine:
            engine.ingest(habits())
            decision = engine.decide_transaction(
                debit("t1", at(40, 3), 500.0, merchant="m9", location=HOME)
            )
            original, again = engine.replay(decision.decision_id)
            assert original.outcome() == again.outcome()
            outcomes.append(original.outcome())
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_the_chain_verifies_and_a_repeat_is_not_chained_twice(store: str, tmp_path: Path) -> None:
    engine = Engine("memory://" if store == "memory" else tmp_path / "r.db")
    engine.ingest(habits())
    first = engine.decide_transaction(debit("t1", at(40, 3), 40.0, merchant="m1", location=HOME))
    engine.decide_transaction(debit("t2", at(40, 5), 45.0, merchant="m2", location=HOME))
    again = engine.decide_transaction(debit("t1", at(40, 3), 40.0, merchant="m1", location=HOME))
    assert again == first
    result = verify(engine.decisions.ledger)
    assert result.ok
    assert result.records == 2


def _tamper(path: Path, sql: str, *params: object) -> None:
    with sqlite3.connect(path) as db:
        db.execute(sql, params)


def test_an_altered_row_breaks_the_chain_and_is_named(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with Engine(path) as engine:
        engine.ingest(habits())
        ids = [
            engine.decide_transaction(
                debit(f"t{i}", at(40, i), 40.0 + i, merchant="m1", location=HOME)
            ).decision_id
            for i in range(1, 5)
        ]
    ledger = SqliteLedger(path)
    assert verify(ledger).ok
    stored = {record.position: record for record in ledger.scan()}[2]
    # A forger holding the customer's key opens the record, alters it and seals it again.
    forged = msgspec.structs.replace(ledger.read(stored), action="decline")
    _tamper(path, "UPDATE decisions SET body = ? WHERE seq = 2", ledger.sealer.seal(forged))
    result = verify(ledger)
    assert not result.ok
    assert result.broken_at == 2
    assert result.decision_id == ids[1]
    ledger.close()


def test_an_altered_index_column_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with Engine(path) as engine:
        engine.ingest(habits())
        for i in range(1, 4):
            engine.decide_transaction(
                debit(f"t{i}", at(40, i), 40.0 + i, merchant="m1", location=HOME)
            )
    # The action column is what the contact cap counts: it is covered by the hash too.
    _tamper(path, "UPDATE decisions SET action = 'decline' WHERE seq = 3")
    ledger = SqliteLedger(path)
    result = verify(ledger)
    assert (result.ok, result.broken_at) == (False, 3)
    ledger.close()


def test_a_removed_row_breaks_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with Engine(path) as engine:
        engine.ingest(habits())
        for i in range(1, 4):
            engine.decide_transaction(
                debit(f"t{i}", at(40, i), 40.0 + i, merchant="m1", location=HOME)
            )
    _tamper(path, "DELETE FROM decisions WHERE seq = 2")
    ledger = SqliteLedger(path)
    result = verify(ledger)
    assert not result.ok
    assert result.broken_at == 3
    assert "removed" in result.problem
    ledger.close()
