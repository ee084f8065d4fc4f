"""Calibration: a monotone map from a model's raw margin (log-odds) to a probability.

Boosted trees rank well but their raw probabilities drift with class weights, early stopping and
the base rate of the training window. The calibrator is fitted on a slice the trees did not
learn from (the later, validation slice of a time-ordered split), so that a score of 0.1 means
that about one case in ten turns out positive.

Two maps, both monotone (so ranking metrics never change):

- ``platt``: ``p = sigmoid(a * margin + b)``, two numbers, smooth; the default, robust with few
  positives;
- ``isotonic``: a non-decreasing step function fitted by pool-adjacent-violators, linearly
  interpolated between its knots (so that ties stay rare); better with many positives.

Both are stored as plain numbers (``to_dict``/``from_dict``) and applied in pure Python: a
calibration costs well under a microsecond per decision.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

Method = Literal["platt", "isotonic"]


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True)
class Calibrator:
    method: Method
    slope: float = 1.0
    intercept: float = 0.0
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()

    def probability(self, margin: float) -> float:
        if self.method == "platt":
            return sigmoid(self.slope * margin + self.intercept)
        xs, ys = self.knots_x, self.knots_y
        if margin <= xs[0]:
            return ys[0]
        if margin >= xs[-1]:
            return ys[-1]
        i = bisect.bisect_right(xs, margin)
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        return y0 + (y1 - y0) * (margin - x0) / (x1 - x0) if x1 > x0 else y1

    def probabilities(self, margins: Sequence[float] | NDArray[np.float64]) -> NDArray[np.float64]:
        m = np.asarray(margins, dtype=np.float64)
        if self.method == "platt":
            z = self.slope * m + self.intercept
            return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)), dtype=np.float64)
        return np.interp(m, self.knots_x, self.knots_y)

    def to_dict(self) -> dict[str, object]:
        if self.method == "platt":
            return {"method": "platt", "slope": self.slope, "intercept": self.intercept}
        return {"method": "isotonic", "knots_x": list(self.knots_x), "knots_y": list(self.knots_y)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Calibrator:
        method = data["method"]
        if method == "platt":
            return cls("platt", float(str(data["slope"])), float(str(data["intercept"])))
        if method == "isotonic":
            xs = data["knots_x"]
            ys = data["knots_y"]
            if not isinstance(xs, list) or not isinstance(ys, list):
                raise ValueError("isotonic calibration needs its knots")
            return cls("isotonic", knots_x=tuple(map(float, xs)), knots_y=tuple(map(float, ys)))
        raise ValueError(f"unknown calibration method {method!r}")


def fit_calibrator(
    margins: Sequence[float] | NDArray[np.float64],
    labels: Sequence[float] | NDArray[np.float64],
    method: Method = "platt",
    weights: Sequence[float] | NDArray[np.float64] | None = None,
) -> Calibrator:
    """Fit the map on held-out margins and their 0/1 labels (both classes must be present)."""
    x = np.asarray(margins, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    if len(np.unique(y)) < 2:
        raise ValueError("calibration needs both positive and negative examples")
    # Imported here, when a model is calibrated: scikit-learn takes most of a second to import,
    # and every `rapport` command imports this module (for the method names).
    from sklearn.isotonic import IsotonicRegression  # noqa: PLC0415
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415

    if method == "platt":
        # A very weak penalty: two parameters, the data decide (C large), no class weighting.
        model = LogisticRegression(C=1e4)
        model.fit(x.reshape(-1, 1), y, sample_weight=w)
        return Calibrator("platt", float(model.coef_[0][0]), float(model.intercept_[0]))
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    iso.fit(x, y, sample_weight=w)
    xs = np.asarray(iso.X_thresholds_, dtype=np.float64)
    ys = np.asarray(iso.y_thresholds_, dtype=np.float64)
    # Keep probabilities off exact 0 and 1: a later case can always surprise a finite sample.
    floor = 0.5 / (len(y) + 1.0)
    ys = np.clip(ys, floor, 1.0 - floor)
    return Calibrator("isotonic", knots_x=tuple(xs.tolist()), knots_y=tuple(ys.tolist()))


def calibration_table(
    probabilities: Sequence[float] | NDArray[np.float64],
    labels: Sequence[float] | NDArray[np.float64],
    bins: int = 10,
    weights: Sequence[float] | NDArray[np.float64] | None = None,
) -> list[dict[str, float]]:
    """Predicted against observed rates by quantile bin of the prediction (the card's table);
    ``count`` is the weight of the bin (a sampled row counts for the decisions it stands for)."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    w = np.ones(len(p)) if weights is None else np.asarray(weights, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    rows: list[dict[str, float]] = []
    for chunk in np.array_split(order, min(bins, max(1, len(p)))):
        if len(chunk) == 0:
            continue
        rows.append(
            {
                "count": float(w[chunk].sum()),
                "predicted_low": float(p[chunk].min()),
                "predicted_high": float(p[chunk].max()),
                "predicted_mean": float(np.average(p[chunk], weights=w[chunk])),
                "observed_rate": float(np.average(y[chunk], weights=w[chunk])),
            }
        )
    return rows


def expected_calibration_error(
    probabilities: Sequence[float] | NDArray[np.float64],
    labels: Sequence[float] | NDArray[np.float64],
    bins: int = 10,
    weights: Sequence[float] | NDArray[np.float64] | None = None,
) -> float:
    """Count-weighted mean |predicted - observed| over the quantile bins of the table."""
    table = calibration_table(probabilities, labels, bins, weights)
    total = sum(row["count"] for row in table)
    return sum(
        row["count"] * abs(row["predicted_mean"] - row["observed_rate"]) for row in table
    ) / (total or 1.0)
