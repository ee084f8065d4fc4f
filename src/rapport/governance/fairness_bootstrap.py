"""Per-group rates and the figures derived from them, with seeded bootstrap intervals.

fairlearn's own bootstrap (``MetricFrame(n_boot=...)``) builds a whole MetricFrame per resample:
about 15 s for 5,000 rows and 200 resamples. Here one resample is a handful of ``bincount``
calls over group codes, so intervals cost milliseconds and a report stays interactive. The
point estimates of the groups' rates come from fairlearn (``fairness``); this module's
identity resample reproduces them, which a test checks.

A resample draws *customers* with replacement when the rows say whose decision each is (a
customer's decisions are not independent: one customer logging in daily is not thirty
customers), otherwise rows (as fairlearn does). A draw becomes a weight per row, so a group's
size varies between resamples as it would between samples of customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

PER_GROUP = ("rate", "tpr", "mean_score", "observed")
DERIVED = ("adverse_impact_ratio", "equal_opportunity_gap", "calibration_gap")


@dataclass(frozen=True)
class GroupArrays:
    """One grouping's rows as arrays: each row's group code and what the figures need."""

    group: IntArray
    """Group code of each row, in [0, groups)."""
    groups: int
    favorable: FloatArray
    """1.0 favorable, 0.0 not."""
    good: FloatArray
    """1.0 the outcome turned out good, 0.0 bad, NaN unknown."""
    score: FloatArray
    """Predicted probability of the bad outcome (NaN: none)."""
    cluster: IntArray | None = None
    """Customer code of each row, in [0, customers): resamples draw customers (None: rows)."""


def group_figures(arrays: GroupArrays, weights: FloatArray | None = None) -> dict[str, FloatArray]:
    """Per-group rates with each row counted ``weights`` times (once if None); NaN for a group
    with no weight."""
    group, favorable, good, score = arrays.group, arrays.favorable, arrays.good, arrays.score
    size = arrays.groups
    weight = np.ones(group.size) if weights is None else weights
    known = ~np.isnan(good)
    qualified = known & (good == 1.0)
    labelled = known & ~np.isnan(score)

    def ratio(
        numerator: npt.NDArray[np.generic], denominator: npt.NDArray[np.generic]
    ) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            top = numerator.astype(float)
            bottom = denominator.astype(float)
            return np.where(bottom > 0, top / np.maximum(bottom, 1.0), np.nan)

    def total(values: npt.NDArray[np.generic]) -> FloatArray:
        counted: FloatArray = np.bincount(
            group, weights=weight * values.astype(float), minlength=size
        ).astype(float)
        return counted

    qualified_count = total(qualified)
    labelled_count = total(labelled)
    return {
        "rate": ratio(total(favorable), total(np.ones(group.size))),
        "tpr": ratio(total(favorable * qualified), qualified_count),
        "mean_score": ratio(total(np.where(labelled, score, 0.0)), labelled_count),
        "observed": ratio(total(np.where(labelled, 1.0 - good, 0.0)), labelled_count),
    }


def adverse_impact_ratio(rate: FloatArray, judged: BoolArray) -> float:
    """Lowest judged group's rate over the highest's; NaN if fewer than two judged groups have
    a rate. When no group is favored at all, every group is treated alike: 1.0."""
    values = rate[judged & ~np.isnan(rate)]
    if values.size < 2:
        return float("nan")
    if values.max() <= 0:
        return 1.0
    return float(values.min() / values.max())


def spread(values: FloatArray, judged: BoolArray) -> float:
    """Highest minus lowest among judged groups with a value (NaN if fewer than two)."""
    kept = values[judged & ~np.isnan(values)]
    return float(kept.max() - kept.min()) if kept.size >= 2 else float("nan")


def derived_figures(
    figures: dict[str, FloatArray],
    judged_rate: BoolArray,
    judged_tpr: BoolArray,
    judged_calibration: BoolArray,
) -> dict[str, float]:
    return {
        "adverse_impact_ratio": adverse_impact_ratio(figures["rate"], judged_rate),
        "equal_opportunity_gap": spread(figures["tpr"], judged_tpr),
        "calibration_gap": spread(figures["observed"] - figures["mean_score"], judged_calibration),
    }


@dataclass(frozen=True)
class Intervals:
    """Lower and upper bounds per figure: arrays per group, floats for derived figures."""

    groups: dict[str, tuple[FloatArray, FloatArray]]
    derived: dict[str, tuple[float, float]]


def bootstrap(
    arrays: GroupArrays,
    judged_rate: BoolArray,
    judged_tpr: BoolArray,
    judged_calibration: BoolArray,
    samples: int,
    confidence: float,
    seed: int,
) -> Intervals | None:
    """Percentile-bootstrap intervals for every figure (None when ``samples`` is 0)."""
    if samples <= 0:
        return None
    rows = arrays.group.size
    generator = np.random.default_rng(seed)
    per_group = {name: np.full((samples, arrays.groups), np.nan) for name in PER_GROUP}
    derived = {name: np.full(samples, np.nan) for name in DERIVED}
    for sample in range(samples):
        figures = group_figures(arrays, _resample_weights(arrays, generator, rows))
        for name in PER_GROUP:
            per_group[name][sample] = figures[name]
        for name, value in derived_figures(
            figures, judged_rate, judged_tpr, judged_calibration
        ).items():
            derived[name][sample] = value
    tail = (1.0 - confidence) / 2.0
    quantiles = (tail, 1.0 - tail)

    def bounds(values: FloatArray) -> tuple[FloatArray, FloatArray]:
        present = ~np.isnan(values)
        low = np.full(values.shape[1:], np.nan)
        high = np.full(values.shape[1:], np.nan)
        for column in np.ndindex(values.shape[1:]):
            kept = values[(slice(None), *column)][present[(slice(None), *column)]]
            if kept.size:
                low[column], high[column] = np.quantile(kept, quantiles)
        return low, high

    return Intervals(
        {name: bounds(values) for name, values in per_group.items()},
        {name: _scalar_bounds(bounds(values[:, None])) for name, values in derived.items()},
    )


def _scalar_bounds(pair: tuple[FloatArray, FloatArray]) -> tuple[float, float]:
    return float(pair[0][0]), float(pair[1][0])


def _resample_weights(arrays: GroupArrays, generator: np.random.Generator, rows: int) -> FloatArray:
    """How many times each row is drawn in one resample (of customers, or of rows)."""
    if arrays.cluster is None:
        drawn: FloatArray = np.bincount(generator.integers(0, rows, rows), minlength=rows).astype(
            float
        )
        return drawn
    customers = int(arrays.cluster.max()) + 1 if rows else 0
    per_customer = np.bincount(generator.integers(0, customers, customers), minlength=customers)
    weights: FloatArray = per_customer[arrays.cluster].astype(float)
    return weights
