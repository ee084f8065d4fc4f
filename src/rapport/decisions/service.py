"""The decision flow: gather -> eligibility -> score -> guardrails -> action and reasons -> ledger.

Decisions are deterministic functions of their recorded inputs, the policy version and the model
versions: ``replay`` recomputes a ledger record from exactly those and must match it.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping

import msgspec

from rapport.decisions import fraud
from rapport.decisions.policy import LoadedPolicy, parse_policy
from rapport.decisions.record import Decision, Value
from rapport.governance.ledger import DecisionLedger

_REFERENCE = re.compile(r"\b(features|merchant|device|signals|event)\.([a-z_][a-z0-9_]*)")


def decision_id(policy_version: str, kind: str, trigger_event_id: str) -> str:
    """Same history, same policy: same id."""
    digest = hashlib.sha256(f"{policy_version}|{kind}|{trigger_event_id}".encode()).hexdigest()
    return f"dec-{digest[:20]}"


def referenced(policy: LoadedPolicy) -> set[str]:
    """Inputs the policy's own rules read, beyond those the models read."""
    names: set[str] = set()
    for rule in policy.policy.fraud.always_step_up:
        names.update(f"{a}.{b}" for a, b in _REFERENCE.findall(rule.when))
    return names


def gather(
    names: set[str] | tuple[str, ...],
    features: Mapping[str, float],
    merchant: Mapping[str, float],
    device: Mapping[str, float],
    signals: Mapping[str, float],
    event: Mapping[str, Value],
) -> dict[str, Value]:
    """The inputs a decision uses, by name, from the namespaces it may read."""
    spaces: dict[str, Mapping[str, object]] = {
        "features": features,
        "merchant": merchant,
        "device": device,
        "signals": signals,
        "event": event,
    }
    inputs: dict[str, Value] = {}
    for name in sorted(names):
        space, _, key = name.partition(".")
        value = spaces[space].get(key)
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
        self._fraud_inputs = set(fraud.INPUTS) | referenced(policy)

    def fraud(
        self,
        customer_id: str,
        trigger_event_id: str,
        event_time: str,
        features: Mapping[str, float],
        merchant: Mapping[str, float],
        device: Mapping[str, float],
        signals: Mapping[str, float],
        event: Mapping[str, Value],
    ) -> Decision:
        started = time.perf_counter()
        inputs = gather(self._fraud_inputs, features, merchant, device, signals, event)
        decision = self._fraud_decision(
            customer_id, trigger_event_id, event_time, inputs, self.policy
        )
        latency = (time.perf_counter() - started) * 1000.0
        return self.ledger.append(msgspec.structs.replace(decision, latency_ms=round(latency, 4)))

    @staticmethod
    def _fraud_decision(
        customer_id: str,
        trigger_event_id: str,
        event_time: str,
        inputs: dict[str, Value],
        policy: LoadedPolicy,
    ) -> Decision:
        action, score, reasons, candidates = fraud.decide(inputs, policy.policy.fraud)
        return Decision(
            decision_id=decision_id(policy.version, "fraud", trigger_event_id),
            kind="fraud",
            customer_id=customer_id,
            trigger_event_id=trigger_event_id,
            event_time=event_time,
            inputs=inputs,
            candidates=candidates,
            action=action,
            score=score,
            propensity=1.0,
            reasons=reasons,
            policy_version=policy.version,
            model_versions={"fraud": fraud.MODEL_VERSION},
            seed=0,
        )

    def replay(self, decision_id: str) -> tuple[Decision, Decision]:
        """(the recorded decision, the same decision recomputed from its recorded inputs)."""
        original = self.ledger.get(decision_id)
        if original is None:
            raise LookupError(f"no decision {decision_id!r} in the ledger")
        text = self.ledger.policy_text(original.policy_version)
        if text is None:
            raise LookupError(f"policy {original.policy_version} is not in the ledger")
        policy = parse_policy(text, original.policy_version)
        if original.model_versions.get(original.kind) != fraud.MODEL_VERSION:
            raise LookupError(f"model {original.model_versions} is not available to replay")
        again = self._fraud_decision(
            original.customer_id,
            original.trigger_event_id,
            original.event_time,
            dict(original.inputs),
            policy,
        )
        return original, again
