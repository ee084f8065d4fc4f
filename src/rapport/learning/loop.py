"""The adaptive loop: outcomes reach the learner of the decision they answer; what it learns
reaches decisions only as published, frozen versions, at intervals the policy bounds.

The engine hands every accepted outcome event to ``AdaptiveLoop.observe`` after the event has
been applied to the profiles. The join reads the ledger record (the inputs the decision used);
an outcome that joins nothing is reported in the outcome log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from rapport.decisions.learning_policy import KindLearning
from rapport.decisions.policy import Policy, parse_policy
from rapport.decisions.service import DecisionService
from rapport.events.model import BaseEvent
from rapport.learning.artifact import Artifact
from rapport.learning.outcomes import (
    JoinedOutcome,
    MemoryOutcomeLog,
    OutcomeLog,
    Unjoined,
    join,
)

log = logging.getLogger("rapport.learning")


class OnlineLearner(Protocol):
    """Learns one decision kind from its joined outcomes; publishes frozen snapshots."""

    kind: str

    def learn_one(self, outcome: JoinedOutcome) -> None: ...

    def publish(self) -> Artifact | None:
        """A frozen snapshot of what it has learned (None if nothing new since the last)."""
        ...


LearnerFactory = Callable[[str, Mapping[str, object]], OnlineLearner]
"""(decision kind, the learner's options from the policy) -> a learner."""
LEARNERS: dict[str, LearnerFactory] = {}


def learner(name: str) -> Callable[[LearnerFactory], LearnerFactory]:
    """Register an online learner under the name a policy's ``learning:`` section uses."""

    def register(factory: LearnerFactory) -> LearnerFactory:
        LEARNERS[name] = factory
        return factory

    return register


class UnknownLearnerError(LookupError):
    pass


OutcomeObserver = Callable[[JoinedOutcome], None]


@dataclass
class LoopCounts:
    joined: int = 0
    unjoined: int = 0
    learned: int = 0
    published: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class AdaptiveLoop:
    def __init__(
        self,
        service: DecisionService,
        outcomes: OutcomeLog | None = None,
        learners: Mapping[str, OnlineLearner] | None = None,
    ) -> None:
        self.service = service
        self.outcomes: OutcomeLog = outcomes if outcomes is not None else MemoryOutcomeLog()
        self.settings: dict[str, KindLearning] = {
            kind: config
            for kind, config in service.policy.policy.learning.items()
            if config.enabled
        }
        self.learners: dict[str, OnlineLearner] = (
            dict(learners) if learners is not None else build_learners(self.settings)
        )
        # A bandit rebuilds the arms a recorded decision had from the policy it was taken under.
        self._policies: dict[str, Policy | None] = {}
        for bound in self.learners.values():
            use_policies = getattr(bound, "use_policies", None)
            if callable(use_policies):
                use_policies(self.policy_of)
            # A learner whose labels come only for some decisions (fraud reports) sees every
            # decision too, to learn what the unreported ones were.
            observe_decision = getattr(bound, "observe_decision", None)
            if callable(observe_decision) and observe_decision not in service.observers:
                service.observers.append(observe_decision)
        self.observers: list[OutcomeObserver] = []
        self.paused: set[str] = set()
        """Kinds whose new versions are not published (a drift monitor's fallback holds)."""
        self.counts = LoopCounts()
        self._since_publish: dict[str, int] = {}
        # Outcomes arrive from concurrent ingest calls; a learner's state is not thread-safe.
        self._lock = threading.Lock()

    def rebind(self, service: DecisionService) -> AdaptiveLoop:
        """The loop for a new policy: learners whose settings did not change keep learning."""
        settings: dict[str, KindLearning] = {
            k: c for k, c in service.policy.policy.learning.items() if c.enabled
        }
        kept = {k: v for k, v in self.learners.items() if settings.get(k) == self.settings.get(k)}
        fresh = build_learners({k: c for k, c in settings.items() if k not in kept})
        loop = AdaptiveLoop(service, self.outcomes, {**kept, **fresh})
        loop.observers.extend(self.observers)
        loop.paused = self.paused
        loop.counts = self.counts
        return loop

    def policy_of(self, version: str) -> Policy | None:
        """The policy a recorded decision was taken under (None if the ledger lacks it)."""
        if version == self.service.policy.version:
            return self.service.policy.policy
        if version not in self._policies:
            text = self.service.ledger.policy_text(version)
            recorded = None if text is None else parse_policy(text, version, recorded=True)
            self._policies[version] = None if recorded is None else recorded.policy
        return self._policies[version]

    def observe(self, events: Iterable[BaseEvent]) -> list[JoinedOutcome | Unjoined]:
        """Join each outcome event, learn from it, publish when due."""
        results: list[JoinedOutcome | Unjoined] = []
        unjoined: list[Unjoined] = []
        with self._lock:
            try:
                for event in events:
                    result = join(event, self.service.ledger)
                    results.append(result)
                    if isinstance(result, Unjoined):
                        self.counts.unjoined += 1
                        unjoined.append(result)
                        continue
                    self.counts.joined += 1
                    for observe in self.observers:
                        observe(result)
                    self._learn(result)
            finally:
                # Reported together, in one write, even when a learner fails part way.
                self.outcomes.report(unjoined)
        return results

    def _learn(self, outcome: JoinedOutcome) -> None:
        kind = outcome.decision.kind
        learner_ = self.learners.get(kind)
        if learner_ is None or outcome.label is None:
            return
        learner_.learn_one(outcome)
        self.counts.learned += 1
        self.counts.by_kind[kind] = self.counts.by_kind.get(kind, 0) + 1
        due = self._since_publish.get(kind, 0) + 1
        self._since_publish[kind] = due
        if due >= self.settings[kind].publish_every:
            self.publish(kind)

    def publish(self, kind: str) -> str | None:
        """Publish what ``kind``'s learner has learned now; returns the new version."""
        learner_ = self.learners.get(kind)
        if learner_ is None:
            return None
        self._since_publish[kind] = 0
        artifact = learner_.publish()
        if artifact is None:
            return None
        if kind in self.paused:
            log.info("not publishing %s model %s: paused by a monitor", kind, artifact.version)
            return None
        self.service.use_model(artifact)
        self.counts.published += 1
        log.info("published %s model %s", kind, artifact.version)
        return artifact.version


def build_learners(settings: Mapping[str, KindLearning]) -> dict[str, OnlineLearner]:
    _register_builtin_learners()
    learners: dict[str, OnlineLearner] = {}
    for kind, config in settings.items():
        factory = LEARNERS.get(config.learner)
        if factory is None:
            raise UnknownLearnerError(
                f"learning.{kind}.learner: no learner {config.learner!r} "
                f"(known: {sorted(LEARNERS)})"
            )
        learners[kind] = factory(kind, config.options)
    return learners


def _register_builtin_learners() -> None:
    """Import the modules whose learners a policy may name (they register themselves)."""
    import importlib  # noqa: PLC0415 - deferred: a learner's library is loaded only if used

    for module in (
        "rapport.learning.bandit",
        "rapport.learning.online_fraud",
        "rapport.learning.online_credit",
    ):
        importlib.import_module(module)
