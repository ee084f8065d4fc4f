"""The contextual bandit (VW cb_explore_adf): it learns a planted preference, gives probability
to eligible arms only, keeps the policy's exploration floor, and its published snapshots decide
deterministically (after a save/load round trip too, and in a replay)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport import Engine
from rapport.config import EngineConfig
from rapport.decisions.communication import Communication
from rapport.decisions.next_best_action import NextBestAction
from rapport.decisions.policy import Policy, load_policy
from rapport.decisions.record import CandidateVerdict, Decision, Value
from rapport.events.validation import parse_event
from rapport.learning.artifact import Artifact, load
from rapport.learning.bandit import VwCbLearner, VwChooser, eligible_arms
from rapport.learning.bandit_features import BanditOptions, arms_for, offer_arm
from rapport.learning.model import draw
from rapport.learning.outcomes import JoinedOutcome
from rapport.learning.registry import SqliteRegistry
from tests.profiles.samples import at, debit, event, salary

POLICY = load_policy().policy
OFFERS = [o.id for o in POLICY.offers.catalog]
# The planted truth: the disciplined take the savings offer, the others the budgeting coach.
PLANTED = {True: "savings-boost", False: "budget-coach"}


def _accept_probability(disciplined: bool, offer: str) -> float:
    return 0.6 if offer == PLANTED[disciplined] else 0.1


def _inputs(rnd: random.Random) -> dict[str, Value]:
    disciplined = rnd.random() < 0.5
    return {
        "signals.discipline": round(
            rnd.uniform(0.6, 1.0) if disciplined else rnd.uniform(0, 0.4), 3
        ),
        "signals.financial_stress": round(rnd.random() * 0.3, 3),
        "features.balance_mean_30d": round(rnd.uniform(600, 9000), 1),
    }


def _record(n: int, inputs: dict[str, Value], offer: str, propensity: float) -> Decision:
    return Decision(
        decision_id=f"dec-{n}",
        kind="next_best_action",
        customer_id=f"c{n % 50}",
        trigger_event_id=f"e{n}",
        event_time="2026-01-01T00:00:00+00:00",
        inputs=inputs,
        candidates=[CandidateVerdict(o, True) for o in OFFERS],
        action="offer",
        details={"offer_id": offer},
        score=0.0,
        propensity=propensity,
        reasons=[],
        policy_version="pol-test",
        model_versions={},
        seed=n,
    )


def _outcome(decision: Decision, accepted: bool) -> JoinedOutcome:
    offer = decision.details["offer_id"]
    response = event(
        f"r-{decision.decision_id}",
        "offer_response",
        {
            "decision_id": decision.decision_id,
            "offer_id": offer,
            "response": "accepted" if accepted else "declined",
        },
        at(1),
        customer=decision.customer_id,
    )
    return JoinedOutcome(decision, parse_event(response), 1.0 if accepted else 0.0)


def _learner(**options: object) -> VwCbLearner:
    return VwCbLearner("next_best_action", dict(options), lambda version: POLICY)


def _train(learner: VwCbLearner, rounds: int, seed: int, publish_every: int = 100) -> VwChooser:
    """A closed loop on the planted world: the published snapshot decides, the learner learns."""
    rnd = random.Random(seed)
    arms = arms_for("next_best_action", OFFERS, POLICY)
    chooser: VwChooser | None = None
    for n in range(rounds):
        inputs = _inputs(rnd)
        pmf = [1.0 / len(arms)] * len(arms) if chooser is None else chooser.pmf(inputs, arms)
        index = draw(pmf, rnd.getrandbits(62))
        decision = _record(n, inputs, arms[index].id, pmf[index])
        disciplined = float(inputs["signals.discipline"] or 0) >= 0.5
        accepted = rnd.random() < _accept_probability(disciplined, arms[index].id)
        learner.learn_one(_outcome(decision, accepted))
        if (n + 1) % publish_every == 0:
            artifact = learner.publish()
            assert artifact is not None
            published = load(artifact)
            assert isinstance(published, VwChooser)
            chooser = published
    assert chooser is not None
    return chooser


def test_the_bandit_learns_a_planted_preference() -> None:
    # Three closed loops: one snapshot of one loop can be caught mid-way through trying an arm
    # that a few lucky outcomes flattered (with either cb_type, about one loop in ten here).
    arms = arms_for("next_best_action", OFFERS, POLICY)
    greedy_rate, uniform_rate = [], []
    for seed in (3, 4, 5):
        chooser = _train(_learner(epsilon=0.1), 1500, seed=seed)
        rnd = random.Random(99)
        for _ in range(400):
            inputs = _inputs(rnd)
            disciplined = float(inputs["signals.discipline"] or 0) >= 0.5
            pmf = chooser.pmf(inputs, arms)
            greedy_rate.append(_accept_probability(disciplined, arms[chooser.greedy(pmf)].id))
            uniform_rate.append(
                sum(_accept_probability(disciplined, a.id) for a in arms) / len(arms)
            )
    learned = sum(greedy_rate) / len(greedy_rate)
    uniform = sum(uniform_rate) / len(uniform_rate)
    # Uniform is 0.18 here, the planted best 0.6: the learned arm must be well above uniform.
    assert learned > uniform + 0.25, (learned, uniform)


@pytest.mark.parametrize("hidden_units", [0, 5])
def test_a_snapshot_is_deterministic_and_survives_a_round_trip(
    tmp_path: Path, hidden_units: int
) -> None:
    # A model with hidden units carries the seed they were drawn with; a linear one does not.
    learner = _learner(epsilon=0.1, hidden_units=hidden_units)
    _train(learner, 300, seed=5)
    artifact = learner.publish()
    assert artifact is None  # nothing new since the last publication
    learner.learn_one(
        _outcome(_record(9999, {"signals.discipline": 0.9}, "isa-investment", 0.02), True)
    )
    artifact = learner.publish()
    assert artifact is not None
    registry = SqliteRegistry(tmp_path / "models.db")
    registry.put(artifact)
    stored = registry.get(artifact.version)
    registry.close()
    assert stored is not None
    assert stored.version == artifact.version
    first, again = load(artifact), load(stored)
    assert isinstance(first, VwChooser)
    assert isinstance(again, VwChooser)
    arms = arms_for("next_best_action", OFFERS, POLICY)
    rnd = random.Random(11)
    for _ in range(50):
        inputs = _inputs(rnd)
        pmf = first.pmf(inputs, arms)
        assert pmf == first.pmf(inputs, arms)
        assert pmf == again.pmf(inputs, arms)
        assert sum(pmf) == pytest.approx(1.0)
        # The snapshot predicts what the learner it was saved from predicts (VW works in
        # single precision; the snapshot renormalises).
        assert pmf == pytest.approx(learner.pmf(inputs, arms), abs=1e-6)


@settings(max_examples=25, deadline=None)
@given(
    epsilon=st.floats(0.01, 0.3),
    discipline=st.floats(0, 1),
    eligible=st.sets(st.sampled_from(OFFERS), min_size=1),
)
def test_every_eligible_arm_keeps_the_exploration_floor(
    epsilon: float, discipline: float, eligible: set[str]
) -> None:
    learner = _learner(epsilon=epsilon)
    for n in range(30):
        offer = PLANTED[n % 2 == 0]
        decision = _record(n, {"signals.discipline": float(n % 2 == 0)}, offer, 0.5)
        learner.learn_one(_outcome(decision, True))
    published = learner.publish()
    assert published is not None
    chooser = load(published)
    assert isinstance(chooser, VwChooser)
    arms = [offer_arm(o) for o in POLICY.offers.catalog if o.id in eligible]
    pmf = chooser.pmf({"signals.discipline": discipline}, arms)
    assert len(pmf) == len(arms)
    assert min(pmf) >= epsilon / len(arms) - 1e-6
    assert sum(pmf) == pytest.approx(1.0)


def test_exploration_decays_after_the_outcomes_the_policy_gives_it_to_its_floor() -> None:
    options = BanditOptions(epsilon=0.1, epsilon_floor=0.02, epsilon_decay_after=100)
    assert options.epsilon_after(0) == options.epsilon_after(100) == 0.1
    assert options.epsilon_after(400) == pytest.approx(0.05)  # 0.1 * sqrt(100 / 400)
    assert options.epsilon_after(10_000_000) == 0.02
    assert BanditOptions(epsilon=0.1, epsilon_decay_after=0).epsilon_after(10**6) == 0.1
    # A floor above epsilon never raises exploration past the policy's epsilon.
    assert BanditOptions(epsilon=0.01, epsilon_floor=0.05).epsilon_after(10**6) == 0.01
    learner = _learner(epsilon=0.1, epsilon_floor=0.02, epsilon_decay_after=100)
    chooser = _train(learner, 400, seed=13)
    arms = arms_for("next_best_action", OFFERS, POLICY)
    pmf = chooser.pmf({"signals.discipline": 0.9}, arms)
    # The version published after 400 outcomes explores 5%, not the 10% it started with.
    assert min(pmf) == pytest.approx(0.05 / len(arms), abs=1e-6)
    assert chooser.args[chooser.args.index("--epsilon") + 1] == repr(0.05)


@pytest.mark.parametrize("seed", [21, 22])
def test_direct_estimates_do_not_favour_the_arm_taken_most(seed: int) -> None:
    """Logged mostly on one arm (as a bandit's own history is), the direct method still finds
    the better arm for each customer from the few outcomes of the others."""
    learner = _learner(epsilon=0.05)
    rnd = random.Random(seed)
    others = [o for o in OFFERS if o != "budget-coach"]
    for n in range(3000):
        inputs = _inputs(rnd)
        explored = rnd.random() < 0.15
        offer = rnd.choice(others) if explored else "budget-coach"
        propensity = 0.15 / len(others) if explored else 0.85
        disciplined = float(inputs["signals.discipline"] or 0) >= 0.5
        accepted = rnd.random() < _accept_probability(disciplined, offer)
        learner.learn_one(_outcome(_record(n, inputs, offer, propensity), accepted))
    artifact = learner.publish()
    assert artifact is not None
    chooser = load(artifact)
    assert isinstance(chooser, VwChooser)
    arms = arms_for("next_best_action", OFFERS, POLICY)
    for discipline, best in ((0.9, "savings-boost"), (0.1, "budget-coach")):
        customer: dict[str, Value] = {
            "signals.discipline": discipline,
            "signals.financial_stress": 0.1,
            "features.balance_mean_30d": 3000.0,
        }
        assert arms[chooser.greedy(chooser.pmf(customer, arms))].id == best, discipline


def _vulnerable_inputs() -> dict[str, Value]:
    return {
        "signals.vulnerability": 0.9,
        "signals.financial_stress": 0.6,
        "signals.discipline": 0.3,
        "features.balance_mean_30d": 9000.0,
        "features.share_travel_30d": 0.2,
        "features.debit_sum_30d": 3000.0,
    }


def test_only_eligible_offers_get_probability_and_propensity_is_the_drawn_arm() -> None:
    chooser = _train(_learner(epsilon=0.2), 300, seed=7)
    kind = NextBestAction()
    inputs = _vulnerable_inputs()
    for seed in range(40):
        outcome = kind.decide(inputs, POLICY, chooser, seed)
        eligible = {c.action for c in outcome.candidates if c.eligible}
        # A vulnerable customer: promotional offers are guardrailed, never in the arm set.
        assert eligible == {"budget-coach", "hardship-support"}
        assert set(outcome.distribution) == eligible
        assert sum(outcome.distribution.values()) == pytest.approx(1.0)
        offer = outcome.details["offer_id"]
        assert isinstance(offer, str)
        assert offer in eligible
        assert outcome.propensity == outcome.distribution[offer]
        assert outcome.reasons[0].code == "LRN_BANDIT"
        assert any(r.code == "GRD_VULNERABLE" for r in outcome.reasons)
        explored = any(r.code == "LRN_EXPLORE" for r in outcome.reasons)
        favourite = max(outcome.distribution, key=lambda a: outcome.distribution[a])
        assert explored == (offer != favourite)


def test_without_a_model_next_best_action_is_unchanged() -> None:
    kind = NextBestAction()
    inputs = _vulnerable_inputs()
    assert kind.decide(inputs, POLICY) == kind.decide(inputs, POLICY, None, 12345)
    assert kind.decide(inputs, POLICY).distribution == {}


def test_communication_guardrails_stay_rules_before_the_bandit() -> None:
    learner = VwCbLearner("communication", {"epsilon": 0.3}, lambda version: POLICY)
    decision = Decision(
        decision_id="dec-m",
        kind="communication",
        customer_id="c1",
        trigger_event_id="t",
        event_time="2026-01-01T00:00:00+00:00",
        inputs={"features.response_rate_sms": 0.4},
        candidates=[CandidateVerdict(c, True) for c in ("email", "sms", "push", "hold_off")],
        action="send",
        details={"channel": "sms"},
        score=0.4,
        propensity=0.5,
        reasons=[],
        policy_version="pol-test",
        model_versions={},
        seed=1,
    )
    assert eligible_arms(decision) == ["email", "sms", "push"]
    message = event("m1", "message_event", {"decision_id": "dec-m", "status": "opened"}, at(1))
    learner.learn_one(JoinedOutcome(decision, parse_event(message), 1.0))
    artifact = learner.publish()
    assert artifact is not None
    chooser = load(artifact)
    kind = Communication()
    capped: dict[str, Value] = {"contacts.sent_7d": 5.0, "event.purpose": "service"}
    held = kind.decide(capped, POLICY, chooser, 7)
    assert held.action == "hold_off"
    assert held.distribution == {}
    free: dict[str, Value] = {"contacts.sent_7d": 0.0, "features.habit_hour": 23.0}
    sent = kind.decide(free, POLICY, chooser, 7)
    assert sent.action == "send"
    assert set(sent.distribution) == {"email", "sms", "push"}
    assert sent.propensity == sent.distribution[str(sent.details["channel"])]
    # Quiet hours stay the policy's: 23h moves to the edge of the allowed day.
    assert sent.details["send_hour"] == 20


def test_options_bound_exploration() -> None:
    with pytest.raises(ValueError, match="epsilon"):
        BanditOptions.model_validate({"epsilon": 0.9})
    with pytest.raises(ValueError, match="squarecb"):
        BanditOptions.model_validate({"exploration": "squarecb", "cb_type": "dm"})
    BanditOptions.model_validate({"exploration": "squarecb", "cb_type": "direct"})
    with pytest.raises(ValueError, match="extra"):
        BanditOptions.model_validate({"epsilonn": 0.1})


def _policy_file(tmp_path: Path) -> Path:
    text = load_policy(None).text
    text += (
        "\nlearning:\n  next_best_action:\n    learner: vw-cb-adf\n    publish_every: 3\n"
        # A refit starts at the 2nd outcome and takes over at the 3rd, just before publication:
        # the version that decides below was refitted on its own thread.
        "    options: {epsilon: 0.2, refit_after: 2, refit_passes: 3}\n"
    )
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


def test_a_learned_decision_records_its_propensity_and_replays_exactly(tmp_path: Path) -> None:
    config = EngineConfig(store_url=str(tmp_path / "r.db"), policy_path=str(_policy_file(tmp_path)))
    history: list[dict[str, object]] = [salary("s1", at(0), 3000.0, balance_after=3000.0)]
    history += [debit(f"d{i}", at(1 + i), 40.0 + i) for i in range(10)]
    with Engine(config=config) as engine:
        engine.ingest(history)
        for n in range(4):
            login = event(f"login-{n}", "login", {"success": True}, at(12 + n), channel="mobile")
            decisions = [d for d in engine.decide_event(login) if d.kind == "next_best_action"]
            engine.ingest([login])
            offer = decisions[0].details.get("offer_id", "savings-boost")
            answer = {
                "decision_id": decisions[0].decision_id,
                "offer_id": offer,
                "response": "accepted",
            }
            engine.ingest([event(f"resp-{n}", "offer_response", answer, at(12.1 + n))])
        chooser = engine.decisions.models["next_best_action"]
        assert isinstance(chooser, VwChooser)
        learner = engine.learning.learners["next_best_action"]
        assert isinstance(learner, VwCbLearner)
        assert learner.refits == 1
        login = event("login-9", "login", {"success": True}, at(20), channel="mobile")
        learned = next(d for d in engine.decide_event(login) if d.kind == "next_best_action")
        assert learned.model_versions["next_best_action"] == chooser.version
        assert set(chooser.features) <= set(learned.inputs)
        eligible = [c.action for c in learned.candidates if c.eligible]
        pmf = chooser.pmf(learned.inputs, arms_for("next_best_action", eligible, POLICY))
        offer = learned.details["offer_id"]
        assert learned.propensity == pmf[eligible.index(str(offer))]
        assert learned.reasons[0].code == "LRN_BANDIT"
    with Engine(config=config) as reopened:
        original, again = reopened.replay(learned.decision_id)
        assert again.outcome() == original.outcome()


def test_arms_come_from_the_policy_a_decision_was_taken_under() -> None:
    changed = Policy.model_validate(
        {
            "name": "p",
            "offers": {
                "catalog": [
                    {"id": "savings-boost", "product": "gold", "value": 1, "affinity": "0.1"}
                ]
            },
        }
    )
    (old,) = arms_for("next_best_action", ["savings-boost"], POLICY)
    (new,) = arms_for("next_best_action", ["savings-boost"], changed)
    assert "word_savings" in old.features
    assert "word_gold" in new.features
    assert isinstance(Artifact("next_best_action", "vw-cb-adf", b"{}\n").version, str)
