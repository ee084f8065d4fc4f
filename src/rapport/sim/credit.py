"""Card accounts: monthly statements, repayments shaped by discipline and stress, outcomes.

Each customer with a card has a hidden yearly default propensity (from traits); stress from life
events multiplies it. A customer who defaults stops paying; one who misses a payment is
delinquent.
"""

from __future__ import annotations

import datetime as dt
import random

from rapport.sim.emit import EventStream
from rapport.sim.population import Customer

DUE_IN_DAYS = 21


def statement_day(customer: Customer) -> int:
    """Statements are spread over the month (days 1-28), as a card issuer's cycles are."""
    return 1 + customer.index % 28


def account_id(customer: Customer) -> str:
    return f"acc-{customer.index + 1:06d}-cc"


def statement(book: EventStream, customer: Customer, day: int, date: dt.date) -> None:
    """Close the month: statement balance, minimum due, due date."""
    if not customer.has_card or customer.defaulted:
        return
    balance = round(customer.card_balance, 2)
    customer.statement_balance = balance
    customer.minimum_due = round(max(25.0, 0.03 * balance), 2) if balance > 0 else 0.0
    customer.last_due = day + DUE_IN_DAYS
    book.add(
        customer.customer_id,
        "statement",
        5 * 3600,
        customer.offset_hours,
        {
            "account_id": account_id(customer),
            "balance": balance,
            "credit_limit": customer.credit_limit,
            "minimum_due": customer.minimum_due,
            "due_date": (date + dt.timedelta(days=DUE_IN_DAYS)).isoformat(),
        },
    )


def plan_repayment(rnd: random.Random, customer: Customer) -> tuple[int, float] | None:
    """Days late (<= 0 on time) and amount for the open statement, or None if missed."""
    if customer.minimum_due <= 0:
        return None
    on_time = rnd.random() < 0.25 + 0.75 * customer.discipline * (1.0 - customer.stress) ** 2
    if on_time:
        days_late = -rnd.randint(0, 5)
    else:
        days_late = 1 + int(rnd.expovariate(1.0 / (4.0 + 30.0 * customer.stress)))
    if customer.stress > 0.55 and rnd.random() < customer.stress - 0.45:
        return None  # cannot pay this month
    if customer.discipline > 0.6 and customer.stress < 0.3:
        amount = customer.statement_balance
    elif customer.stress > 0.4 or customer.discipline < 0.35:
        amount = customer.minimum_due
    else:
        amount = max(customer.minimum_due, customer.statement_balance * rnd.uniform(0.2, 0.8))
    return days_late, round(amount, 2)


def repay(
    book: EventStream,
    rnd: random.Random,
    customer: Customer,
    days_late: int,
    amount: float,
    due_date: dt.date,
) -> None:
    customer.card_balance = round(max(0.0, customer.card_balance - amount), 2)
    customer.balance = round(customer.balance - amount, 2)
    customer.minimum_due = 0.0
    book.add(
        customer.customer_id,
        "repayment",
        rnd.uniform(7, 21) * 3600,
        customer.offset_hours,
        {
            "account_id": account_id(customer),
            "amount": amount,
            "due_date": due_date.isoformat(),
            "days_late": days_late,
        },
    )


def outcome(book: EventStream, customer: Customer, status: str) -> None:
    book.add(
        customer.customer_id,
        "credit_outcome",
        23 * 3600,
        customer.offset_hours,
        {"account_id": account_id(customer), "status": status},
    )


def default_hazard(customer: Customer) -> float:
    """Daily probability of default now."""
    return customer.default_propensity / 365.0 * (1.0 + 6.0 * customer.stress**2)
