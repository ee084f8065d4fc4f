"""Fairness over time: favorable rates by group and the adverse impact ratio, period by period.

The monitor's figures (``fairness``) summarise a whole history; a report also shows how they
moved, so that a disparity that opened after a policy change is seen when it opened.
"""

from __future__ import annotations

import pandas as pd

from rapport.governance.fairness import FAVORABLE, KIND, age_band
from rapport.governance.fairness_bootstrap import adverse_impact_ratio
from rapport.governance.fairness_policy import FairnessPolicy


def period_of(table: pd.DataFrame) -> str:
    """Weeks for a history up to about four months, months beyond."""
    if table.empty:
        return "W"
    span = table["time"].max() - table["time"].min()
    return "W" if span <= pd.Timedelta(days=120) else "M"


def rates_over_time(
    table: pd.DataFrame, kind: str, attribute: str, settings: FairnessPolicy
) -> pd.DataFrame:
    """One row per (period, group): decisions, favorable rate; and per period the adverse impact
    ratio among the groups with at least ``min_group_size`` decisions in it."""
    columns = ["period", "group", "decisions", "favorable_rate", "adverse_impact_ratio"]
    rows = table[table[KIND] == kind] if KIND in table else table.iloc[0:0]
    if attribute == "age_band" and "age_band" not in rows and "age" in rows:
        rows = rows.assign(age_band=[age_band(a, settings.age_bands) for a in rows["age"]])
    if rows.empty or attribute not in rows:
        return pd.DataFrame(columns=columns)
    rows = rows.dropna(subset=[attribute])
    # Periods in UTC; the zone is dropped only to let pandas cut periods.
    period = period_of(rows)
    periods = rows["time"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period(period)
    # A week is named by its first day (2026-01-05), a month by itself (2026-01).
    names = periods.dt.start_time.dt.strftime("%Y-%m-%d" if period == "W" else "%Y-%m")
    grouped = (
        rows.assign(period=names, group=rows[attribute].astype(str))
        .groupby(["period", "group"], sort=True)[FAVORABLE]
        .agg(decisions="size", favorable_rate="mean")
        .reset_index()
    )
    ratios = {}
    for period, part in grouped.groupby("period"):
        judged = (part["decisions"] >= settings.min_group_size).to_numpy()
        ratio = adverse_impact_ratio(part["favorable_rate"].to_numpy(dtype=float), judged)
        ratios[period] = ratio
    grouped["adverse_impact_ratio"] = grouped["period"].map(ratios)
    return grouped[columns]
