"""Each signal means what it says, and says why."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from array import array
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from river import drift

from rapport import Engine
from rapport.profiles.families.rhythm_change import PageHinkley
from rapport.signals import SIGNALS
from rapport.signals.metrics import roc_auc
from rapport.signals.onset import onset_days_ago
from tests.profiles.samples import at, debit, event, salary

DAY = 86400.0


def signals(engine: Engine, customer: str = "c1", when: str | None = None) -> dict[str, Any]:
    return engine.profile(customer, at=when).signals


def repayment(event_id: str, when: str, days_late: int) -> dict[str, Any]:
    return event(
        event_id, "repayment", {"account_id": "a", "amount": 100.0, "days_late": days_late}, when
    )


def steady_life(days: int = 120, late_from: int | None = None) -> list[dict[str, Any]]:
    """Monthly pay, daily groceries, a login a day at 9am, and monthly repayments: on time,
    or 30 days late from ``late_from`` on."""
    events: list[dict[str, Any]] = []
    for d in range(days):
        events.append(debit(f"g{d}", at(d, 3), 30.0 + (d * 7) % 11))
        events.append(event(f"l{d}", "login", {"success": True}, at(d, 0.5)))
        if d % 30 == 0:
            events.append(salary(f"s{d}", at(d, 1), 3000.0, balance_after=5000.0))
            late = late_from is not None and d >= late_from
            events.append(repayment(f"r{d}", at(d, 2), 30 if late else -2))
    return events


def test_every_signal_is_a_score_in_the_unit_interval_with_reasons() -> None:
    engine = Engine("memory://")
    engine.ingest(steady_life(60))
    found = signals(engine)
    assert set(found) == {s.name for s in SIGNALS}
    for value in found.values():
        assert 0.0 <= value.score <= 1.0
        assert all(0.0 <= r.weight <= 1.0 and r.text for r in value.reasons)


def test_thirty_days_late_raises_stress() -> None:
    engine = Engine("memory://")
    engine.ingest(steady_life(125, late_from=90))
    before = signals(engine, when=at(89))["financial_stress"].score
    after = signals(engine)["financial_stress"]
    assert after.score > before + 0.3
    assert after.reasons[0].code in {"late_repayments", "days_past_due"}


def test_gambling_surge_raises_a_vulnerability_flag_with_its_start() -> None:
    engine = Engine("memory://")
    engine.ingest(steady_life(60))
    assert "gambling_surge" not in {f.code for f in signals(engine)["vulnerability"].flags}
    surge = [
        debit(f"bet{d}", at(60 + d, 22), 60.0, merchant="casino", mcc="7995") for d in range(10)
    ]
    engine.ingest(surge)
    vulnerability = signals(engine)["vulnerability"]
    flag = {f.code: f for f in vulnerability.flags}["gambling_surge"]
    started = dt.datetime.fromisoformat(at(60)).timestamp()
    assert abs(flag.started_at - started) < 5 * DAY
    assert "gambling_surge" in {r.code for r in vulnerability.reasons}
    assert vulnerability.score >= 0.5


def test_missing_salary_raises_income_shock_dated_at_the_missed_pay_day() -> None:
    engine = Engine("memory://")
    engine.ingest(steady_life(90))  # salaries on days 0, 30, 60
    calm = signals(engine, when=at(89))["vulnerability"]
    assert "income_shock" not in {f.code for f in calm.flags}
    late = signals(engine, when=at(110))["vulnerability"]
    flag = {f.code: f for f in late.flags}["income_shock"]
    expected = dt.datetime.fromisoformat(at(90, 1)).timestamp()
    assert abs(flag.started_at - expected) < 2 * DAY


def test_steady_habits_raise_no_rhythm_alarm_over_a_long_history() -> None:
    rnd = random.Random(5)
    engine = Engine("memory://")
    events = []
    for d in range(365):
        for k in range(rnd.choice((1, 2, 2, 3))):
            events.append(debit(f"d{d}-{k}", at(d, 2 + k), round(rnd.lognormvariate(3.4, 0.5), 2)))
    engine.ingest(events)
    profile = engine.profile("c1")
    assert profile.features["rhythm_changes"].value == 0
    assert profile.signals["rhythm_change"].score == 0.0


def test_a_step_change_in_spending_raises_a_rhythm_alarm_near_its_onset() -> None:
    rnd = random.Random(6)
    engine = Engine("memory://")
    events = []
    for d in range(120):
        scale = 1.0 if d < 70 else 12.0  # day 70: spending multiplies
        events.append(debit(f"d{d}", at(d, 3), round(scale * rnd.lognormvariate(3.0, 0.3), 2)))
    engine.ingest(events)
    profile = engine.profile("c1", at=at(80))
    assert profile.features["rhythm_change_direction"].value == 1.0
    onset_ago = profile.features["rhythm_change_onset_days_ago"].value
    assert 8 <= onset_ago <= 13  # the change began ten days before day 80
    flag = profile.signals["rhythm_change"].flags[0]
    assert flag.code == "spending_risen"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=200), st.integers(0, 2**16))
def test_page_hinkley_raises_the_same_alarms_as_river(values: list[float], seed: int) -> None:
    rnd = random.Random(seed)
    series = values + [rnd.gauss(3.0, 1.0) for _ in range(60)]  # often enough to alarm
    ours = PageHinkley(min_instances=10, delta=0.1, threshold=5.0, alpha=0.9999)
    theirs = drift.PageHinkley(min_instances=10, delta=0.1, threshold=5.0, alpha=0.9999)
    state = array("d", bytes(8 * PageHinkley.size))
    ours.reset(state, 0)
    for i, x in enumerate(series):
        alarm = ours.update(state, 0, x, float(i))
        theirs.update(x)  # type: ignore[no-untyped-call]  # river is not typed
        assert bool(alarm) == theirs.drift_detected, i
        if alarm:
            ours.reset(state, 0)


@given(st.floats(0.5, 80.0))
def test_onset_is_read_back_from_two_half_lives(days_ago: float) -> None:
    def decayed(half_life: float) -> float:
        return half_life / math.log(2) * (1 - 2 ** (-days_ago / half_life))

    assert onset_days_ago(decayed(7.0), decayed(30.0), 7.0, 30.0) == pytest.approx(
        days_ago, rel=1e-3
    )


@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=30),
    st.lists(st.floats(0, 1), min_size=1, max_size=30),
)
def test_roc_auc_equals_the_pairwise_definition(pos: list[float], neg: list[float]) -> None:
    pairs = list(itertools.product(pos, neg))
    expected = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)
    assert roc_auc(pos, neg) == pytest.approx(expected)


def test_signals_are_in_the_json_profile() -> None:
    engine = Engine("memory://")
    engine.ingest(steady_life(40))
    document = engine.profile("c1").to_dict()
    signals_json = document["signals"]
    assert isinstance(signals_json, dict)
    assert set(signals_json) == {s.name for s in SIGNALS}
