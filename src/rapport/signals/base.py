"""What a signal is: a score in [0, 1] with the reasons behind it, in words."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

Features = Mapping[str, float]


class Reason:
    """One feature's contribution to a signal.

    ``code`` is a stable identifier (``late_repayments``), ``weight`` how much this reason alone
    raises the score, in [0, 1], and ``text`` what a relationship manager or a regulator reads.
    The text may be given as a function: it is then written only when someone reads it, because
    decisions use codes and weights on every read and people read the words far less often.
    """

    __slots__ = ("_text", "code", "weight")

    def __init__(self, code: str, text: str | Callable[[], str], weight: float) -> None:
        self.code = code
        self.weight = weight
        self._text = text

    @property
    def text(self) -> str:
        if not isinstance(self._text, str):
            self._text = self._text()
        return self._text

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Reason):
            return NotImplemented
        return (self.code, self.weight, self.text) == (other.code, other.weight, other.text)

    def __hash__(self) -> int:
        return hash((self.code, self.weight))

    def __repr__(self) -> str:
        return f"Reason({self.code!r}, {self.text!r}, {self.weight!r})"


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


def why(code: str, weight: float, text: Callable[[], str]) -> Reason | None:
    """A reason whose words are written only when read; None if it contributes nothing."""
    return Reason(code, text, weight) if weight > 1e-6 else None


def ramp(value: float, low: float, high: float) -> float:
    """0 at or below ``low``, 1 at or above ``high``, linear between."""
    if value <= low:
        return 0.0
    if value >= high:
        return 1.0
    return (value - low) / (high - low)


def _strength(reason: Reason) -> float:
    return -reason.weight


def combine(name: str, reasons: Sequence[Reason | None], flags: Sequence[Flag] = ()) -> SignalValue:
    """Noisy-OR of the reasons: each alone can raise the score up to its weight.

    Reasons that contribute nothing are left out; the rest come strongest first.
    """
    kept = sorted((r for r in reasons if r is not None and r.weight > 1e-6), key=_strength)
    remaining = 1.0
    for reason in kept:
        remaining *= 1.0 - reason.weight
    return SignalValue(name, 1.0 - remaining, tuple(kept), tuple(flags))
