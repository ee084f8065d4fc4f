"""The fairness figures: invariants of the adverse impact ratio, the bootstrap's intervals, and
agreement with a direct pandas computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.governance.fairness import age_band, assess, grouping_figures, groupings_of
from rapport.governance.fairness_bootstrap import (
    GroupArrays,
    adverse_impact_ratio,
    group_figures,
)
from rapport.governance.fairness_policy import FairnessPolicy

FAST = FairnessPolicy(bootstrap_samples=60, min_group_size=1)


@st.composite
def tables(draw: st.DrawFn, min_rows: int = 2) -> pd.DataFrame:
    rows = draw(st.integers(min_rows, 60))
    return pd.DataFrame(
        {
            "kind": "credit_limit",
            "sex": draw(st.lists(st.sampled_from(["f", "m"]), min_size=rows, max_size=rows)),
            "age_band": draw(
                st.lists(st.sampled_from(["a", "b", "c"]), min_size=rows, max_size=rows)
            ),
            "favorable": draw(st.lists(st.booleans(), min_size=rows, max_size=rows)),
            "score": draw(st.lists(st.floats(0, 1, allow_nan=False), min_size=rows, max_size=rows)),
            "bad_outcome": draw(
                st.lists(st.sampled_from([0.0, 1.0, math.nan]), min_size=rows, max_size=rows)
            ),
        }
    )


rates = st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=8)


@given(rates)
def test_adverse_impact_ratio_lies_in_zero_one(values: list[float]) -> None:
    ratio = adverse_impact_ratio(np.array(values), np.ones(len(values), bool))
    assert math.isnan(ratio) or 0.0 <= ratio <= 1.0
    if len(values) >= 2 and max(values) > 0:
        assert ratio == pytest.approx(min(values) / max(values))


@given(st.floats(0.01, 1), st.integers(2, 8))
def test_equal_rates_give_a_ratio_of_one(rate: float, groups: int) -> None:
    assert adverse_impact_ratio(np.full(groups, rate), np.ones(groups, bool)) == 1.0


@given(rates, st.randoms(use_true_random=False), st.floats(0.01, 100))
def test_ratio_ignores_group_order_and_scale(values: list[float], rnd: object, k: float) -> None:
    judged = np.ones(len(values), bool)
    shuffled = list(values)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    base = adverse_impact_ratio(np.array(values), judged)
    assert adverse_impact_ratio(np.array(shuffled), judged) == pytest.approx(base, nan_ok=True)
    assert adverse_impact_ratio(np.array(values) * k, judged) == pytest.approx(base, nan_ok=True)


@given(rates)
def test_unjudged_groups_do_not_count(values: list[float]) -> None:
    with_outlier = np.array([*values, 0.0])
    judged = np.array([True] * len(values) + [False])
    assert adverse_impact_ratio(with_outlier, judged) == pytest.approx(
        adverse_impact_ratio(np.array(values), np.ones(len(values), bool)), nan_ok=True
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_figures_agree_with_pandas_and_intervals_hold_the_estimates(table: pd.DataFrame) -> None:
    grouping = grouping_figures(table, ("sex", "age_band"), FAST)
    direct = table.groupby(["sex", "age_band"])["favorable"].mean()
    assert len(grouping.groups) == len(direct)
    for group in grouping.groups:
        key = (group.group["sex"], group.group["age_band"])
        assert group.favorable_rate.value == pytest.approx(direct[key])
        rate = group.favorable_rate
        assert rate.low is not None
        assert rate.high is not None
        assert 0.0 <= rate.low <= rate.value <= rate.high <= 1.0
        rows = table[(table.sex == key[0]) & (table.age_band == key[1])]
        good = rows[rows.bad_outcome == 0.0]
        if len(good):
            assert group.true_positive_rate is not None
            assert group.true_positive_rate.value == pytest.approx(good.favorable.mean())
        else:
            assert group.true_positive_rate is None
    ratio = grouping.adverse_impact_ratio
    if ratio is not None:
        rates_ = [g.favorable_rate.value for g in grouping.groups]
        assert ratio.value == pytest.approx(min(rates_) / max(rates_))


@settings(max_examples=25, deadline=None)
@given(tables(min_rows=4))
def test_the_bootstrap_is_deterministic_for_a_seed(table: pd.DataFrame) -> None:
    first = grouping_figures(table, ("sex",), FAST)
    again = grouping_figures(table, ("sex",), FAST)
    assert first == again


@settings(max_examples=25, deadline=None)
@given(tables(min_rows=4))
def test_duplicating_every_row_keeps_the_point_estimates(table: pd.DataFrame) -> None:
    once = grouping_figures(table, ("age_band",), FAST)
    twice = grouping_figures(pd.concat([table, table]), ("age_band",), FAST)
    assert [g.favorable_rate.value for g in once.groups] == pytest.approx(
        [g.favorable_rate.value for g in twice.groups]
    )
    if once.adverse_impact_ratio is not None:
        assert twice.adverse_impact_ratio is not None
        assert twice.adverse_impact_ratio.value == pytest.approx(once.adverse_impact_ratio.value)


def test_identity_resample_reproduces_fairlearns_rates() -> None:
    table = pd.DataFrame(
        {"sex": ["f", "f", "m", "m", "m"], "favorable": [True, False, True, True, False]}
    )
    arrays = GroupArrays(
        group=np.array([0, 0, 1, 1, 1]),
        groups=2,
        favorable=table.favorable.to_numpy(float),
        good=np.full(5, np.nan),
        score=np.full(5, np.nan),
    )
    figures = grouping_figures(table.assign(kind="x"), ("sex",), FAST)
    assert list(group_figures(arrays)["rate"]) == pytest.approx(
        [g.favorable_rate.value for g in figures.groups]
    )


def test_small_groups_are_shown_but_not_judged() -> None:
    table = pd.DataFrame(
        {
            "kind": "credit_limit",
            "sex": ["f"] * 40 + ["m"] * 40 + ["x"] * 3,
            "favorable": [True] * 20 + [False] * 20 + [True] * 18 + [False] * 22 + [False] * 3,
        }
    )
    report = assess(table, FairnessPolicy(attributes=["sex"], bootstrap_samples=0))
    [kind] = report.kinds
    [grouping] = kind.groupings
    assert [g.judged for g in grouping.groups] == [True, True, False]
    assert grouping.adverse_impact_ratio is not None
    assert grouping.adverse_impact_ratio.value == pytest.approx(18 / 20)
    assert grouping.adverse_impact_ratio.low is None  # no resampling asked
    assert report.alerts == []


def test_a_breach_raises_an_alert_naming_the_groups() -> None:
    table = pd.DataFrame(
        {
            "kind": "fraud",
            "sex": ["f"] * 50 + ["m"] * 50,
            "favorable": [True] * 25 + [False] * 25 + [True] * 45 + [False] * 5,
            "bad_outcome": [0.0] * 100,
        }
    )
    report = assess(table, FairnessPolicy(attributes=["sex"], bootstrap_samples=50))
    metrics = {alert.metric for alert in report.alerts}
    assert metrics == {"adverse_impact_ratio", "equal_opportunity_gap"}
    ratio_alert = next(a for a in report.alerts if a.metric == "adverse_impact_ratio")
    assert ratio_alert.value == pytest.approx(0.5 / 0.9)
    assert "sex=f" in ratio_alert.message
    assert "sex=m" in ratio_alert.message


def test_age_is_banded_and_groupings_include_the_intersection() -> None:
    edges = [25, 35, 50, 65]
    assert [age_band(a, edges) for a in (19, 25, 34, 35, 64, 65, 90)] == [
        "under 25",
        "25-34",
        "25-34",
        "35-49",
        "50-64",
        "65+",
        "65+",
    ]
    assert age_band(None, edges) is None
    assert age_band("n/a", edges) is None
    assert groupings_of(["sex", "age_band"]) == [("sex",), ("age_band",), ("sex", "age_band")]
    table = pd.DataFrame(
        {"kind": "credit_limit", "sex": ["f", "m"] * 5, "age": [20, 40] * 5, "favorable": True}
    )
    [kind] = assess(table, FairnessPolicy(bootstrap_samples=0)).kinds
    assert [g.name for g in kind.groupings] == ["sex", "age_band", "sex x age_band"]
    assert {g.label for g in kind.groupings[1].groups} == {"age_band=under 25", "age_band=35-49"}


def test_customers_without_protected_values_are_counted_apart() -> None:
    table = pd.DataFrame(
        {"kind": "credit_limit", "sex": ["f", None, "m"], "favorable": [True, True, False]}
    )
    report = assess(table, FairnessPolicy(attributes=["sex"], bootstrap_samples=0))
    assert report.unattributed == 1
    assert report.kinds[0].decisions == 2


def test_a_breach_within_noise_raises_no_alert() -> None:
    # 0.7 against 0.9 on 12 decisions a group: below four-fifths, but the interval reaches 0.8.
    table = pd.DataFrame(
        {
            "kind": "credit_limit",
            "sex": ["f"] * 12 + ["m"] * 12,
            "favorable": [True] * 8 + [False] * 4 + [True] * 11 + [False] * 1,
        }
    )
    noisy = FairnessPolicy(attributes=["sex"], min_group_size=10, min_favorable_decisions=1)
    [kind] = assess(table, noisy).kinds
    ratio = kind.groupings[0].adverse_impact_ratio
    assert ratio is not None
    assert ratio.value < 0.8
    assert ratio.high is not None
    assert ratio.high >= 0.8
    assert kind.alerts == []
    [kind] = assess(table, noisy.model_copy(update={"bootstrap_samples": 0})).kinds
    assert [a.metric for a in kind.alerts] == ["adverse_impact_ratio"]


def test_a_handful_of_favorable_decisions_is_not_judged() -> None:
    table = pd.DataFrame(
        {
            "kind": "credit_limit",
            "sex": ["f"] * 400 + ["m"] * 400,
            "favorable": [False] * 400 + [True] * 3 + [False] * 397,
        }
    )
    [kind] = assess(table, FairnessPolicy(attributes=["sex"])).kinds
    assert kind.groupings[0].adverse_impact_ratio is None
    assert kind.alerts == []


def test_no_favorable_decision_at_all_is_parity() -> None:
    assert adverse_impact_ratio(np.zeros(3), np.ones(3, bool)) == 1.0


def test_intervals_resample_customers_not_their_many_decisions() -> None:
    # 20 customers a group, 30 decisions each: rows look like 600 draws, but are 20.
    customers = [f"c{i}" for i in range(40) for _ in range(30)]
    table = pd.DataFrame(
        {
            "kind": "next_best_action",
            "customer_id": customers,
            "sex": ["f" if int(c[1:]) < 20 else "m" for c in customers],
            "favorable": [int(c[1:]) % 4 != 0 for c in customers],
        }
    )
    by_rows = assess(table.drop(columns="customer_id"), FairnessPolicy(attributes=["sex"]))
    by_customers = assess(table, FairnessPolicy(attributes=["sex"]))

    def width(report: object) -> float:
        rate = report.kinds[0].groupings[0].groups[0].favorable_rate  # type: ignore[attr-defined]
        return float(rate.high - rate.low)

    assert width(by_customers) > 3 * width(by_rows)
    assert by_customers.kinds[0].groupings[0].groups[0].favorable_rate.value == pytest.approx(0.75)
