"""What a signal is: a score in [0, 1] with the reasons behind it, in words."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

Features = Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Reason:
    """One feature's contribution to a signal."""

    code: str
    """Stable identifier, e.g. ``late_repayments``."""
    text: str
    """What a relationship manager or a regulator reads."""
    weight: float
    """How much this reason alone raises the score, in [0, 1]."""


@dataclass(frozen=True, slots=True)
class Flag:
    """A typed condition a signal raises, with when it started."""

    code: str
    text: str
    started_at: float
    """Event time (seconds since the epoch) the condition is estimated to have begun."""


@dataclass(frozen=True, slots=True)
class SignalValue:
    name: str
    score: float
    reasons: tuple[Reason, ...]
    flags: tuple[Flag, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "score": round(self.score, 6),
            "reasons": [
                {"code": r.code, "text": r.text, "weight": round(r.weight, 6)} for r in self.reasons
            ],
            "flags": [
                {"code": f.code, "text": f.text, "started_at": f.started_at} for f in self.flags
            ],
        }


class Signal(Protocol):
    """A signal reads a customer's features as of ``at`` and says what they mean."""

    name: str

    def compute(self, features: Features, at: float) -> SignalValue: ...


def why(code: str, weight: float, text: Callable[[], str]) -> Reason:
    """A reason whose text is only written if it counts (most reasons of most customers don't)."""
    return Reason(code, text() if weight > 1e-6 else "", weight)


def ramp(value: float, low: float, high: float) -> float:
    """0 at or below ``low``, 1 at or above ``high``, linear between."""
    if value <= low:
        return 0.0
    if value >= high:
        return 1.0
    return (value - low) / (high - low)


def combine(name: str, reasons: Sequence[Reason], flags: Sequence[Flag] = ()) -> SignalValue:
    """Noisy-OR of the reasons: each alone can raise the score up to its weight.

    Reasons that contribute nothing are left out; the rest come strongest first.
    """
    kept = sorted((r for r in reasons if r.weight > 1e-6), key=lambda r: -r.weight)
    remaining = 1.0
    for reason in kept:
        remaining *= 1.0 - reason.weight
    return SignalValue(name, 1.0 - remaining, tuple(kept), tuple(flags))
