"""How a decision kind lets a published bandit choose among its eligible arms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapport.decisions.record import ReasonCode, Value
from rapport.learning.model import Arm, Chooser, draw


def as_chooser(model: object) -> Chooser | None:
    """The model if it is a bandit snapshot (it gives a distribution over arms), else None."""
    return model if callable(getattr(model, "pmf", None)) else None  # type: ignore[return-value]


@dataclass(frozen=True)
class Choice:
    arm: Arm
    probability: float
    """The probability the arm had (the decision's propensity)."""
    greedy: Arm
    """The arm the bandit prefers; differs from ``arm`` when the draw explored."""
    distribution: dict[str, float]
    """Arm id -> probability, over the eligible arms only."""

    @property
    def explored(self) -> bool:
        return self.arm.id != self.greedy.id


def choose(chooser: Chooser, inputs: Mapping[str, Value], arms: Sequence[Arm], seed: int) -> Choice:
    """The bandit's distribution over ``arms`` and the seeded draw from it (replays exactly)."""
    pmf = chooser.pmf(inputs, arms)
    picked = draw(pmf, seed)
    best = max(range(len(pmf)), key=lambda i: (pmf[i], -i))
    distribution = {arm.id: p for arm, p in zip(arms, pmf, strict=True)}
    return Choice(arms[picked], pmf[picked], arms[best], distribution)


def learned_reasons(choice: Choice, what: str, eligible: int) -> list[ReasonCode]:
    """Why: the learned model chose (and, when it explored, that it did and what it preferred)."""
    reasons = [
        ReasonCode(
            "LRN_BANDIT",
            f"{what} chosen by the learned model among {eligible} eligible, "
            "from how similar customers answered",
            round(choice.probability, 6),
        )
    ]
    if choice.explored:
        reasons.append(
            ReasonCode(
                "LRN_EXPLORE",
                f"exploring (the model prefers {choice.greedy.id}), so that it keeps learning",
                round(choice.probability, 6),
            )
        )
    return reasons
