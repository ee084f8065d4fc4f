"""Impulsivity against caution, and discipline: how a customer handles money, over time."""

from __future__ import annotations

from collections.abc import Callable

from rapport.signals.base import Features, Reason, SignalValue, ramp

Part = tuple[str, float, float, Callable[[], str]]
"""(code, value in [0, 1], importance, text of the reason)."""


def _weighted(name: str, parts: list[Part]) -> SignalValue:
    """A weighted mean of parts in [0, 1]; each reason's weight is its share of the score.

    The three strongest parts are its reasons.
    """
    total = sum(importance for _, _, importance, _ in parts) or 1.0
    shares = sorted(
        ((code, value * importance / total, text) for code, value, importance, text in parts),
        key=lambda part: -part[1],
    )
    score = sum(share for _, share, _ in shares)
    reasons = tuple(Reason(code, text, share) for code, share, text in shares[:3] if share > 0)
    return SignalValue(name, score, reasons)


class Impulsivity:
    """1 = impulsive (bursts, scattered amounts, new merchants, late nights), 0 = cautious."""

    name = "impulsivity"

    def compute(self, f: Features, at: float) -> SignalValue:
        return _weighted(
            self.name,
            [
                (
                    "spending_bursts",
                    ramp(f["debit_velocity_ratio_1d_30d"], 1.0, 3.0),
                    1.0,
                    lambda: (
                        f"spending pace {f['debit_velocity_ratio_1d_30d']:.1f}x "
                        "its monthly norm in the last day"
                    ),
                ),
                (
                    "scattered_amounts",
                    ramp(f["debit_log_amount_std_90d"], 0.6, 1.4),
                    1.0,
                    lambda: f"amount spread {f['debit_log_amount_std_90d']:.2f} (log)",
                ),
                (
                    "new_merchants",
                    ramp(f["new_merchant_share_30d"], 0.1, 0.5),
                    1.0,
                    lambda: f"{f['new_merchant_share_30d']:.0%} of payments at new merchants",
                ),
                (
                    "late_nights",
                    ramp(f["night_share_30d"], 0.05, 0.3),
                    0.5,
                    lambda: f"{f['night_share_30d']:.0%} of activity at night",
                ),
                (
                    "quick_to_click",
                    ramp(f["offer_click_rate_90d"], 0.1, 0.5),
                    0.5,
                    lambda: f"clicks {f['offer_click_rate_90d']:.0%} of offers",
                ),
            ],
        )


class Discipline:
    """1 = pays on time and in full, keeps a buffer, earns and spends steadily."""

    name = "discipline"

    def compute(self, f: Features, at: float) -> SignalValue:
        repaid = f["repayments_90d"] > 0.5
        return _weighted(
            self.name,
            [
                (
                    "on_time",
                    1.0 - f["late_share_90d"] if repaid else 0.5,
                    2.0,
                    lambda: f"{1 - f['late_share_90d']:.0%} of repayments on time",
                ),
                (
                    "pays_in_full",
                    1.0 - f["min_payment_only_share_90d"] if repaid else 0.5,
                    1.0,
                    lambda: (
                        f"{1 - f['min_payment_only_share_90d']:.0%} of repayments above the minimum"
                    ),
                ),
                (
                    "stays_in_credit",
                    1.0 - f["overdrawn_share_30d"],
                    1.0,
                    lambda: f"overdrawn {f['overdrawn_share_30d']:.0%} of the time",
                ),
                (
                    "regular_income",
                    f["income_regularity"],
                    0.5,
                    lambda: f"income regularity {f['income_regularity']:.2f}",
                ),
                (
                    "steady_spending",
                    1.0 - ramp(f["debit_velocity_ratio_1d_30d"], 1.0, 3.0),
                    0.5,
                    lambda: f"spending pace {f['debit_velocity_ratio_1d_30d']:.1f}x norm",
                ),
            ],
        )
