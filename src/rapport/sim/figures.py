"""Plausibility figures of a simulated history, from its truth (tests and docs use them)."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass

from rapport.sim.truth import Truth

STRESSED = 0.3


@dataclass(frozen=True)
class Figures:
    transactions: int
    fraud_rate: float
    """Fraudulent transactions over all transactions."""
    annual_default_rate: float
    """Defaults per card holder, scaled to a year."""
    offer_acceptance: float
    """Accepted offers over offers made."""
    oracle_acceptance: float
    """Mean true acceptance probability of the best offer at the same moments."""
    days_late_stressed: float
    """Mean days late of repayments made under stress (stress > 0.3)."""
    days_late_others: float
    repayments_stressed: int
    repayments_others: int

    def to_dict(self) -> dict[str, float | int]:
        return {k: round(v, 6) if isinstance(v, float) else v for k, v in asdict(self).items()}


def figures(truth: Truth, transactions: int, days: int) -> Figures:
    card_holders = sum(1 for c in truth.customers if c["has_card"]) or 1
    decisions = truth.decisions
    stressed = [r["days_late"] for r in truth.repayments if r["stress"] > STRESSED]
    others = [r["days_late"] for r in truth.repayments if r["stress"] <= STRESSED]
    return Figures(
        transactions=transactions,
        fraud_rate=len(truth.fraud) / transactions if transactions else 0.0,
        annual_default_rate=len(truth.defaults) / card_holders * 365.0 / days,
        offer_acceptance=(
            sum(1 for d in decisions if d["accepted"]) / len(decisions) if decisions else 0.0
        ),
        oracle_acceptance=(
            statistics.fmean(d["best_p_accept"] for d in decisions) if decisions else 0.0
        ),
        days_late_stressed=statistics.fmean(stressed) if stressed else 0.0,
        days_late_others=statistics.fmean(others) if others else 0.0,
        repayments_stressed=len(stressed),
        repayments_others=len(others),
    )
