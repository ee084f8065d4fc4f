"""The fairness monitor's figures, over plain tables.

Input: a pandas DataFrame with one row per decision and the columns

- ``kind`` (decision kind), ``favorable`` (bool: the action was favorable to the customer);
- one column per protected attribute to group by (``sex``, ``age_band``, ...; a missing value
  leaves the row out of that grouping);
- optionally ``score`` (the predicted probability of the bad outcome: default, fraud) and
  ``bad_outcome`` (1.0 the bad outcome happened, 0.0 it did not, NaN not known yet);
- optionally ``customer_id``: intervals then resample customers, not decisions.

For each kind and each grouping (every attribute alone, then all together: the intersection)
it gives, per group, the favorable rate; the adverse impact ratio (lowest group rate over the
highest: the four-fifths rule); where outcomes are known, the equal-opportunity gap (difference
in favorable rate among customers whose outcome was good) and calibration (mean predicted
probability against the observed rate). Point estimates come from fairlearn's ``MetricFrame``;
each has a seeded percentile-bootstrap interval. Where a source of data comes from (ledger,
replay, an external file) is the builder's business (``fairness_data``), not this module's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, count, mean_prediction, selection_rate
from fairlearn.metrics import true_positive_rate as fairlearn_tpr

from rapport.governance.fairness_bootstrap import (
    FloatArray,
    GroupArrays,
    bootstrap,
    derived_figures,
)
from rapport.governance.fairness_figures import (
    Alert,
    Estimate,
    FairnessReport,
    GroupFigures,
    GroupingFigures,
    KindFigures,
)
from rapport.governance.fairness_policy import FairnessPolicy

KIND, FAVORABLE, SCORE, BAD = "kind", "favorable", "score", "bad_outcome"
CUSTOMER = "customer_id"

__all__ = [
    "Alert",
    "Estimate",
    "FairnessReport",
    "GroupFigures",
    "GroupingFigures",
    "KindFigures",
    "age_band",
    "assess",
    "grouping_figures",
    "groupings_of",
]


def age_band(age: object, edges: Sequence[int]) -> str | None:
    """The band an age falls in: ``under 25``, ``25-34``, ..., ``65+`` for edges 25, 35, 50, 65."""
    try:
        years = float(age)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if math.isnan(years):
        return None
    if not edges or years < edges[0]:
        return f"under {edges[0]}" if edges else "all"
    for low, high in pairwise(edges):
        if years < high:
            return f"{low}-{high - 1}"
    return f"{edges[-1]}+"


def groupings_of(attributes: Sequence[str]) -> list[tuple[str, ...]]:
    """Each attribute alone, then all together (the intersection) when there are several."""
    alone: list[tuple[str, ...]] = [(name,) for name in attributes]
    return [*alone, tuple(attributes)] if len(attributes) > 1 else alone


def _observed_rate(y_true: Any, y_pred: Any) -> float:
    return float(np.mean(np.asarray(y_true, dtype=float)))


def _fairlearn_by_group(
    labels: pd.DataFrame, metrics: dict[str, Any], y_true: Any, y_pred: Any, keys: pd.Index
) -> pd.DataFrame:
    """fairlearn's per-group figures, aligned on ``keys`` (NaN for a group without rows)."""
    result = MetricFrame(
        metrics=metrics, y_true=y_true, y_pred=y_pred, sensitive_features=labels
    ).by_group
    if not isinstance(result.index, pd.MultiIndex):
        result.index = pd.MultiIndex.from_arrays([result.index], names=list(labels.columns))
    return result.reindex(keys)


