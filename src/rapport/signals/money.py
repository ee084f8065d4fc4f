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


# Until two salaries have been seen, assume the commonest pay cycle.
ASSUMED_PAY_INTERVAL_DAYS = 30.4


def pay_interval(f: Features) -> float:
    """The usual days between salary credits, or the assumed monthly cycle if not yet known."""
    return f["salary_interval_days"] if f["salary_interval_days"] > 0 else ASSUMED_PAY_INTERVAL_DAYS


def salary_overdue(f: Features) -> float:
    """Days since salary over the usual interval; 0 for a customer never paid a salary."""
    if f["salary_count_90d"] < 0.3 or f["last_salary_amount"] <= 0:
        return 0.0
    return f["days_since_salary"] / pay_interval(f)
