"""Batch training of a LightGBM scorer from a point-in-time table, with its model card.

A row is one decision: the inputs it recorded (what the engine knew then), its event time and the
label outcomes later gave it. The split is by time: the model learns from the earlier rows and
is validated (early stopping, metrics, calibration) on the later ones, the way it will be used —
on decisions that come after everything it learned from. No validated row is ever older than a
trained one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from rapport.decisions.record import Value
from rapport.learning.artifact import Artifact
from rapport.learning.calibration import (
    calibration_table,
    expected_calibration_error,
    fit_calibrator,
)
from rapport.learning.gbm import OFFSETS, TYPE, encode_rows, payload
from rapport.learning.gbm_config import GbmConfig
from rapport.learning.reason_codes import describe

if TYPE_CHECKING:
    # LightGBM and scikit-learn take about a second to import. Every engine that learns fraud
    # imports this module, but only training needs them, so each use imports them itself.
    import lightgbm as lgb


class TrainingError(ValueError):
    """The table cannot give a validated model (too few rows, one class only...)."""


@dataclass
class TrainingTable:
    """Point-in-time rows: one decision each."""

    kind: str
    ids: list[str] = field(default_factory=list)
    """The decision (or trigger event) of each row."""
    times: list[float] = field(default_factory=list)
    """Event time of each decision, seconds since the epoch."""
    inputs: list[dict[str, Value]] = field(default_factory=list)
    labels: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    """How many decisions each row stands for (a sampled row stands for several); rows added
    without ``add`` weigh 1."""

    def add(
        self, row_id: str, time: float, inputs: dict[str, Value], label: float, weight: float = 1.0
    ) -> None:
        if len(self.weights) < len(self.ids):
            self.weights += [1.0] * (len(self.ids) - len(self.weights))
        self.ids.append(row_id)
        self.times.append(time)
        self.inputs.append(inputs)
        self.labels.append(label)
        self.weights.append(weight)

    def weight_array(self) -> NDArray[np.float64]:
        weights = self.weights + [1.0] * (len(self.ids) - len(self.weights))
        return np.asarray(weights, dtype=np.float64)

    def digest(self) -> str:
        """sha256 of the rows in canonical JSON: the card's data hash."""
        h = hashlib.sha256()
        weights = self.weight_array().tolist()
        for row in zip(self.ids, self.times, self.labels, self.inputs, weights, strict=True):
            data = row if row[4] != 1.0 else row[:4]
            h.update(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
            h.update(b"\n")
        return h.hexdigest()


def time_split(times: Sequence[float], share: float) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(train rows, validation rows): validation is the latest ``share`` of the rows, and every
    validation row is strictly later than every training row (equal times stay together)."""
    t = np.asarray(times, dtype=np.float64)
    if len(t) < 2:
        raise TrainingError("at least two rows are needed")
    ordered = np.sort(t, kind="stable")
    cut = ordered[max(1, min(len(t) - 1, round(len(t) * (1.0 - share))))]
    train = np.flatnonzero(t < cut)
    valid = np.flatnonzero(t >= cut)
    if len(train) == 0:
        raise TrainingError("every row has the same time: no earlier rows to train on")
    return train, valid


def _categories(
    rows: Sequence[Mapping[str, Value]], names: Sequence[str], most: int
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in names:
        values = [row.get(name) for row in rows]
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, str) for v in present):
            counts = Counter(str(v) for v in present)
            found[name] = [v for v, _ in sorted(counts.items(), key=lambda c: (-c[1], c[0]))][:most]
    return found


def _params(config: GbmConfig) -> dict[str, object]:
    return {
        "objective": "binary",
        "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves,
        "min_data_in_leaf": config.min_data_in_leaf,
        "feature_fraction": config.feature_fraction,
        "bagging_fraction": config.bagging_fraction,
        "bagging_freq": 1 if config.bagging_fraction < 1.0 else 0,
        "lambda_l2": config.lambda_l2,
        "seed": config.seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": config.threads,
        "verbose": -1,
    }


def _dataset(
    matrix: NDArray[np.float64],
    labels: NDArray[np.float64],
    columns: Sequence[str],
    categorical: Sequence[str],
    init: NDArray[np.float64] | None,
    weights: NDArray[np.float64],
    reference: lgb.Dataset | None = None,
) -> lgb.Dataset:
    import lightgbm as lgb  # noqa: PLC0415 - deferred: see the TYPE_CHECKING import

    return lgb.Dataset(
        matrix,
        labels,
        weight=weights,
        feature_name=[f"f{i}" for i in range(len(columns))],
        categorical_feature=[f"f{columns.index(c)}" for c in categorical] or "auto",
        init_score=init,
        reference=reference,
        free_raw_data=False,
    )


@dataclass
class _Fit:
    booster: lgb.Booster
    columns: list[str]
    valid_margins: NDArray[np.float64]


def _fit(
    config: GbmConfig,
    rows: Sequence[Mapping[str, Value]],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    init: NDArray[np.float64],
    train: NDArray[np.intp],
    valid: NDArray[np.intp],
    columns: list[str],
    categories: Mapping[str, Sequence[str]],
) -> _Fit:
    vocab = {n: {v: i for i, v in enumerate(vs)} for n, vs in categories.items() if n in columns}
    matrix = encode_rows(rows, columns, vocab)
    categorical = [c for c in columns if c in vocab]
    train_set = _dataset(matrix[train], y[train], columns, categorical, init[train], w[train])
    valid_set = _dataset(
        matrix[valid], y[valid], columns, categorical, init[valid], w[valid], reference=train_set
    )
    import lightgbm as lgb  # noqa: PLC0415 - deferred: see the TYPE_CHECKING import

    booster = lgb.train(
        _params(config),
        train_set,
        num_boost_round=config.max_rounds,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(config.early_stopping_rounds, verbose=False)],
    )
    margins = booster.predict(matrix[valid], raw_score=True, num_iteration=booster.best_iteration)
    return _Fit(booster, columns, np.asarray(margins, dtype=np.float64) + init[valid])


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat()


def train_scorer(table: TrainingTable, config: GbmConfig | None = None) -> Artifact:
    """A validated, calibrated ``lightgbm`` artifact with its model card."""
    config = config or GbmConfig()
    train, valid = time_split(table.times, config.validation_share)
    n = len(table.labels)
    y = np.asarray(table.labels, dtype=np.float64)
    w = table.weight_array()
    for name, part in (("training", train), ("validation", valid)):
        if len(np.unique(y[part])) < 2:
            raise TrainingError(f"the {name} slice needs both positive and negative rows")
    rows = table.inputs
    init = np.zeros(n)
    if config.offset is not None:
        terms = OFFSETS[config.offset].terms
        init = np.array([sum(terms(row).values()) for row in rows], dtype=np.float64)
    names = sorted({name for row in rows for name in row})
    categories = _categories(rows, names, config.max_categories)
    # Inputs that never vary on the training rows cannot be learned from.
    probe = encode_rows(
        [rows[i] for i in train],
        names,
        {n: {v: i for i, v in enumerate(vs)} for n, vs in categories.items()},
    )
    varying = [
        name
        for j, name in enumerate(names)
        if len(np.unique(probe[:, j][~np.isnan(probe[:, j])])) > 1
    ]
    if not varying:
        raise TrainingError("no input varies over the training rows")
    fit = _fit(config, rows, y, w, init, train, valid, varying, categories)
    if config.max_features is not None and len(varying) > config.max_features:
        gains = fit.booster.feature_importance("gain", iteration=fit.booster.best_iteration)
        ranked = sorted(zip(gains, varying, strict=True), key=lambda g: (-g[0], g[1]))
        kept = sorted(name for gain, name in ranked[: config.max_features] if gain > 0)
        fit = _fit(config, rows, y, w, init, train, valid, kept or varying[:1], categories)
    columns = fit.columns
    rounds = max(1, fit.booster.best_iteration or fit.booster.current_iteration())
    calibrator = fit_calibrator(fit.valid_margins, y[valid], config.calibration, w[valid])
    booster = fit.booster
    if config.refit:
        everything = np.arange(n)
        vocab = {n: {v: i for i, v in enumerate(categories[n])} for n in columns if n in categories}
        matrix = encode_rows(rows, columns, vocab)
        categorical = [c for c in columns if c in vocab]
        full = _dataset(matrix, y, columns, categorical, init[everything], w)
        import lightgbm as lgb  # noqa: PLC0415 - deferred: see the TYPE_CHECKING import

        booster = lgb.train(_params(config), full, num_boost_round=rounds)
    model_text = booster.model_to_string(num_iteration=rounds if not config.refit else -1)
    kept_categories = {c: categories[c] for c in columns if c in categories}
    body = payload(table.kind, model_text, columns, kept_categories, calibrator, config.offset)
    card = _card(table, config, train, valid, y, w, fit, calibrator.to_dict(), rounds, n)
    return Artifact(table.kind, TYPE, body, card)


def _card(
    table: TrainingTable,
    config: GbmConfig,
    train: NDArray[np.intp],
    valid: NDArray[np.intp],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    fit: _Fit,
    calibration: dict[str, object],
    rounds: int,
    n: int,
) -> dict[str, object]:
    from sklearn.metrics import (  # noqa: PLC0415 - deferred: see the TYPE_CHECKING import
        average_precision_score,
        brier_score_loss,
        roc_auc_score,
    )

    times = np.asarray(table.times)
    yv = y[valid]
    wv = w[valid]
    margins = fit.valid_margins
    # Honest calibration figures: fit the map on one half of the validation slice (by time) and
    # measure it on the other, both ways round, so that no row grades a map it helped fit.
    half = len(valid) // 2
    crossed = np.empty(len(valid))
    for fit_part, test_part in (
        (slice(0, half), slice(half, None)),
        (slice(half, None), slice(0, half)),
    ):
        part_y = yv[fit_part]
        if len(np.unique(part_y)) < 2:
            crossed[test_part] = float(np.mean(yv))
            continue
        cal = fit_calibrator(margins[fit_part], part_y, config.calibration, wv[fit_part])
        crossed[test_part] = cal.probabilities(margins[test_part])
    base_rate = float(np.average(y[train], weights=w[train]))
    gains = fit.booster.feature_importance("gain", iteration=fit.booster.best_iteration)
    total_gain = float(np.sum(gains)) or 1.0
    return {
        "kind": table.kind,
        "type": TYPE,
        "training_window": {"start": _iso(float(times.min())), "end": _iso(float(times.max()))},
        "train_slice": {
            "start": _iso(float(times[train].min())),
            "end": _iso(float(times[train].max())),
            "rows": len(train),
            "positives": int(np.sum(y[train])),
        },
        "validation_slice": {
            "start": _iso(float(times[valid].min())),
            "end": _iso(float(times[valid].max())),
            "rows": len(valid),
            "positives": int(np.sum(yv)),
        },
        "rows": n,
        "positives": int(np.sum(y)),
        "data_hash": "sha256:" + table.digest(),
        "features": [
            {"name": c, "description": describe(c), "gain_share": round(float(g) / total_gain, 4)}
            for c, g in sorted(zip(fit.columns, gains, strict=True), key=lambda t: -t[1])
        ],
        "validation": {
            "roc_auc": round(float(roc_auc_score(yv, margins, sample_weight=wv)), 4),
            "average_precision": round(
                float(average_precision_score(yv, margins, sample_weight=wv)), 4
            ),
            "brier": round(float(brier_score_loss(yv, crossed, sample_weight=wv)), 6),
            "brier_of_base_rate": round(
                float(brier_score_loss(yv, np.full(len(yv), base_rate), sample_weight=wv)), 6
            ),
            "expected_calibration_error": round(
                expected_calibration_error(crossed, yv, weights=wv), 5
            ),
            "note": "rank metrics from held-out margins; Brier and calibration cross-fitted on "
            "the two halves of the validation slice",
        },
        "calibration": {
            "map": calibration,
            "table": [
                {k: round(v, 5) for k, v in row.items()}
                for row in calibration_table(crossed, yv, weights=wv)
            ],
        },
        "trees": rounds,
        "refit_on_all_rows": config.refit,
        "offset": config.offset,
        "config": config.model_dump(),
    }