def grouping_figures(
    table: pd.DataFrame, attributes: tuple[str, ...], settings: FairnessPolicy
) -> GroupingFigures:
    """One grouping's figures over one decision kind's rows."""
    rows = table.dropna(subset=list(attributes))
    if rows.empty:
        return GroupingFigures(attributes, [])
    labels = rows[list(attributes)].astype(str)
    by_group = labels.groupby(list(attributes), sort=True)
    sizes = by_group.size()
    keys = (
        sizes.index
        if isinstance(sizes.index, pd.MultiIndex)
        else pd.MultiIndex.from_arrays([sizes.index], names=list(attributes))
    )
    favorable = rows[FAVORABLE].astype(bool).to_numpy()
    bad = _column(rows, BAD)
    score = _column(rows, SCORE)
    arrays = GroupArrays(
        group=by_group.ngroup().to_numpy(dtype=np.int64),
        groups=len(keys),
        favorable=favorable.astype(float),
        good=np.where(np.isnan(bad), np.nan, 1.0 - bad),
        score=score,
        cluster=pd.factorize(rows[CUSTOMER])[0].astype(np.int64) if CUSTOMER in rows else None,
    )
    # Point estimates: fairlearn's MetricFrame, on the rows each figure is defined over.
    rates = _fairlearn_by_group(
        labels, {"rate": selection_rate, "n": count}, favorable, favorable, keys
    )
    qualified = ~np.isnan(bad) & (bad == 0.0)
    labelled = ~np.isnan(bad) & ~np.isnan(score)
    tpr = (
        _fairlearn_by_group(
            labels[~np.isnan(bad)],
            {"tpr": fairlearn_tpr},
            qualified[~np.isnan(bad)],
            favorable[~np.isnan(bad)],
            keys,
        )["tpr"]
        if qualified.any()
        else pd.Series(np.nan, index=keys)
    )
    calibration = (
        _fairlearn_by_group(
            labels[labelled],
            {"mean_score": mean_prediction, "observed": _observed_rate},
            bad[labelled],
            score[labelled],
            keys,
        )
        if labelled.any()
        else pd.DataFrame({"mean_score": np.nan, "observed": np.nan}, index=keys)
    )
    qualified_count = np.bincount(arrays.group, weights=qualified, minlength=len(keys))
    labelled_count = np.bincount(arrays.group, weights=labelled, minlength=len(keys))
    minimum = settings.min_group_size
    judged_rate = sizes.to_numpy() >= minimum
    judged_tpr = qualified_count >= minimum
    judged_calibration = labelled_count >= minimum
    point = {
        "rate": rates["rate"].to_numpy(dtype=float),
        "tpr": np.where(qualified_count > 0, tpr.to_numpy(dtype=float), np.nan),
        "mean_score": calibration["mean_score"].to_numpy(dtype=float),
        "observed": calibration["observed"].to_numpy(dtype=float),
    }
    intervals = bootstrap(
        arrays,
        judged_rate,
        judged_tpr,
        judged_calibration,
        settings.bootstrap_samples,
        settings.confidence,
        settings.seed,
    )

    def estimate(name: str, index: int) -> Estimate | None:
        value = float(point[name][index])
        if math.isnan(value):
            return None
        if intervals is None:
            return Estimate(value)
        low, high = intervals.groups[name]
        return Estimate(value, _or_none(low[index]), _or_none(high[index]))

    groups = [
        GroupFigures(
            group=dict(zip(attributes, (str(part) for part in key), strict=True)),
            decisions=int(sizes.iloc[index]),
            favorable_rate=estimate("rate", index) or Estimate(float("nan")),
            judged=bool(judged_rate[index]),
            qualified=int(qualified_count[index]),
            true_positive_rate=estimate("tpr", index),
            labelled=int(labelled_count[index]),
            mean_score=estimate("mean_score", index),
            observed_bad_rate=estimate("observed", index),
        )
        for index, key in enumerate(keys)
    ]
    derived = derived_figures(point, judged_rate, judged_tpr, judged_calibration)

    def summary(name: str) -> Estimate | None:
        value = derived[name]
        if math.isnan(value):
            return None
        if intervals is None:
            return Estimate(value)
        low, high = intervals.derived[name]
        return Estimate(value, _or_none(low), _or_none(high))

    judged_groups = [g for g in groups if g.judged]
    favorable_judged = int(favorable[judged_rate[arrays.group]].sum())
    if favorable_judged < settings.min_favorable_decisions:
        derived["adverse_impact_ratio"] = float("nan")
    lowest = min(judged_groups, key=lambda g: g.favorable_rate.value, default=None)
    highest = max(judged_groups, key=lambda g: g.favorable_rate.value, default=None)
    return GroupingFigures(
        attributes,
        groups,
        adverse_impact_ratio=summary("adverse_impact_ratio"),
        lowest_group=lowest.label if lowest else None,
        highest_group=highest.label if highest else None,
        equal_opportunity_gap=summary("equal_opportunity_gap"),
        calibration_gap=summary("calibration_gap"),
    )


