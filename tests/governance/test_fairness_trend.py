"""Fairness over time: rates by group and the adverse impact ratio per period."""

from __future__ import annotations

import pandas as pd
import pytest

from rapport.governance.fairness_policy import FairnessPolicy
from rapport.governance.fairness_trend import period_of, rates_over_time


def test_rates_and_ratio_per_week() -> None:
    days = pd.to_datetime(["2026-01-05", "2026-01-06", "2026-01-13", "2026-01-14"], utc=True)
    table = pd.DataFrame(
        {
            "kind": "credit_limit",
            "time": [day for day in days for _ in range(10)],
            "sex": (["f"] * 5 + ["m"] * 5) * 4,
            # Week one: f 2/10, m 8/10; week two: f 4/10, m 6/10.
            "favorable": ([True] * 1 + [False] * 4 + [True] * 4 + [False]) * 2
            + ([True] * 2 + [False] * 3 + [True] * 3 + [False] * 2) * 2,
        }
    )
    settings = FairnessPolicy(attributes=["sex"], min_group_size=5)
    assert period_of(table) == "W"
    trend = rates_over_time(table, "credit_limit", "sex", settings)
    assert list(trend["period"]) == ["2026-01-05", "2026-01-05", "2026-01-12", "2026-01-12"]
    assert list(trend["favorable_rate"]) == pytest.approx([0.2, 0.8, 0.4, 0.6])
    assert list(trend["adverse_impact_ratio"]) == pytest.approx([0.25, 0.25, 2 / 3, 2 / 3])
    assert rates_over_time(table, "fraud", "sex", settings).empty


def test_long_histories_are_cut_by_month_and_age_is_banded() -> None:
    table = pd.DataFrame(
        {
            "kind": "fraud",
            "time": pd.to_datetime(["2026-01-10", "2026-06-10"], utc=True),
            "age": [22, 70],
            "favorable": [True, False],
        }
    )
    trend = rates_over_time(table, "fraud", "age_band", FairnessPolicy())
    assert list(trend["period"]) == ["2026-01", "2026-06"]
    assert list(trend["group"]) == ["under 25", "65+"]
