"""Impulsivity against caution, and discipline: how a customer handles money, over time."""

from __future__ import annotations

from rapport.signals.base import Features, Reason, SignalValue, ramp


def _weighted(name: str, parts: list[tuple[Reason, float]]) -> SignalValue:
    """A weighted mean of parts in [0, 1]; each reason's weight is its share of the score."""
    total_weight = sum(w for _, w in parts) or 1.0
    reasons = tuple(
        sorted(
            (Reason(r.code, r.text, r.weight * w / total_weight) for r, w in parts),
            key=lambda r: -r.weight,
        )
    )
    return SignalValue(name, sum(r.weight for r in reasons), reasons)


class Impulsivity:
    """1 = impulsive (bursts, scattered amounts, new merchants, late nights), 0 = cautious."""

    name = "impulsivity"

    def compute(self, f: Features, at: float) -> SignalValue:
        return _weighted(
            self.name,
            [
                (
                    Reason(
                        "spending_bursts",
                        f"spending pace {f['debit_velocity_ratio_1d_30d']:.1f}x "
                        "its monthly norm in the last day",
                        ramp(f["debit_velocity_ratio_1d_30d"], 1.0, 3.0),
                    ),
                    1.0,
                ),
                (
                    Reason(
                        "scattered_amounts",
                        f"amount spread {f['debit_log_amount_std_90d']:.2f} (log)",
                        ramp(f["debit_log_amount_std_90d"], 0.6, 1.4),
                    ),
                    1.0,
                ),
                (
                    Reason(
                        "new_merchants",
                        f"{f['new_merchant_share_30d']:.0%} of payments at new merchants",
                        ramp(f["new_merchant_share_30d"], 0.1, 0.5),
                    ),
                    1.0,
                ),
                (
                    Reason(
                        "late_nights",
                        f"{f['night_share_30d']:.0%} of activity at night",
                        ramp(f["night_share_30d"], 0.05, 0.3),
                    ),
                    0.5,
                ),
                (
                    Reason(
                        "quick_to_click",
                        f"clicks {f['offer_click_rate_90d']:.0%} of offers",
                        ramp(f["offer_click_rate_90d"], 0.1, 0.5),
                    ),
                    0.5,
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
                    Reason(
                        "on_time",
                        f"{1 - f['late_share_90d']:.0%} of repayments on time",
                        1.0 - f["late_share_90d"] if repaid else 0.5,
                    ),
                    2.0,
                ),
                (
                    Reason(
                        "pays_in_full",
                        f"{1 - f['min_payment_only_share_90d']:.0%} of repayments "
                        "above the minimum",
                        1.0 - f["min_payment_only_share_90d"] if repaid else 0.5,
                    ),
                    1.0,
                ),
                (
                    Reason(
                        "stays_in_credit",
                        f"overdrawn {f['overdrawn_share_30d']:.0%} of the time",
                        1.0 - f["overdrawn_share_30d"],
                    ),
                    1.0,
                ),
                (
                    Reason(
                        "regular_income",
                        f"income regularity {f['income_regularity']:.2f}",
                        f["income_regularity"],
                    ),
                    0.5,
                ),
                (
                    Reason(
                        "steady_spending",
                        f"spending pace {f['debit_velocity_ratio_1d_30d']:.1f}x norm",
                        1.0 - ramp(f["debit_velocity_ratio_1d_30d"], 1.0, 3.0),
                    ),
                    0.5,
                ),
            ],
        )
