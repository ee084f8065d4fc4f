"""Each feature family means what its description says."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport import Engine, EngineConfig
from rapport.profiles import build_layouts
from tests.profiles.samples import at, debit, event, salary, sample_events


@pytest.fixture
def engine() -> Engine:
    return Engine("memory://")


def values(engine: Engine, customer: str = "c1", when: str | None = None) -> dict[str, float]:
    return engine.profile(customer, at=when).values()


def test_an_unusual_amount_stands_out_against_the_customers_own_baseline(engine: Engine) -> None:
    engine.ingest([debit(f"t{i}", at(i), 20.0 + i % 5) for i in range(30)])
    usual = values(engine)["last_debit_amount_zscore"]
    engine.ingest([debit("big", at(30), 900.0)])
    unusual = values(engine)["last_debit_amount_zscore"]
    assert abs(usual) < 1.5
    assert unusual > 5.0


def test_baseline_is_the_customers_own(engine: Engine) -> None:
    """900 is ordinary for a customer who always spends about 900."""
    engine.ingest([debit(f"t{i}", at(i), 880.0 + i % 7 * 10, customer="rich") for i in range(30)])
    engine.ingest([debit("t-last", at(30), 900.0, customer="rich")])
    assert abs(values(engine, "rich")["last_debit_amount_zscore"]) < 1.5


def test_merchant_device_and_country_novelty(engine: Engine) -> None:
    home = {"lat": 48.85, "lon": 2.35, "country": "FR"}
    engine.ingest(
        [
            debit(f"t{i}", at(i), 30.0, merchant="grocer", device_id="phone", location=home)
            for i in range(10)
        ]
    )
    known = values(engine)
    assert (
        known["last_merchant_is_new"],
        known["last_device_is_new"],
        known["last_country_is_new"],
    ) == (0, 0, 0)
    abroad = {"lat": 40.71, "lon": -74.0, "country": "US"}
    engine.ingest(
        [debit("odd", at(10), 30.0, merchant="unknown-shop", device_id="laptop", location=abroad)]
    )
    novel = values(engine)
    assert (
        novel["last_merchant_is_new"],
        novel["last_device_is_new"],
        novel["last_country_is_new"],
    ) == (1, 1, 1)
    assert novel["new_merchant_share_7d"] > known["new_merchant_share_7d"]
    assert known["familiar_merchants"] == 1


def test_impossible_travel_shows_as_speed(engine: Engine) -> None:
    paris = {"lat": 48.85, "lon": 2.35, "country": "FR"}
    new_york = {"lat": 40.71, "lon": -74.0, "country": "US"}
    engine.ingest(
        [debit("a", at(0), 10.0, location=paris), debit("b", at(0, 1), 10.0, location=new_york)]
    )
    features = values(engine)
    assert 5800 < features["last_distance_km"] < 5900
    assert features["last_speed_kmh"] > 5000


def test_regular_salary_is_regular_and_a_missed_one_is_overdue(engine: Engine) -> None:
    engine.ingest([salary(f"s{m}", at(30 * m), 3000.0) for m in range(6)])
    steady = values(engine)
    assert steady["salary_interval_days"] == pytest.approx(30.0)
    assert steady["income_regularity"] > 0.9
    assert steady["salary_overdue_ratio"] == pytest.approx(0.0)
    engine.ingest([debit("later", at(30 * 5 + 55), 12.0)])
    overdue = values(engine)
    assert overdue["salary_overdue_ratio"] > 1.5
    assert overdue["income_drop_ratio"] < steady["income_drop_ratio"]


def test_irregular_pay_is_less_regular(engine: Engine) -> None:
    gaps = [0, 9, 40, 52, 100, 104, 150]
    engine.ingest([salary(f"s{i}", at(d), 1000.0 + 700 * (i % 3)) for i, d in enumerate(gaps)])
    assert values(engine)["income_regularity"] < 0.3


def test_late_repayments_raise_lateness_and_a_streak(engine: Engine) -> None:
    on_time = [
        event(
            f"r{i}", "repayment", {"account_id": "a", "amount": 200.0, "days_late": -2}, at(30 * i)
        )
        for i in range(3)
    ]
    engine.ingest(on_time)
    before = values(engine)
    late = [
        event(
            f"late{i}",
            "repayment",
            {"account_id": "a", "amount": 200.0, "days_late": 30},
            at(90 + 30 * i),
        )
        for i in range(2)
    ]
    engine.ingest(late)
    after = values(engine)
    assert before["late_share_90d"] == 0
    assert after["late_share_90d"] > 0.4
    assert after["late_streak"] == 2
    assert after["last_days_late"] == 30


def test_minimum_payment_only(engine: Engine) -> None:
    engine.ingest(
        [
            event(
                "s",
                "statement",
                {"account_id": "a", "balance": 2000.0, "credit_limit": 2500.0, "minimum_due": 50.0},
                at(0),
            ),
            event("r", "repayment", {"account_id": "a", "amount": 50.0, "days_late": 0}, at(5)),
        ]
    )
    features = values(engine)
    assert features["min_payment_only_share_90d"] == pytest.approx(1.0)
    assert features["utilisation_last"] == pytest.approx(0.8)


def test_hardship_pages_and_night_activity(engine: Engine) -> None:
    engine.ingest(
        [
            event(
                f"p{i}",
                "page_view",
                {"session_id": f"s{i}", "page": "/help/hardship", "dwell_ms": 60_000},
                at(i, 2 - 9 + 24),
            )
            for i in range(5)
        ]
    )
    features = values(engine)
    assert features["hardship_page_views_7d"] > 3
    assert features["sessions_30d"] == pytest.approx(features["page_views_30d"])
    assert features["night_share_30d"] == pytest.approx(1.0)  # 02:00 local each time
    assert features["mean_dwell_seconds_30d"] == pytest.approx(60.0)


def test_response_latency_per_channel(engine: Engine) -> None:
    engine.ingest(
        [
            event(
                "m1",
                "message_event",
                {"decision_id": "d1", "status": "delivered"},
                at(0),
                channel="push",
            ),
            event(
                "m2",
                "message_event",
                {"decision_id": "d1", "status": "opened"},
                at(0, 2),
                channel="push",
            ),
            event(
                "o1",
                "offer_response",
                {"decision_id": "d1", "offer_id": "x", "response": "accepted"},
                at(0, 3),
            ),
        ]
    )
    features = values(engine)
    assert features["response_latency_hours_push"] == pytest.approx(2.0)
    assert features["response_rate_push"] == pytest.approx(1.0)
    assert features["offer_acceptance_rate_90d"] == pytest.approx(1.0)
    assert features["message_open_rate_90d"] == pytest.approx(1.0)


def test_confirmed_fraud_raises_the_merchants_risk_when_reported(engine: Engine) -> None:
    sales = [
        debit(f"t{i}", at(0, i), 25.0, merchant="terminal", customer=f"c{i}") for i in range(10)
    ]
    engine.ingest(sales)
    quiet = engine.entity_profile("merchant", "terminal").values()["merchant_fraud_risk"]
    reports = [
        event(
            f"f{i}",
            "fraud_report",
            {"transaction_event_id": f"t{i}", "is_fraud": True},
            at(4),
            customer=f"c{i}",
        )
        for i in range(3)
    ]
    engine.ingest(reports)
    merchant = engine.entity_profile("merchant", "terminal").values()
    assert merchant["merchant_fraud_risk"] > 10 * quiet
    assert merchant["merchant_confirmed_frauds_30d"] == pytest.approx(3.0)
    assert values(engine, "c0")["confirmed_frauds_90d"] == pytest.approx(1.0)


def test_protected_attributes_never_reach_a_profile(engine: Engine) -> None:
    with_protected = event(
        "u",
        "customer_update",
        {"attributes": {"declared_income": 40000}, "protected": {"sex": "female", "age": 29}},
        at(0),
    )
    without = event("u", "customer_update", {"attributes": {"declared_income": 40000}}, at(0))
    other = Engine("memory://")
    engine.ingest([with_protected])
    other.ingest([without])
    assert values(engine) == values(other)
    names = {s.name for layout in build_layouts().values() for s in layout.specs}
    protected_words = {"sex", "gender", "marital", "ethnicity", "religion", "birth"}
    assert not {n for n in names if protected_words & set(n.split("_"))}


def test_reading_in_the_past_replays_the_log(engine: Engine) -> None:
    history = sample_events()
    engine.ingest(history)
    cut = history[8]["timestamp"]
    fresh = Engine("memory://")
    fresh.ingest([e for e in history[:9] if e["customer_id"] == "c1"])
    assert values(engine, when=cut) == values(fresh, when=cut)
    assert values(engine, when=cut) != values(engine)


def test_profiles_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "rapport.db"
    with Engine(db) as first:
        first.ingest(sample_events())
        before = first.profile("c1").values()
    with Engine(db) as second:
        assert second.profile("c1").values() == before
        assert second.ingest(sample_events()).duplicates == len(sample_events())


def test_lateness_bound_is_configurable() -> None:
    strict = Engine("memory://", EngineConfig(store_url="memory://", allowed_lateness_seconds=3600))
    report = strict.ingest(
        [debit("new", at(1), 5.0), debit("old", at(0, 20), 5.0), debit("ok", at(0, 23.5), 5.0)]
    )
    assert [v.status for v in report.verdicts] == ["accepted", "rejected", "accepted"]
    assert report.verdicts[1].code == "too_late"
    assert strict.dead_letters()[0].event_id == "old"
