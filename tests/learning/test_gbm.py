"""The LightGBM scorer: time-ordered training, calibration, card, fast predictions, reasons."""

from __future__ import annotations

import itertools
import math
from typing import cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.decisions.credit_limit import CreditLimit
from rapport.decisions.fraud import Fraud
from rapport.decisions.policy import load_policy
from rapport.decisions.record import Value
from rapport.learning.artifact import Artifact, load
from rapport.learning.calibration import fit_calibrator
from rapport.learning.gbm import GbmScorer
from rapport.learning.gbm_config import GbmConfig
from rapport.learning.reason_codes import BASE
from rapport.learning.training import (
    TrainingError,
    TrainingTable,
    time_split,
    train_scorer,
)

FAST = GbmConfig(max_rounds=120, early_stopping_rounds=20, threads=1)


def true_probability(x: np.ndarray, channel: str) -> float:
    logit = -2.5 + 1.6 * x[0] + 0.8 * x[1] * x[2] + (1.0 if channel == "online" else 0.0)
    return 1.0 / (1.0 + math.exp(-logit))


def synthetic(rows: int, seed: int, kind: str = "fraud") -> tuple[TrainingTable, list[float]]:
    rng = np.random.default_rng(seed)
    table = TrainingTable(kind)
    truth = []
    for i in range(rows):
        x = rng.normal(size=4)
        channel = str(rng.choice(["web", "online", "card_present"]))
        p = true_probability(x, channel)
        inputs: dict[str, Value] = {
            "features.a": float(x[0]),
            "features.b": float(x[1]),
            "features.c": float(x[2]),
            "features.noise": float(x[3]),
            "event.channel": channel,
            "features.absent": None,
        }
        table.add(f"d{i}", 1.7e9 + 60.0 * i, inputs, float(rng.random() < p))
        truth.append(p)
    return table, truth


@pytest.fixture(scope="module")
def trained() -> tuple[TrainingTable, Artifact]:
    table, _ = synthetic(8000, seed=9)
    return table, train_scorer(table, FAST)


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=2, max_size=80), st.floats(0.05, 0.6))
@settings(max_examples=60, deadline=None)
def test_the_split_never_trains_on_rows_later_than_it_validates(
    times: list[float], share: float
) -> None:
    try:
        train, valid = time_split(times, share)
    except TrainingError:
        # Only when the earliest time is shared by the whole would-be training slice.
        assert sum(t == min(times) for t in times) >= 2
        return
    t = np.asarray(times)
    assert len(train) + len(valid) == len(times)
    assert t[train].max() < t[valid].min()


def test_calibrated_probabilities_match_observed_rates_on_later_data(
    trained: tuple[TrainingTable, Artifact],
) -> None:
    _, artifact = trained
    scorer = cast(GbmScorer, load(artifact))
    later, truth = synthetic(6000, seed=109)
    predicted = scorer.probabilities(later.inputs)
    labels = np.asarray(later.labels)
    errors = [
        (len(chunk), abs(predicted[chunk].mean() - labels[chunk].mean()))
        for chunk in np.array_split(np.argsort(predicted), 8)
    ]
    # Count-weighted mean gap between predicted and observed rates over the eighths of the
    # predictions (expected calibration error), and no eighth far off.
    assert sum(n * e for n, e in errors) / len(labels) < 0.03
    assert max(e for _, e in errors) < 0.08
    # And the ranking follows the true probabilities closely.
    assert np.corrcoef(predicted, truth)[0, 1] > 0.85


@given(st.sampled_from(["platt", "isotonic"]), st.integers(0, 10_000))
@settings(max_examples=20, deadline=None)
def test_calibration_maps_are_monotone(method: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    margins = rng.normal(size=400) * 2
    labels = (rng.random(400) < 1 / (1 + np.exp(-margins))).astype(float)
    labels[:2] = [0.0, 1.0]
    calibrator = fit_calibrator(margins, labels, method)  # type: ignore[arg-type]
    grid = np.linspace(-8, 8, 200)
    values = [calibrator.probability(float(m)) for m in grid]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(values))
    assert all(0.0 < v < 1.0 for v in values)
    assert np.allclose(values, calibrator.probabilities(grid))


