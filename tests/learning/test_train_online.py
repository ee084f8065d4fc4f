"""Credit risk learned online (``lightgbm-refit``): outcomes answer both ways, the worst one
counts, nothing is published on too few, and a planted signal is found."""

from __future__ import annotations

import datetime as dt
import json
from typing import cast

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from rapport.decisions.record import Decision, Value
from rapport.events import parse_event
from rapport.learning.artifact import load
from rapport.learning.gbm import GbmScorer
from rapport.learning.online_credit import OnlineCreditLearner, OnlineCreditOptions, make_learner
from rapport.learning.outcomes import JoinedOutcome

START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def decision(i: int, inputs: dict[str, Value]) -> Decision:
    return Decision(
        decision_id=f"dec-{i}",
        kind="credit_limit",
        customer_id=f"c{i}",
        trigger_event_id=f"s{i}",
        event_time=(START + dt.timedelta(hours=i)).isoformat(),
        inputs=inputs,
        candidates=[],
        action="hold",
        score=0.02,
        propensity=1.0,
        reasons=[],
        policy_version="pol-test",
        model_versions={"credit_limit": "credit-behavioral-1"},
        seed=0,
    )


def outcome(d: Decision, status: str, days: float = 30.0) -> JoinedOutcome:
    raw = {
        "event_id": f"o-{d.decision_id}-{status}",
        "type": "credit_outcome",
        "customer_id": d.customer_id,
        "timestamp": (START + dt.timedelta(days=days)).isoformat(),
        "payload": {"account_id": "a", "status": status},
    }
    label = 0.0 if status == "current" else 1.0
    return JoinedOutcome(d, parse_event(json.dumps(raw).encode()), label)


def planted(rng: np.random.Generator) -> tuple[dict[str, Value], bool]:
    late = float(rng.uniform(0, 1))
    utilisation = float(rng.uniform(0, 1.2))
    logit = -3.0 + 3.0 * late + 1.5 * (utilisation > 0.9)
    inputs: dict[str, Value] = {
        "features.late_share_90d": late,
        "features.utilisation_last": utilisation,
        "features.tenure_days": float(rng.uniform(0, 900)),
    }
    return inputs, bool(rng.random() < 1 / (1 + np.exp(-logit)))


def test_a_planted_signal_is_learned_and_replays_as_a_scorer() -> None:
    learner = make_learner("credit_limit", {"min_positives": 20})
    rng = np.random.default_rng(5)
    for i in range(3000):
        inputs, bad = planted(rng)
        learner.learn_one(outcome(decision(i, inputs), "delinquent" if bad else "current"))
    artifact = learner.publish()
    assert artifact is not None
    assert learner.publish() is None  # nothing new since
    scorer = cast(GbmScorer, load(artifact))
    fresh = [planted(rng) for _ in range(3000)]
    labels = np.array([bad for _, bad in fresh], dtype=float)
    predicted = scorer.probabilities([inputs for inputs, _ in fresh])
    assert roc_auc_score(labels, predicted) > 0.75
    assert predicted.mean() == pytest.approx(labels.mean(), abs=0.05)


def test_the_worst_outcome_counts_and_too_few_publish_nothing() -> None:
    learner = OnlineCreditLearner("credit_limit", OnlineCreditOptions(min_positives=5))
    d = decision(1, {"features.late_share_90d": 0.5})
    learner.learn_one(outcome(d, "delinquent", 30))
    learner.learn_one(outcome(d, "current", 60))
    assert learner.examples[d.decision_id][2] == 1.0
    assert learner.publish() is None


def test_fraud_is_refused() -> None:
    with pytest.raises(ValueError, match="credit_limit"):
        make_learner("fraud", {})
