"""What decision kinds consult: models that are pure functions of recorded inputs.

A decision records the version of the model it used; a replay loads that very version from the
registry (``rapport.learning.registry``) and must come out identical. So a model a decision sees
is always a *published, frozen* snapshot: online learners keep learning on a working copy and
publish a new snapshot at bounded intervals (``rapport.learning.loop``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple, Protocol

from rapport.decisions.record import Value


class Prediction(NamedTuple):
    probability: float
    """A calibrated probability (of fraud, of default)."""
    contributions: dict[str, float]
    """Input name -> its contribution to the score (log-odds), the material of reason codes."""


class Scorer(Protocol):
    """A probability model that ``fraud`` or ``credit_limit`` consults."""

    version: str
    features: tuple[str, ...]
    """The input names it reads (``features.x``, ``signals.y``, ``event.z``); the decision
    gathers and records them, so a replay gives the model exactly the same values."""

    def predict_one(self, inputs: Mapping[str, Value]) -> Prediction: ...


class Arm(NamedTuple):
    """One eligible action a bandit may choose, with its action-dependent features."""

    id: str
    features: Mapping[str, float | str]


class Chooser(Protocol):
    """A contextual bandit's published snapshot: a distribution over the eligible arms."""

    version: str
    features: tuple[str, ...]

    def pmf(self, inputs: Mapping[str, Value], arms: Sequence[Arm]) -> list[float]:
        """Probabilities, one per arm, summing to 1 (exploration included)."""
        ...


Model = Scorer | Chooser


def draw(pmf: Sequence[float], seed: int) -> int:
    """The arm a seeded draw picks: deterministic, so a replay picks the same arm."""
    # A 53-bit uniform from the seed: the decision's seed is a hash of its id.
    u = ((seed * 0x9E3779B97F4A7C15) % (1 << 64) >> 11) / float(1 << 53)
    total = 0.0
    for index, p in enumerate(pmf):
        total += p
        if u < total:
            return index
    return max(range(len(pmf)), key=pmf.__getitem__)
