"""A challenger policy judged on the champion's ledger, before it ever decides for real.

For every logged decision of a kind, the challenger (a policy file, optionally with its own
models) recomputes its distribution over actions from the decision's *recorded* inputs; the
decision's outcome events (joined through ``rapport.learning.outcomes.join``) give the reward;
the champion's logged propensity gives the importance weight. ``rapport.learning.offpolicy``
turns those rounds into IPS, SNIPS and doubly robust estimates with confidence intervals.

A record whose inputs lack something the challenger reads (a feature its rules or model use that
the champion never gathered) cannot be judged honestly: it is counted and named, never filled in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rapport.decisions.kinds import Outcome
from rapport.decisions.policy import LoadedPolicy
from rapport.decisions.record import Decision, Value
from rapport.decisions.service import KINDS, DecisionService
from rapport.events.model import BaseEvent
from rapport.governance.ledger import DecisionLedger, MemoryLedger
from rapport.learning.artifact import Artifact
from rapport.learning.model import Model
from rapport.learning.model_dir import read_model_dir
from rapport.learning.offpolicy import Estimate, LoggedBandit, Round, evaluate, on_policy
from rapport.learning.outcomes import JoinedOutcome, join
from rapport.learning.registry import MemoryRegistry, ModelRegistry
from rapport.profiles.fold import event_type

# Which detail names the arm a decision chose, where the action alone does not ("offer" ->
# which offer). Bandit distributions are keyed the same way.
ARM_DETAIL = {"next_best_action": "offer_id", "communication": "channel"}
# Arms whose reward is known by construction: no offer made is never accepted, a message held
# off is never opened.
KNOWN_REWARDS: dict[str, dict[str, float]] = {
    "next_best_action": {"none": 0.0},
    "communication": {"hold_off": 0.0},
}
# The outcome whose label is a kind's reward.
REWARD_OUTCOME = {
    "next_best_action": "offer_response",
    "communication": "message_event",
    "fraud": "fraud_report",
    "credit_limit": "credit_outcome",
}


def arm_of(kind: str, action: str, details: Mapping[str, Value]) -> str:
    """The arm a decision chose: its action, or the detail that names it (the offer made)."""
    detail = ARM_DETAIL.get(kind)
    if detail is not None and details.get(detail) is not None:
        return str(details[detail])
    return action


def distribution(kind: str, outcome: Outcome) -> dict[str, float]:
    """The probability of each arm in an outcome (a rule's choice is certain)."""
    if outcome.distribution:
        total = sum(outcome.distribution.values())
        return {arm: p / total for arm, p in outcome.distribution.items() if p > 0}
    return {arm_of(kind, outcome.action, outcome.details): 1.0}


class Challenger:
    """A policy (and its models) that decides on recorded inputs without recording anything."""

    def __init__(self, policy: LoadedPolicy, models: Iterable[Artifact] = ()) -> None:
        self.policy = policy
        # A scratch service: the same rules about which inputs a kind reads, the same loaders.
        self.service = DecisionService(policy, MemoryLedger(), MemoryRegistry())
        for artifact in models:
            self.service.use_model(artifact)

    @property
    def version(self) -> str:
        return self.policy.version

    def model(self, kind: str) -> Model | None:
        return self.service.models.get(kind)

    def reads(self, kind: str) -> frozenset[str]:
        return self.service.reads(kind)

    def decide(self, kind: str, inputs: Mapping[str, Value], seed: int) -> Outcome:
        return KINDS[kind].decide(inputs, self.policy.policy, self.model(kind), seed)

    def missing(self, decision: Decision) -> list[str]:
        """What the challenger reads that the record does not hold."""
        return sorted(self.reads(decision.kind) - decision.inputs.keys())


def named_models(specs: Iterable[str], registry: ModelRegistry) -> list[Artifact]:
    """``KIND=DIR`` (a ``rapport train`` folder) or ``KIND=VERSION`` (from the registry beside
    the ledger) specs -> the artifacts, each checked to serve its kind."""
    found = []
    for spec in specs:
        kind, sep, name = spec.partition("=")
        if not sep or kind not in KINDS:
            raise ValueError(
                f"{spec!r}: expected KIND=DIR or KIND=VERSION, KIND in {sorted(KINDS)}"
            )
        artifact = read_model_dir(Path(name)) if Path(name).is_dir() else registry.get(name)
        if artifact is None:
            raise ValueError(f"model {name!r} is neither a model folder nor in the registry")
        if artifact.kind != kind:
            raise ValueError(f"model {name!r} serves {artifact.kind}, not {kind}")
        found.append(artifact)
    return found


@dataclass
class ChallengerReport:
    kind: str
    challenger_version: str
    outcome_type: str
    decisions: int
    """Logged decisions of the kind."""
    evaluated: int
    """Decisions the estimates rest on."""
    missing_inputs: int
    """Decisions left out: their inputs lack what the challenger reads."""
    missing_examples: list[dict[str, object]] = field(default_factory=list)
    unanswered: int = 0
    """Evaluated decisions with no outcome: their reward is ``missing_reward``."""
    missing_reward: float = 0.0
    agreement: float = 0.0
    """Share of evaluated decisions where the challenger's likeliest arm is the logged one."""
    deterministic_share: float = 0.0
    """Share of evaluated decisions the champion took with certainty (propensity 1): where
    the challenger disagrees with those, only the reward model (DR) can say anything."""
    unsupported_mass: float = 0.0
    """The challenger's mean probability on arms the champion never took here: no weight can
    vouch for it (IPS counts it as reward 0; DR as its model's guess, or a known reward)."""
    logged: Estimate | None = None
    """The champion's own value: the mean logged reward."""
    estimates: dict[str, Estimate] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "challenger_version": self.challenger_version,
            "outcome_type": self.outcome_type,
            "decisions": self.decisions,
            "evaluated": self.evaluated,
            "missing_inputs": self.missing_inputs,
            "missing_examples": self.missing_examples,
            "unanswered": self.unanswered,
            "missing_reward": self.missing_reward,
            "agreement": self.agreement,
            "deterministic_share": self.deterministic_share,
            "unsupported_mass": self.unsupported_mass,
            "champion": self.logged.to_dict() if self.logged else None,
            "challenger": {name: e.to_dict() for name, e in self.estimates.items()},
        }