def test_the_card_says_what_was_trained_on_and_how_well(
    trained: tuple[TrainingTable, Artifact],
) -> None:
    table, artifact = trained
    card = artifact.card
    assert card["rows"] == 8000
    assert card["positives"] == int(sum(table.labels))
    train_slice = cast(dict[str, object], card["train_slice"])
    valid_slice = cast(dict[str, object], card["validation_slice"])
    assert cast(int, train_slice["rows"]) + cast(int, valid_slice["rows"]) == 8000
    assert str(train_slice["end"]) < str(valid_slice["start"])
    assert str(card["data_hash"]).startswith("sha256:")
    metrics = cast(dict[str, float], card["validation"])
    assert metrics["roc_auc"] > 0.75
    assert metrics["brier"] < metrics["brier_of_base_rate"]
    names = {f["name"] for f in cast(list[dict[str, object]], card["features"])}
    assert names <= set(table.inputs[0]) - {"features.absent"}
    assert {"features.a", "event.channel"} <= names
    assert len(cast(dict[str, object], card["calibration"])["table"]) == 10  # type: ignore[arg-type]
    # One changed label is another data set.
    changed = TrainingTable("fraud", table.ids, table.times, table.inputs, list(table.labels))
    changed.labels[0] = 1.0 - changed.labels[0]
    assert changed.digest() != table.digest()


def test_same_table_same_bytes(trained: tuple[TrainingTable, Artifact]) -> None:
    table, artifact = trained
    assert train_scorer(table, FAST).version == artifact.version


def test_contributions_sum_to_the_raw_margin_and_one_row_matches_the_batch(
    trained: tuple[TrainingTable, Artifact],
) -> None:
    table, artifact = trained
    scorer = cast(GbmScorer, load(artifact))
    rows = table.inputs[:50]
    batch = scorer.probabilities(rows)
    for row, expected in zip(rows, batch, strict=True):
        prediction = scorer.predict_one(row)
        assert prediction.probability == pytest.approx(expected, abs=1e-9)
        contributions = dict(prediction.contributions)
        assert BASE in contributions
        assert sum(contributions.values()) == pytest.approx(scorer.margin_one(row), abs=1e-9)
    # An unseen category and a missing number are read as missing, not as an error.
    odd = {**rows[0], "event.channel": "carrier-pigeon", "features.a": None}
    assert 0.0 < scorer.predict_one(odd).probability < 1.0


def test_too_little_signal_is_refused() -> None:
    table = TrainingTable("fraud")
    for i in range(50):
        table.add(f"d{i}", float(i), {"features.a": float(i)}, 0.0)
    with pytest.raises(TrainingError):
        train_scorer(table, FAST)


def test_fraud_takes_the_models_probability_and_its_reasons(
    trained: tuple[TrainingTable, Artifact],
) -> None:
    table, artifact = trained
    scorer = load(artifact)
    policy = load_policy().policy
    guarded = {
        "features.last_speed_kmh": 0.0,
        "device.device_age_days": 30.0,
        "features.failed_logins_1d": 0.0,
    }
    rows = [{**guarded, **row} for row in table.inputs[:400]]
    outcomes = [(row, Fraud().decide(row, policy, scorer)) for row in rows]
    for row, outcome in outcomes:
        assert outcome.score == pytest.approx(
            cast(GbmScorer, scorer).predict_one(row).probability, abs=1e-8
        )
        if outcome.action == "approve":
            assert outcome.reasons == []
        else:
            assert outcome.reasons
            assert all(r.code.startswith(("FRD_", "GRD_")) for r in outcome.reasons)
            weights = [r.weight for r in outcome.reasons if r.code.startswith("FRD_")]
            assert weights == sorted(weights, reverse=True)
    assert {o.action for _, o in outcomes} >= {"approve", "decline"}


def test_credit_decreases_carry_the_models_four_strongest_adverse_reasons(
    trained: tuple[TrainingTable, Artifact],
) -> None:
    table, _ = trained
    credit = train_scorer(synthetic(3000, seed=3, kind="credit_limit")[0], FAST)
    scorer = load(credit)
    policy = load_policy().policy
    decreased = 0
    for row in table.inputs[:300]:
        inputs = {
            **row,
            "features.credit_limit_last": 2000.0,
            "features.utilisation_last": 0.9,
            "signals.vulnerability": 0.0,
            "signals.financial_stress": 0.0,
        }
        outcome = CreditLimit().decide(inputs, policy, scorer)
        if outcome.action == "decrease":
            decreased += 1
            assert 1 <= len(outcome.reasons) <= 4
            assert all(r.code.startswith("ADV_") and r.weight > 0 for r in outcome.reasons)
            assert outcome.score >= policy.credit_limit.decrease_above
    assert decreased > 0
