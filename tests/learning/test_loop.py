"""The adaptive loop end to end: outcomes join their decisions, learners learn from what the
decisions used, published versions decide, and a replay restores the version it names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from rapport import Engine
from rapport.config import EngineConfig
from rapport.decisions.policy import load_policy
from rapport.decisions.record import Value
from rapport.learning.artifact import Artifact, loader
from rapport.learning.loop import OnlineLearner, learner
from rapport.learning.model import Arm, Chooser, Model
from rapport.learning.outcomes import JoinedOutcome
from tests.profiles.samples import at, debit, event, salary

LEARNED: list[JoinedOutcome] = []


class _Constant:
    """A chooser whose pmf is fixed: enough to see which version decided."""

    def __init__(self, version: str, weight: float) -> None:
        self.version = version
        self.features: tuple[str, ...] = ("features.events_30d",)
        self.weight = weight

    def pmf(self, inputs: Mapping[str, Value], arms: Sequence[Arm]) -> list[float]:
        return [1.0 / len(arms)] * len(arms)


@loader("test-constant")
def _load(artifact: Artifact) -> Model:
    chooser: Chooser = _Constant(artifact.version, float(artifact.payload.decode()))
    return chooser


class _Counting:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.seen = 0

    def learn_one(self, outcome: JoinedOutcome) -> None:
        LEARNED.append(outcome)
        self.seen += 1

    def publish(self) -> Artifact | None:
        return Artifact(self.kind, "test-constant", str(self.seen).encode(), {"seen": self.seen})


@learner("test-counting")
def _make(kind: str, options: Mapping[str, object]) -> OnlineLearner:
    return _Counting(kind)


def _policy(tmp_path: Path) -> Path:
    text = load_policy(None).text
    text += "\nlearning:\n  next_best_action:\n    learner: test-counting\n    publish_every: 2\n"
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def _history() -> list[dict[str, object]]:
    events: list[dict[str, object]] = [salary("s1", at(0), 3000.0, balance_after=3000.0)]
    events += [debit(f"d{i}", at(1 + i), 40.0 + i) for i in range(10)]
    return events


def _login(n: int, day: float) -> dict[str, object]:
    return event(f"login-{n}", "login", {"success": True}, at(day), channel="mobile")


def _response(n: int, decision_id: str, answer: str, day: float) -> dict[str, object]:
    payload = {"decision_id": decision_id, "offer_id": "savings-boost", "response": answer}
    return event(f"resp-{n}", "offer_response", payload, at(day))


def test_outcomes_join_learn_publish_and_replay(tmp_path: Path) -> None:
    LEARNED.clear()
    db = tmp_path / "r.db"
    config = EngineConfig(store_url=str(db), policy_path=str(_policy(tmp_path)))
    with Engine(config=config) as engine:
        engine.ingest(_history())
        first = [d for d in engine.decide_event(_login(1, 12)) if d.kind == "next_best_action"]
        assert first
        assert first[0].model_versions["next_best_action"] == "nba-affinity-1"
        engine.ingest([_login(1, 12)])
        engine.ingest([_response(1, first[0].decision_id, "declined", 12.1)])
        second = engine.decide_event(_login(2, 13))[0]
        engine.ingest([_login(2, 13)])
        engine.ingest([_response(2, second.decision_id, "accepted", 13.1)])
        # Two labelled outcomes: the learner saw the inputs the decisions recorded and published.
        assert [o.decision.decision_id for o in LEARNED] == [
            first[0].decision_id,
            second.decision_id,
        ]
        assert LEARNED[0].decision.inputs == first[0].inputs
        assert [o.label for o in LEARNED] == [0.0, 1.0]
        published = engine.decisions.models["next_best_action"]
        assert published.version.startswith("test-constant-")
        third = engine.decide_event(_login(3, 14))[0]
        assert third.model_versions["next_best_action"] == published.version
        assert "features.events_30d" in third.inputs
        counts = engine.learning.counts
        assert (counts.joined, counts.learned, counts.published) == (2, 2, 1)
    # A fresh engine on the same file restores the named version from the registry.
    with Engine(config=config) as reopened:
        original, again = reopened.replay(third.decision_id)
        assert again.outcome() == original.outcome()


def test_an_outcome_of_no_known_decision_is_reported_not_dropped(tmp_path: Path) -> None:
    with Engine("memory://") as engine:
        engine.ingest(_history())
        report = engine.ingest([_response(9, "dec-nowhere", "accepted", 12)])
        assert report.accepted == 1
        unjoined = engine.learning.outcomes.unjoined()
        assert [(u.event_id, u.type) for u in unjoined] == [("resp-9", "offer_response")]
        assert "dec-nowhere" in unjoined[0].reason
        fraud = event(
            "fr-1", "fraud_report", {"transaction_event_id": "d3", "is_fraud": True}, at(12)
        )
        engine.ingest([fraud])
        # d3 was ingested without a fraud decision (plain ingest takes none): reported too.
        assert engine.learning.counts.unjoined == 2
        reasons = [u.reason for u in engine.learning.outcomes.unjoined()]
        assert "no fraud decision on transaction 'd3'" in reasons[1]
