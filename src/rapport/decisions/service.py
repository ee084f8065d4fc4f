"""The decision flow: gather -> eligibility -> score -> guardrails -> action and reasons -> ledger.

Decisions are deterministic functions of their recorded inputs, the policy version and the model
versions: ``replay`` recomputes a ledger record from exactly those and must match it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import threading
import time
from collections.abc import Callable, Collection, Mapping

import msgspec

from rapport.decisions.communication import Communication
from rapport.decisions.credit_limit import CreditLimit
from rapport.decisions.fraud import Fraud
from rapport.decisions.kinds import Kind
from rapport.decisions.next_best_action import NextBestAction
from rapport.decisions.policy import LoadedPolicy, parse_policy
from rapport.decisions.policy_inputs import REFERENCE
from rapport.decisions.pricing import Pricing
from rapport.decisions.record import Decision, Value
from rapport.governance.ledger import DecisionLedger
from rapport.governance.ledger_guard import CountGuard, StaleCountError
from rapport.learning.artifact import Artifact, load
from rapport.learning.model import Model
from rapport.learning.registry import MemoryRegistry, ModelRegistry

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (Fraud(), CreditLimit(), NextBestAction(), Communication(), Pricing())
}

Spaces = Mapping[str, Mapping[str, object]]


def decision_id(policy_version: str, kind: str, trigger_event_id: str) -> str:
    """Same history, same policy: same id."""
    digest = hashlib.sha256(f"{policy_version}|{kind}|{trigger_event_id}".encode()).hexdigest()
    return f"dec-{digest[:20]}"


def decision_seed(decision_id: str) -> int:
    """The seed of a decision's random choices (a bandit's exploration): a function of its id,
    so a replay draws the same."""
    return int(hashlib.sha256(decision_id.encode()).hexdigest()[:15], 16)


CONTACT_RETRIES = 20
"""Attempts at a communication decision while other processes keep recording messages for the
same customer (each attempt re-counts); more would mean a storm of messages to one person."""

DecisionObserver = Callable[[Decision, Spaces], None]
"""Called after each recorded decision with what it was taken on (shadow challengers,
monitors)."""


def gather(names: Collection[str], spaces: Spaces) -> dict[str, Value]:
    """The inputs a decision uses, by name, from the namespaces it may read."""
    inputs: dict[str, Value] = {}
    for name, space, key in _plan(frozenset(names)):
        value = spaces.get(space, {}).get(key)
        if isinstance(value, float):
            # Six significant digits are finer than any threshold, and the record stays small;
            # replay recomputes the decision from these very numbers, so it stays exact.
            inputs[name] = float(f"{value:.6g}")
        elif isinstance(value, int | str | bool) or value is None:
            inputs[name] = value
        else:
            inputs[name] = str(value)
    return inputs


@functools.lru_cache(maxsize=256)
def _plan(names: frozenset[str]) -> tuple[tuple[str, str, str], ...]:
    """Each name in recording order, split into its namespace and key (worked out once per
    kind's set of names, not on every decision)."""
    return tuple((name, *_split(name)) for name in sorted(names))


def _split(name: str) -> tuple[str, str]:
    space, _, key = name.partition(".")
    return space, key


class DecisionService:
    """Takes decisions with one policy and the published model of each kind.

    ``models`` holds, per kind, the published (frozen) model decisions use; a kind without one
    decides with its built-in transparent model. Every model used is in ``registry``, so a
    replay can load the very version a decision names.
    """

    def __init__(
        self,
        policy: LoadedPolicy,
        ledger: DecisionLedger,
        registry: ModelRegistry | None = None,
        models: Mapping[str, Model] | None = None,
    ) -> None:
        self.policy = policy
        self.ledger = ledger
        self.registry: ModelRegistry = registry if registry is not None else MemoryRegistry()
        ledger.save_policy(policy.version, policy.text)
        self.models: dict[str, Model] = dict(models or {})
        self.observers: list[DecisionObserver] = []
        self._inputs = {name: frozenset(self._names(name)) for name in KINDS}
        self._loaded: dict[str, Model] = {}
        self._contact_lock = threading.Lock()

    def use_model(self, artifact: Artifact) -> Model:
        """Publish a model: keep it in the registry and decide ``artifact.kind`` with it."""
        if artifact.kind not in KINDS:
            raise ValueError(f"no decision kind {artifact.kind!r} (known: {sorted(KINDS)})")
        self.registry.put(artifact)
        model = self._model_of(artifact.version)
        self.models[artifact.kind] = model
        self._inputs[artifact.kind] = frozenset(self._names(artifact.kind))
        return model

    def rules_only(self, kind: str) -> None:
        """Decide ``kind`` with its built-in transparent model again (a monitor's fallback)."""
        self.models.pop(kind, None)
        self._inputs[kind] = frozenset(self._names(kind))

    def reads(self, kind: str) -> frozenset[str]:
        """The input names a decision of ``kind`` gathers and records (its own, its rules', its
        model's): a challenger can be judged on a logged record only if it holds them all."""
        return self._inputs[kind]

    def model_version(self, kind: str) -> str:
        model = self.models.get(kind)
        return model.version if model is not None else KINDS[kind].model_version

    def _model_of(self, version: str) -> Model:
        model = self._loaded.get(version)
        if model is None:
            artifact = self.registry.get(version)
            if artifact is None:
                raise LookupError(f"model {version!r} is not in the registry")
            model = self._loaded[version] = load(artifact)
        return model

    def _names(self, name: str) -> set[str]:
        kind = KINDS[name]
        names = set(kind.inputs)
        for source in kind.rules(self.policy.policy):
            names.update(f"{a}.{b}" for a, b in REFERENCE.findall(source))
        model = self.models.get(name)
        if model is not None:
            names.update(model.features)
        return names

    def decide(
        self, kind: str, customer_id: str, trigger_event_id: str, event_time: str, spaces: Spaces
    ) -> Decision:
        """Take, record and return one decision of ``kind``."""
        if kind != "communication":
            return self._decide(kind, customer_id, trigger_event_id, event_time, spaces)
        # The week's messages must not change between counting them and recording this one, or
        # a burst could slip past the cap: within this process a lock orders the requests, and
        # across processes the ledger re-checks the count as it appends (a changed count means
        # deciding again on the new one).
        since = _epoch(event_time) - 7 * 86400.0
        with self._contact_lock:
            for _ in range(CONTACT_RETRIES):
                sent = self.ledger.count(customer_id, "communication", "send", since)
                guard = CountGuard(customer_id, "communication", "send", since, sent)
                contacts = {"contacts": {"sent_7d": float(sent)}}
                try:
                    return self._decide(
                        kind,
                        customer_id,
                        trigger_event_id,
                        event_time,
                        {**spaces, **contacts},
                        guard,
                    )
                except StaleCountError:
                    continue
        raise StaleCountError(guard, self.ledger.count(customer_id, "communication", "send", since))

    def _decide(
        self,
        kind: str,
        customer_id: str,
        trigger_event_id: str,
        event_time: str,
        spaces: Spaces,
        guard: CountGuard | None = None,
    ) -> Decision:
        started = time.perf_counter()
        model = self.models.get(kind)
        inputs = gather(self._inputs[kind], spaces)
        decision = _decision(
            kind, customer_id, trigger_event_id, event_time, inputs, self.policy, model
        )
        if guard is not None and decision.action != guard.action:
            guard = None  # holding off adds nothing to the count: no need to check it
        latency = round((time.perf_counter() - started) * 1000.0, 4)
        recorded = self.ledger.append(msgspec.structs.replace(decision, latency_ms=latency), guard)
        for observe in self.observers:
            observe(recorded, spaces)
        return recorded

    def replay(self, decision_id: str) -> tuple[Decision, Decision]:
        """(the recorded decision, the same decision recomputed from its recorded inputs)."""
        original = self.ledger.get(decision_id)
        if original is None:
            raise LookupError(f"no decision {decision_id!r} in the ledger")
        text = self.ledger.policy_text(original.policy_version)
        if text is None:
            raise LookupError(f"policy {original.policy_version} is not in the ledger")
        kind = KINDS.get(original.kind)
        if kind is None:
            raise LookupError(f"no decision kind {original.kind!r} to replay")
        version = original.model_versions.get(original.kind, "")
        model = None if version == kind.model_version else self._model_of(version)
        policy = parse_policy(text, original.policy_version, recorded=True)
        again = _decision(
            original.kind,
            original.customer_id,
            original.trigger_event_id,
            original.event_time,
            dict(original.inputs),
            policy,
            model,
        )
        return original, again


def _epoch(event_time: str) -> float:
    return dt.datetime.fromisoformat(event_time).timestamp() if event_time else 0.0


def _decision(
    kind: str,
    customer_id: str,
    trigger_event_id: str,
    event_time: str,
    inputs: dict[str, Value],
    policy: LoadedPolicy,
    model: Model | None = None,
) -> Decision:
    identifier = decision_id(policy.version, kind, trigger_event_id)
    seed = decision_seed(identifier)
    outcome = KINDS[kind].decide(inputs, policy.policy, model, seed)
    return Decision(
        decision_id=identifier,
        kind=kind,
        customer_id=customer_id,
        trigger_event_id=trigger_event_id,
        event_time=event_time,
        inputs=inputs,
        candidates=outcome.candidates,
        action=outcome.action,
        details=outcome.details,
        score=outcome.score,
        propensity=outcome.propensity,
        reasons=outcome.reasons,
        policy_version=policy.version,
        model_versions={kind: model.version if model is not None else KINDS[kind].model_version},
        seed=seed,
    )
