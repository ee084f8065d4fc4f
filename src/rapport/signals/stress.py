"""Financial stress: a liquidity squeeze, credit running up, payments slipping, income drying up."""

from __future__ import annotations

from rapport.signals.base import Features, SignalValue, combine, ramp, why
from rapport.signals.money import monthly_income, pay_interval, salary_overdue


class FinancialStress:
    name = "financial_stress"

    def compute(self, f: Features, at: float) -> SignalValue:
        income = monthly_income(f)
        buffer = f["pre_salary_balance_90d"] / income if f["salary_count_90d"] > 0.5 else 1.0
        has_salary = f["salary_count_90d"] >= 0.5
        reasons = [
            why(
                "thin_buffer",
                0.35 * ramp(0.3 - buffer, 0.0, 0.4),
                lambda: f"balance just before payday is {buffer:.0%} of monthly income",
            ),
            why(
                "overdrawn",
                0.4 * ramp(f["overdrawn_share_30d"], 0.05, 0.5),
                lambda: f"overdrawn in {f['overdrawn_share_30d']:.0%} of recent balance readings",
            ),
            why(
                "falling_balance",
                0.25 * ramp(-f["balance_trend"] / income, 0.05, 0.4),
                lambda: f"balance falling by {-f['balance_trend']:,.0f} against its monthly mean",
            ),
            why(
                "high_utilisation",
                0.3 * ramp(f["utilisation_last"], 0.7, 0.95),
                lambda: f"card at {f['utilisation_last']:.0%} of its limit",
            ),
            why(
                "rising_utilisation",
                0.2 * ramp(f["utilisation_trend"], 0.05, 0.3),
                lambda: f"card utilisation up {f['utilisation_trend']:.0%} on its 90-day mean",
            ),
            why(
                "late_repayments",
                0.5 * ramp(f["late_share_90d"], 0.2, 0.8),
                lambda: f"{f['late_share_90d']:.0%} of recent repayments were late",
            ),
            why(
                "days_past_due",
                0.3 * ramp(f["mean_days_late_90d"], 3.0, 30.0),
                lambda: f"repayments {f['mean_days_late_90d']:.0f} days past due on average",
            ),
            why(
                "minimum_payments",
                0.3 * ramp(f["min_payment_only_share_90d"], 0.3, 1.0),
                lambda: (
                    f"{f['min_payment_only_share_90d']:.0%} of repayments were the minimum only"
                ),
            ),
            why(
                "salary_overdue",
                0.55 * ramp(salary_overdue(f), 1.15, 1.8),
                lambda: (
                    f"no salary for {f['days_since_salary']:.0f} days, usually every "
                    f"{pay_interval(f):.0f}"
                ),
            ),
            why(
                "income_drop",
                0.3 * ramp(0.9 - f["income_drop_ratio"], 0.0, 0.6) if has_salary else 0.0,
                lambda: (
                    f"pay over the last month is {f['income_drop_ratio']:.0%} of the quarter's pace"
                ),
            ),
            why(
                "seeking_help",
                0.35 * ramp(f["hardship_page_views_7d"] + f["loan_page_views_7d"], 0.5, 4.0),
                lambda: (
                    f"{f['hardship_page_views_7d'] + f['loan_page_views_7d']:.1f} recent visits "
                    "to hardship, debt or loan pages"
                ),
            ),
        ]
        return combine(self.name, reasons)
