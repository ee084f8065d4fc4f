"""Fraud learned online from delayed reports: maturity, sampling, a planted signal found, replay
of decisions taken while learning, and merchant risk raised by confirmed frauds."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import cast

import numpy as np
import pytest
import yaml
from sklearn.metrics import average_precision_score

from rapport import Engine
from rapport.config import EngineConfig
from rapport.decisions.policy import load_policy
from rapport.decisions.record import Decision, Value
from rapport.events import parse_event
from rapport.events.model import FraudReportEvent
from rapport.learning.artifact import load
from rapport.learning.gbm import GbmScorer
from rapport.learning.online_fraud import OnlineFraudLearner, OnlineFraudOptions
from rapport.learning.outcomes import JoinedOutcome
from rapport.sim import SimConfig, SimulatedBank
from tests.profiles.samples import at, debit, event

START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
DAY = 86400.0


def decision(i: int, day: float, inputs: dict[str, Value]) -> Decision:
    return Decision(
        decision_id=f"dec-{i}",
        kind="fraud",
        customer_id=f"c{i % 50}",
        trigger_event_id=f"t{i}",
        event_time=(START + dt.timedelta(days=day)).isoformat(),
        inputs=inputs,
        candidates=[],
        action="approve",
        score=0.01,
        propensity=1.0,
        reasons=[],
        policy_version="pol-test",
        model_versions={"fraud": "fraud-behavioral-1"},
        seed=0,
    )


def report(d: Decision, day: float, is_fraud: bool) -> JoinedOutcome:
    raw = {
        "event_id": f"r-{d.decision_id}",
        "type": "fraud_report",
        "customer_id": d.customer_id,
        "timestamp": (START + dt.timedelta(days=day)).isoformat(),
        "payload": {"transaction_event_id": d.trigger_event_id, "is_fraud": is_fraud},
    }
    event = parse_event(json.dumps(raw).encode())
    assert isinstance(event, FraudReportEvent)
    return JoinedOutcome(d, event, 1.0 if is_fraud else 0.0)


def planted(rng: np.random.Generator) -> tuple[dict[str, Value], bool]:
    """Fraud when a hidden-to-the-behavioral-model input is high: 'features.tenure_days' low
    and a night hour, a pattern the transparent score does not know."""
    tenure = float(rng.uniform(0, 400))
    hour = float(rng.uniform(0, 24))
    logit = -4.0 + 3.0 * (tenure < 40) + 2.0 * (hour < 5)
    inputs: dict[str, Value] = {
        "features.tenure_days": tenure,
        "event.hour": hour,
        "event.amount": float(rng.lognormal(3, 1)),
        "features.debit_count_90d": 30.0,
    }
    return inputs, bool(rng.random() < 1 / (1 + np.exp(-logit)))


def feed(learner: OnlineFraudLearner, days: int, per_day: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    i = 0
    reports: list[tuple[float, JoinedOutcome]] = []
    for day in range(days):
        for k in range(per_day):
            inputs, fraud = planted(rng)
            d = decision(i, day + k / per_day, inputs)
            i += 1
            learner.observe_decision(d)
            if fraud:
                reports.append((day + 3.0, report(d, day + 3.0, True)))
        for _, outcome in [r for r in reports if r[0] <= day]:
            learner.learn_one(outcome)
        reports = [r for r in reports if r[0] > day]


def test_a_planted_signal_is_learned_beyond_the_behavioral_score() -> None:
    learner = OnlineFraudLearner("fraud", OnlineFraudOptions(maturity_days=5, min_positives=20))
    feed(learner, days=40, per_day=150, seed=3)
    artifact = learner.publish()
    assert artifact is not None
    scorer = cast(GbmScorer, load(artifact))
    rng = np.random.default_rng(99)
    fresh = [planted(rng) for _ in range(4000)]
    labels = np.array([fraud for _, fraud in fresh], dtype=float)
    learned = scorer.probabilities([inputs for inputs, _ in fresh])
    # The behavioral score cannot see this pattern: its ranking is no better than the base rate.
    assert average_precision_score(labels, learned) > 3 * labels.mean()
    # And the published probabilities are calibrated to the real base rate despite sampling.
    assert learned.mean() == pytest.approx(labels.mean(), rel=0.35)


def test_only_matured_screenings_count_as_genuine_and_a_late_report_turns_one() -> None:
    options = OnlineFraudOptions(maturity_days=10, negative_sample=1.0, min_positives=5)
    learner = OnlineFraudLearner("fraud", options)
    early = [decision(i, 0.5, {"event.amount": float(i)}) for i in range(20)]
    late = [decision(100 + i, 15.0, {"event.amount": float(i)}) for i in range(20)]
    for d in early + late:
        learner.observe_decision(d)
    table = learner.table()
    assert set(table.ids) == {d.decision_id for d in early}  # 15 - 10 days: only the early ones
    assert set(table.labels) == {0.0}
    learner.learn_one(report(early[3], 16.0, True))  # reported 15.5 days later
    table = learner.table()
    assert table.labels[table.ids.index(early[3].decision_id)] == 1.0
    assert len(table.ids) == 20
    assert learner.publish() is None  # one fraud is not enough to publish


def test_sampling_is_deterministic_and_weighted() -> None:
    options = OnlineFraudOptions(maturity_days=1, negative_sample=0.25)
    a, b = OnlineFraudLearner("fraud", options), OnlineFraudLearner("fraud", options)
    for learner in (a, b):
        for i in range(2000):
            learner.observe_decision(decision(i, i / 200.0, {"event.amount": 1.0}))
    assert list(a.pending) == list(b.pending)
    assert 400 < len(a.pending) < 600
    assert set(a.table().weight_array().tolist()) == {4.0}


def _policy(tmp_path: Path) -> Path:
    document = yaml.safe_load(load_policy(None).text)
    document["triggers"] = {"transaction": ["fraud"]}
    document["learning"] = {
        "fraud": {
            "learner": "lightgbm-fraud",
            "publish_every": 15,
            "options": {"maturity_days": 3, "min_positives": 10},
        }
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_decisions_taken_while_learning_replay_exactly(tmp_path: Path) -> None:
    config = SimConfig(
        customers=40, days=24, seed=808, card_fraud_rate=0.02, fraud_report_delay_days=(1, 3)
    )
    lines = [line for _, day in SimulatedBank(config).days() for line in day]
    db = tmp_path / "r.db"
    with Engine(db, EngineConfig(store_url=str(db), policy_path=str(_policy(tmp_path)))) as engine:
        _, decisions = engine.ingest_and_decide(lines)
        learned = [d for d in decisions if d.model_versions["fraud"].startswith("lightgbm-")]
        assert engine.learning.counts.published >= 1
        assert learned, "some screenings were scored by a published model"
        for d in learned[:: max(1, len(learned) // 20)]:
            original, again = engine.replay(d.decision_id)
            assert original.outcome() == again.outcome()


def test_a_confirmed_fraud_raises_its_merchants_risk_when_reported(tmp_path: Path) -> None:
    with Engine("memory://") as engine:
        engine.ingest(
            [json.dumps(debit(f"t{i}", at(0, i), 20.0, merchant="m9")).encode() for i in range(5)]
        )
        before = engine.entity_profile("merchant", "m9").features["merchant_fraud_risk"].value
        reported = event(
            "r1", "fraud_report", {"transaction_event_id": "t2", "is_fraud": True}, at(3)
        )
        engine.ingest([json.dumps(reported).encode()])
        after = engine.entity_profile("merchant", "m9").features["merchant_fraud_risk"].value
        assert after > 2 * before
        frauds = engine.entity_profile("merchant", "m9").features["merchant_confirmed_frauds_30d"]
        assert frauds.value == pytest.approx(1.0, rel=1e-6)


def test_young_frauds_stand_for_their_peers_not_reported_yet() -> None:
    options = OnlineFraudOptions(negative_sample=1.0, min_reported_share=0.1)
    learner = OnlineFraudLearner("fraud", options)
    # 60 days of screenings; every fifth is a fraud, reported after 1 to 10 days (uniform).
    rng = np.random.default_rng(7)
    decisions = [decision(i, i / 10.0, {"event.amount": float(i)}) for i in range(600)]
    reports = []
    for d in decisions[::5]:
        delay = float(rng.uniform(1, 10))
        reports.append((_day(d) + delay, d))
    for d in decisions:
        learner.observe_decision(d)
    for when, d in sorted(reports, key=lambda r: r[0]):
        if when <= 60.0:
            learner.learn_one(report(d, when, True))
    table = learner.table()
    weights = dict(zip(table.ids, table.weight_array().tolist(), strict=True))
    labels = dict(zip(table.ids, table.labels, strict=True))
    old = [weights[k] for k, label in labels.items() if label == 1.0 and _age(k, learner) > 12]
    young = [weights[k] for k, label in labels.items() if label == 1.0 and _age(k, learner) < 4]
    assert old
    assert young
    assert set(old) == {1.0}  # every fraud that old has had its chance to be reported
    assert min(young) > 1.5  # a young one stands for its peers not reported yet
    # Weighted, the recent weeks look as fraudulent as the settled ones (a fifth).
    recent = [k for k in labels if _age(k, learner) < 8]
    share = sum(weights[k] * labels[k] for k in recent) / sum(weights[k] for k in recent)
    assert share == pytest.approx(0.2, abs=0.07)


def _day(d: Decision) -> float:
    return (dt.datetime.fromisoformat(d.event_time) - START).total_seconds() / DAY


def _age(decision_id: str, learner: OnlineFraudLearner) -> float:
    when = learner.labelled[decision_id][0] if decision_id in learner.labelled else None
    if when is None:
        when = learner.pending[decision_id][0]
    return (learner.now - when) / DAY
