"""Decayed statistics equal a naive recomputation from the full event list.

Stated tolerance: relative 1e-9 (absolute 1e-9 near zero). The fold updates sums in O(1) per
event; the naive side recomputes ``sum_i w_i * 2 ** (-(at - t_i) / half_life)`` with NumPy over
every event, in any arrival order within the lateness bound.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings

from rapport import Engine, EngineConfig
from rapport.profiles.families.mcc import GROUPS, group_of
from rapport.profiles.families.merchant import PRIOR_FRAUD_RATE, PRIOR_STRENGTH
from tests.strategies import histories, late_arrivals

DAY = 86400.0
LATENESS = 2 * DAY
HALF_LIVES = {"1h": 3600.0, "1d": DAY, "7d": 7 * DAY, "30d": 30 * DAY, "90d": 90 * DAY}


def _t(event: dict[str, Any]) -> float:
    return dt.datetime.fromisoformat(event["timestamp"]).timestamp()


def decayed(times: list[float], weights: list[float], at: float, half_life: float) -> float:
    if not times:
        return 0.0
    t, w = np.asarray(times), np.asarray(weights)
    return float(np.sum(w * np.exp2(-(at - t) / half_life)))


def close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(max_events=80).flatmap(lambda h: late_arrivals(h, LATENESS)))
def test_customer_statistics_match_naive_recomputation(arrived: list[dict[str, Any]]) -> None:
    engine = Engine(
        "memory://", EngineConfig(store_url="memory://", allowed_lateness_seconds=LATENESS)
    )
    engine.ingest(arrived)
    for customer in {e["customer_id"] for e in arrived}:
        mine = [e for e in arrived if e["customer_id"] == customer]
        at = max(_t(e) for e in mine)
        features = engine.profile(customer).values()
        debits = [
            e for e in mine if e["type"] == "transaction" and e["payload"]["direction"] == "debit"
        ]
        times = [_t(e) for e in debits]
        for label, half_life in HALF_LIVES.items():
            count = decayed(times, [1.0] * len(times), at, half_life)
            total = decayed(times, [e["payload"]["amount"] for e in debits], at, half_life)
            assert close(features[f"debit_count_{label}"], count), label
            assert close(features[f"debit_sum_{label}"], total), label
        spend = [
            decayed(
                [_t(e) for e in debits if group_of(e["payload"]["mcc"], None) == g],
                [
                    e["payload"]["amount"]
                    for e in debits
                    if group_of(e["payload"]["mcc"], None) == g
                ],
                at,
                30 * DAY,
            )
            for g in range(len(GROUPS))
        ]
        for g, group in enumerate(GROUPS):
            expected_share = spend[g] / sum(spend) if sum(spend) > 1e-9 else 0.0
            assert close(features[f"share_{group}_30d"], expected_share), group
        logins = [e for e in mine if e["type"] == "login" and e["payload"]["success"]]
        assert close(
            features["logins_7d"],
            decayed([_t(e) for e in logins], [1.0] * len(logins), at, 7 * DAY),
        )
        credits = [
            e for e in mine if e["type"] == "transaction" and e["payload"]["direction"] == "credit"
        ]
        assert close(
            features["income_30d"],
            decayed(
                [_t(e) for e in credits], [e["payload"]["amount"] for e in credits], at, 30 * DAY
            ),
        )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    histories(max_events=80, merchants=3, fraud_delay_seconds=3 * DAY).flatmap(
        lambda h: late_arrivals(h, LATENESS)
    )
)
def test_merchant_fraud_risk_matches_naive_recomputation(arrived: list[dict[str, Any]]) -> None:
    engine = Engine(
        "memory://", EngineConfig(store_url="memory://", allowed_lateness_seconds=LATENESS)
    )
    engine.ingest(arrived)
    merchant_of = {
        e["event_id"]: e["payload"].get("merchant_id")
        for e in arrived
        if e["type"] == "transaction"
    }
    for merchant in {m for m in merchant_of.values() if m}:
        sales = [
            e
            for e in arrived
            if e["type"] == "transaction" and e["payload"].get("merchant_id") == merchant
        ]
        reports = [
            e
            for e in arrived
            if e["type"] == "fraud_report"
            and merchant_of.get(e["payload"]["transaction_event_id"]) == merchant
        ]
        at = max(_t(e) for e in sales + reports)
        frauds = [_t(e) for e in reports if e["payload"]["is_fraud"]]
        n90 = decayed([_t(e) for e in sales], [1.0] * len(sales), at, 90 * DAY)
        f90 = decayed(frauds, [1.0] * len(frauds), at, 90 * DAY)
        expected = (f90 + PRIOR_FRAUD_RATE * PRIOR_STRENGTH) / (max(n90, f90) + PRIOR_STRENGTH)
        features = engine.entity_profile("merchant", merchant).values()
        assert close(features["merchant_fraud_risk"], expected)
        assert close(
            features["merchant_txn_30d"],
            decayed([_t(e) for e in sales], [1.0] * len(sales), at, 30 * DAY),
        )
        assert close(features["merchant_confirmed_frauds_90d"], f90)


def test_the_recomputation_can_disagree() -> None:
    """Guard against a vacuous comparison: a wrong half-life is caught."""
    times = [0.0, DAY, 2 * DAY]
    assert not close(
        decayed(times, [1, 1, 1], 3 * DAY, 7 * DAY), decayed(times, [1, 1, 1], 3 * DAY, 8 * DAY)
    )
