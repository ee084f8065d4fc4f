"""A customer's monthly income, as well as the profile can tell it."""

from __future__ import annotations

from rapport.signals.base import Features

FALLBACK_MONTHLY_INCOME = 2_000.0


def monthly_income(f: Features) -> float:
    """From salary credits if there are any, else the declared income, else a fallback."""
    interval = f["salary_interval_days"]
    if f["last_salary_amount"] > 0 and interval > 0:
        return f["last_salary_amount"] * 30.4 / interval
    if f["last_salary_amount"] > 0:
        return f["last_salary_amount"]
    if f["declared_income"] > 0:
        return f["declared_income"] / 12.0
    return FALLBACK_MONTHLY_INCOME
