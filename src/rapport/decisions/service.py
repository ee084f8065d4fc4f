"""The decision flow: gather -> eligibility -> score -> guardrails -> action and reasons -> ledger.

Decisions are deterministic functions of their recorded inputs, the policy version and the model
versions: ``replay`` recomputes a ledger record from exactly those and must match it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
from collections.abc import Mapping

import msgspec

from rapport.decisions.communication import Communication
from rapport.decisions.credit_limit import CreditLimit
from rapport.decisions.fraud import Fraud
from rapport.decisions.kinds import Kind
from rapport.decisions.next_best_action import NextBestAction
from rapport.decisions.policy import LoadedPolicy, parse_policy
from rapport.decisions.pricing import Pricing
from rapport.decisions.record import Decision, Value
from rapport.governance.ledger import DecisionLedger

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (Fraud(), CreditLimit(), NextBestAction(), Communication(), Pricing())
}
NAMESPACES = ("features", "merchant", "device", "signals", "event", "contacts")
_REFERENCE = re.compile(r"\b(" + "|".join(NAMESPACES) + r")\.([a-z_][a-z0-9_]*)")

Spaces = Mapping[str, Mapping[str, object]]


def decision_id(policy_version: str, kind: str, trigger_event_id: str) -> str:
    """Same history, same policy: same id."""
    digest = hashlib.sha256(f"{policy_version}|{kind}|{trigger_event_id}".encode()).hexdigest()
    return f"dec-{digest[:20]}"


def gather(names: set[str], spaces: Spaces) -> dict[str, Value]:
    """The inputs a decision uses, by name, from the namespaces it may read."""
    inputs: dict[str, Value] = {}
    for name in sorted(names):
        space, _, key = name.partition(".")
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


class DecisionService:
    def __init__(self, policy: LoadedPolicy, ledger: DecisionLedger) -> None:
        self.policy = policy
        self.ledger = ledger
        ledger.save_policy(policy.version, policy.text)
        self._inputs = {name: self._names(kind, policy) for name, kind in KINDS.items()}
        self._contact_lock = threading.Lock()

    @staticmethod
    def _names(kind: Kind, policy: LoadedPolicy) -> set[str]:
        names = set(kind.inputs)
        for source in kind.rules(policy.policy):
            names.update(f"{a}.{b}" for a, b in _REFERENCE.findall(source))
        return names

    def decide(
        self, kind: str, customer_id: str, trigger_event_id: str, event_time: str, spaces: Spaces
    ) -> Decision:
        """Take, record and return one decision of ``kind``."""
        if kind != "communication":
            return self._decide(kind, customer_id, trigger_event_id, event_time, spaces)
        # Counting the week's messages and recording this one must not interleave with another
        # request for the same customer, or a burst could slip past the cap.
        with self._contact_lock:
            since = _epoch(event_time) - 7 * 86400.0
            sent = self.ledger.count(customer_id, "communication", "send", since)
            contacts = {"contacts": {"sent_7d": float(sent)}}
            return self._decide(
                kind, customer_id, trigger_event_id, event_time, {**spaces, **contacts}
            )

    def _decide(
        self, kind: str, customer_id: str, trigger_event_id: str, event_time: str, spaces: Spaces
    ) -> Decision:
        started = time.perf_counter()
        inputs = gather(self._inputs[kind], spaces)
        decision = _decision(kind, customer_id, trigger_event_id, event_time, inputs, self.policy)
        latency = round((time.perf_counter() - started) * 1000.0, 4)
        return self.ledger.append(msgspec.structs.replace(decision, latency_ms=latency))

    def replay(self, decision_id: str) -> tuple[Decision, Decision]:
        """(the recorded decision, the same decision recomputed from its recorded inputs)."""
        original = self.ledger.get(decision_id)
        if original is None:
            raise LookupError(f"no decision {decision_id!r} in the ledger")
        text = self.ledger.policy_text(original.policy_version)
        if text is None:
            raise LookupError(f"policy {original.policy_version} is not in the ledger")
        kind = KINDS.get(original.kind)
        if kind is None or original.model_versions.get(original.kind) != kind.model_version:
            raise LookupError(f"model {original.model_versions} is not available to replay")
        policy = parse_policy(text, original.policy_version)
        again = _decision(
            original.kind,
            original.customer_id,
            original.trigger_event_id,
            original.event_time,
            dict(original.inputs),
            policy,
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
) -> Decision:
    model = KINDS[kind]
    outcome = model.decide(inputs, policy.policy)
    return Decision(
        decision_id=decision_id(policy.version, kind, trigger_event_id),
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
        model_versions={kind: model.model_version},
        seed=0,
    )