def rewards(
    outcomes: Iterable[BaseEvent], ledger: DecisionLedger, kind: str, outcome_type: str
) -> dict[str, float]:
    """Decision id -> its reward: the highest label its outcomes of ``outcome_type`` gave."""
    found: dict[str, float] = {}
    for event in outcomes:
        if event_type(event) != outcome_type:
            continue
        joined = join(event, ledger)
        if not isinstance(joined, JoinedOutcome) or joined.label is None:
            continue
        if joined.decision.kind != kind:
            continue
        key = joined.decision.decision_id
        found[key] = max(found.get(key, joined.label), joined.label)
    return found


def judge(
    challenger: Challenger,
    decisions: Iterable[Decision],
    reward_of: Mapping[str, float],
    kind: str,
    *,
    outcome_type: str | None = None,
    missing_reward: float = 0.0,
    clip: float | None = None,
    confidence: float = 0.95,
    bootstrap: int = 0,
    seed: int = 0,
) -> ChallengerReport:
    """The challenger's off-policy value on logged decisions of ``kind``, beside the
    champion's logged value."""
    report = ChallengerReport(
        kind,
        challenger.version,
        outcome_type or REWARD_OUTCOME.get(kind, ""),
        0,
        0,
        0,
        missing_reward=missing_reward,
    )
    rounds: list[Round] = []
    agree = certain = 0
    for decision in decisions:
        if decision.kind != kind:
            continue
        report.decisions += 1
        lacking = challenger.missing(decision)
        if lacking:
            report.missing_inputs += 1
            if len(report.missing_examples) < 10:
                report.missing_examples.append(
                    {"decision_id": decision.decision_id, "missing": lacking}
                )
            continue
        target = distribution(kind, challenger.decide(kind, decision.inputs, decision.seed))
        logged_arm = arm_of(kind, decision.action, decision.details)
        reward = reward_of.get(decision.decision_id)
        if reward is None:
            report.unanswered += 1
            reward = missing_reward
        agree += max(target, key=target.__getitem__) == logged_arm
        certain += decision.propensity >= 1.0
        context = {
            name: float(value)
            for name, value in decision.inputs.items()
            if isinstance(value, int | float)
        }
        rounds.append(Round(logged_arm, decision.propensity, reward, target, context))
    return estimate_into(report, kind, rounds, agree, certain, clip, confidence, bootstrap, seed)


def estimate_into(
    report: ChallengerReport,
    kind: str,
    rounds: list[Round],
    agree: int,
    certain: int,
    clip: float | None,
    confidence: float,
    bootstrap: int,
    seed: int,
) -> ChallengerReport:
    """Fill ``report`` with the off-policy estimates of the evaluated rounds (from the ledger or
    from a shadow log alike)."""
    report.evaluated = len(rounds)
    if not rounds:
        return report
    report.agreement = agree / len(rounds)
    report.deterministic_share = certain / len(rounds)
    data = LoggedBandit.from_rounds(rounds)
    report.unsupported_mass = data.unsupported_mass()
    report.logged = on_policy(data.rewards, confidence)
    report.estimates = evaluate(
        data,
        clip=clip,
        confidence=confidence,
        bootstrap=bootstrap,
        seed=seed,
        known_rewards=KNOWN_REWARDS.get(kind),
    )
    return report
