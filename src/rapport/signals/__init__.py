"""Behavioral intelligence: interpretable signals in [0, 1] with reasons, from a profile."""

from __future__ import annotations

from functools import partial

from rapport.profiles.lazy import LazyScores
from rapport.signals.base import Features, Flag, Reason, Signal, SignalValue
from rapport.signals.character import Discipline, Impulsivity
from rapport.signals.engagement import Engagement
from rapport.signals.rhythm import RhythmChange
from rapport.signals.stress import FinancialStress
from rapport.signals.vulnerability import Vulnerability

SIGNALS: tuple[Signal, ...] = (
    FinancialStress(),
    Vulnerability(),
    Impulsivity(),
    Discipline(),
    RhythmChange(),
    Engagement(),
)


def compute_signals(features: Features, at: float) -> dict[str, SignalValue]:
    """Every signal of a customer whose features are read as of ``at``."""
    return {signal.name: signal.compute(features, at) for signal in SIGNALS}


def signal_scores(features: Features, at: float) -> LazyScores:
    """The signals' scores, each computed when first read (what a decision reads)."""
    return LazyScores({signal.name: partial(_score, signal, features, at) for signal in SIGNALS})


def _score(signal: Signal, features: Features, at: float) -> float:
    return signal.compute(features, at).score


__all__ = [
    "SIGNALS",
    "Features",
    "Flag",
    "Reason",
    "Signal",
    "SignalValue",
    "compute_signals",
    "signal_scores",
]
