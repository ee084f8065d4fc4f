"""What every decision kind provides: its inputs, its model version, and a pure decide."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from rapport.decisions.policy import Policy
from rapport.decisions.record import CandidateVerdict, ReasonCode, Value
from rapport.learning.model import Model
from rapport.signals.base import ramp

__all__ = ["Kind", "Outcome", "nest", "numbers", "ramp"]


@dataclass(frozen=True)
class Outcome:
    action: str
    score: float
    reasons: list[ReasonCode]
    candidates: list[CandidateVerdict]
    details: dict[str, Value] = field(default_factory=dict)
    propensity: float = 1.0
    distribution: dict[str, float] = field(default_factory=dict)
    """Action -> probability this kind would choose it here (empty: the action, surely).
    Off-policy evaluation reads a challenger's probability of a logged action from it."""

    def probability_of(self, action: str) -> float:
        if self.distribution:
            return self.distribution.get(action, 0.0)
        return 1.0 if action == self.action else 0.0


class Kind(Protocol):
    """A decision kind: a pure function of recorded inputs, the policy, the published model and
    a seed (so it replays). ``model`` None means the kind's built-in transparent model, whose
    version is ``model_version``."""

    name: str
    model_version: str
    inputs: tuple[str, ...]

    def rules(self, policy: Policy) -> list[str]:
        """The policy's expressions this kind evaluates (their inputs are recorded too)."""
        ...

    def decide(
        self,
        inputs: Mapping[str, Value],
        policy: Policy,
        model: Model | None = None,
        seed: int = 0,
    ) -> Outcome: ...


def numbers(inputs: Mapping[str, Value], names: tuple[str, ...]) -> dict[str, float]:
    """The numeric inputs, with every declared input present (absent reads as 0)."""
    found = {k: float(v) for k, v in inputs.items() if isinstance(v, int | float)}
    for name in names:
        found.setdefault(name, 0.0)
    return found


def nest(inputs: Mapping[str, Value]) -> dict[str, object]:
    """``{"features.x": 1}`` -> ``{"features": {"x": 1}}``, the shape rule expressions read."""
    nested: dict[str, object] = {}
    for name, value in inputs.items():
        head, _, tail = name.partition(".")
        group = nested.setdefault(head, {})
        if isinstance(group, dict):
            group[tail] = value
    return nested
