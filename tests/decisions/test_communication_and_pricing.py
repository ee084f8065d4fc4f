"""Communication keeps the contact policy; pricing stays in its band and follows risk."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import pytest

from rapport import Engine
from tests.decisions.test_credit_and_offers import good_payer, repayment, statement
from tests.profiles.samples import at, event


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_the_weekly_cap_holds_under_a_burst_of_requests(store: str, tmp_path: Path) -> None:
    engine = Engine("memory://" if store == "memory" else tmp_path / "r.db")
    engine.ingest(good_payer())
    with ThreadPoolExecutor(max_workers=8) as pool:
        decisions = list(
            pool.map(
                lambda i: engine.decide(
                    "communication", "c1", request_id=f"req-{i}", context={"purpose": "service"}
                ),
                range(20),
            )
        )
    sent = [d for d in decisions if d.action == "send"]
    assert len(sent) == 3
    held = [d for d in decisions if d.action == "hold_off"]
    assert len(held) == 17
    assert all(d.reasons[0].code == "COM_CAP" for d in held)


def test_messages_avoid_quiet_hours_and_turn_supportive_under_stress() -> None:
    engine = Engine("memory://")
    logins = [
        event(f"l{d}", "login", {"success": True}, at(d, 14)) for d in range(20)
    ]  # 23:00 local
    engine.ingest(logins)
    calm = engine.decide("communication", "c1", request_id="r1", context={"purpose": "offer"})
    assert calm.action == "send"
    hour = calm.details["send_hour"]
    assert isinstance(hour, int)
    assert 8 <= hour < 21
    assert calm.details["tone"] == "promotional"
    engine.ingest(
        [
            event(
                f"p{i}", "page_view", {"session_id": f"s{i}", "page": "/help/hardship"}, at(20, i)
            )
            for i in range(6)
        ]
    )
    offer = engine.decide("communication", "c1", request_id="r2", context={"purpose": "offer"})
    assert offer.action == "hold_off"
    service = engine.decide("communication", "c1", request_id="r3", context={"purpose": "service"})
    assert service.details["tone"] == "supportive"


def test_prices_stay_in_the_band_and_rise_with_risk() -> None:
    steady = Engine("memory://")
    steady.ingest(good_payer())
    shaky = Engine("memory://")
    events = []
    for m in range(4):
        events.append(statement(f"st{m}", at(30 * m + 5), 2950.0))
        events.append(repayment(f"r{m}", at(30 * m + 40), 50.0, 35))
    shaky.ingest(events)
    low = steady.decide("pricing", "c1", request_id="q1", context={"product": "personal_loan"})
    high = shaky.decide("pricing", "c1", request_id="q1", context={"product": "personal_loan"})
    low_rate, high_rate = low.details["rate"], high.details["rate"]
    assert isinstance(low_rate, float)
    assert isinstance(high_rate, float)
    assert 0.059 <= low_rate < high_rate <= 0.199
    unknown = steady.decide("pricing", "c1", request_id="q2", context={"product": "yacht"})
    assert unknown.action == "no_price"
    original, again = steady.replay(low.decision_id)
    assert original.outcome() == again.outcome()


def _burst(db: str, worker: int, start: Barrier) -> list[str]:
    with Engine(db) as engine:
        start.wait(timeout=60)
        return [
            engine.decide(
                "communication", "c1", request_id=f"w{worker}-{i}", context={"purpose": "service"}
            ).action
            for i in range(12)
        ]


def test_the_weekly_cap_holds_across_processes(tmp_path: Path) -> None:
    # Two serving processes (rapport serve --workers 2) each answer a burst for one customer:
    # the ledger re-checks the count as it records a message, so the cap holds across them.
    db = str(tmp_path / "r.db")
    with Engine(db) as engine:
        engine.ingest(good_payer())
        engine.decisions  # noqa: B018 - creates the ledger before the workers race to
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Barrier(2)
        with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
            actions = [a for w in pool.map(_burst, [db, db], [0, 1], [start, start]) for a in w]
    assert actions.count("send") == 3
    assert actions.count("hold_off") == 21