def _column(rows: pd.DataFrame, name: str) -> FloatArray:
    if name not in rows:
        return np.full(len(rows), np.nan)
    values: FloatArray = pd.to_numeric(rows[name], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    return values


def _or_none(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _below(estimate: Estimate, minimum: float) -> bool:
    """Clearly below: the estimate and its whole interval (when there is one)."""
    return estimate.value < minimum and (estimate.high is None or estimate.high < minimum)


def _above(estimate: Estimate, maximum: float) -> bool:
    """Clearly above: the estimate and its whole interval (when there is one)."""
    return estimate.value > maximum and (estimate.low is None or estimate.low > maximum)


def alerts_for(kind: str, grouping: GroupingFigures, settings: FairnessPolicy) -> list[Alert]:
    """The thresholds a grouping's figures break (point estimates, judged groups only)."""
    found: list[Alert] = []
    ratio = grouping.adverse_impact_ratio
    if ratio is not None and _below(ratio, settings.min_adverse_impact_ratio):
        found.append(
            Alert(
                kind,
                grouping.name,
                "adverse_impact_ratio",
                ratio.value,
                settings.min_adverse_impact_ratio,
                f"{kind}: {grouping.lowest_group} receives favorable decisions at "
                f"{ratio.value:.0%} of the rate of {grouping.highest_group} "
                f"(minimum {settings.min_adverse_impact_ratio:.0%})",
            )
        )
    gap = grouping.equal_opportunity_gap
    if gap is not None and _above(gap, settings.max_equal_opportunity_gap):
        found.append(
            Alert(
                kind,
                grouping.name,
                "equal_opportunity_gap",
                gap.value,
                settings.max_equal_opportunity_gap,
                f"{kind}: among customers whose outcome was good, favorable rates by "
                f"{grouping.name} differ by {gap.value:.1%} "
                f"(maximum {settings.max_equal_opportunity_gap:.1%})",
            )
        )
    calibration = grouping.calibration_gap
    limit = settings.max_calibration_gap
    if calibration is not None and limit is not None and _above(calibration, limit):
        found.append(
            Alert(
                kind,
                grouping.name,
                "calibration_gap",
                calibration.value,
                limit,
                f"{kind}: calibration by {grouping.name} differs by {calibration.value:.1%} "
                f"(maximum {limit:.1%})",
            )
        )
    return found


def assess(table: pd.DataFrame, settings: FairnessPolicy) -> FairnessReport:
    """Every monitored kind's figures and the alerts its thresholds raise."""
    attributes = list(settings.attributes)
    if "age_band" in attributes and "age_band" not in table and "age" in table:
        table = table.assign(
            age_band=[age_band(age, settings.age_bands) for age in table["age"].tolist()]
        )
    present = [name for name in attributes if name in table]
    attributed = table.dropna(subset=present, how="all") if present else table.iloc[0:0]
    kinds: list[KindFigures] = []
    for kind in settings.favorable_actions:
        rows = attributed[attributed[KIND] == kind] if KIND in attributed else attributed.iloc[0:0]
        if rows.empty:
            continue
        groupings = [
            grouping_figures(rows, grouping, settings) for grouping in groupings_of(present)
        ]
        figures = KindFigures(
            kind, len(rows), float(rows[FAVORABLE].astype(bool).mean()), groupings
        )
        figures.alerts = [a for g in groupings for a in alerts_for(kind, g, settings)]
        kinds.append(figures)
    return FairnessReport(kinds, unattributed=len(table) - len(attributed))
