"""Customers with hidden traits, and the mutable state the simulation keeps for each.

Traits are the simulation's ground truth; the engine only ever sees their consequences, as
events. Age and sex are generated and reported only through ``customer_update.protected``.
Age shapes income over the life cycle (an honest, documented path: earnings rise with
experience), and through income it reaches credit; sex shapes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rapport.sim.needs import active_chances, cushion_factor, draw_needs, spending_share_cut
from rapport.sim.world import CATEGORIES, CATEGORY_INDEX, CITIES

CHANNELS = ("email", "sms", "push")


@dataclass(slots=True)
class Customer:
    """One customer: traits (fixed, hidden) and state (what changes day by day)."""

    index: int
    customer_id: str
    age: int
    sex: str
    city: int
    offset_hours: int
    annual_income: float
    pay_cycle: str  # monthly | biweekly | irregular
    pay_day: int  # day of month (monthly) or day index phase (biweekly)
    discipline: float
    impulsivity: float
    risk_appetite: float
    spend_rate: float  # debits per day
    category_mix: np.ndarray
    active_hour: float
    hour_spread: float
    logins_per_day: float
    preferred_channel: str  # mobile | web
    devices: list[str]
    responsiveness: dict[str, float]
    needs: dict[str, float]
    has_card: bool
    credit_limit: float
    default_propensity: float  # hidden annual probability of default, before life events
    amount_scale: float = 1.0  # sizes payments so that spending fits income (see _fit_spending)
    # --- state ---
    balance: float = 0.0
    card_balance: float = 0.0
    card_spend_month: float = 0.0
    stress: float = 0.0
    employed: bool = True
    gambling: float = 0.0  # extra gambling intensity after an onset
    income_factor: float = 1.0
    last_due: int = -1  # day index the open statement is due
    minimum_due: float = 0.0
    statement_balance: float = 0.0
    missed_payments: int = 0
    defaulted: bool = False
    contacts: list[int] = field(default_factory=list)  # days of recent contacts
    unsubscribed: set[str] = field(default_factory=set)
    known_merchants: list[str] = field(default_factory=list)


def _life_stage(age: int) -> str:
    if age < 26:
        return "starting_out"
    if age < 40:
        return "building"
    if age < 60:
        return "established"
    return "retired"


def sample_population(rng: np.random.Generator, count: int) -> list[Customer]:
    """Draw ``count`` customers."""
    ages = np.clip(rng.normal(44, 15, count), 18, 88).astype(int)
    sexes = rng.choice(["female", "male"], size=count)
    cities = rng.integers(0, len(CITIES), size=count)
    # Earnings peak in mid-career: the honest path by which age reaches creditworthiness.
    career = 1.0 - ((ages - 50) / 40.0) ** 2
    incomes = np.exp(rng.normal(np.log(32_000) + 0.35 * career, 0.45, count))
    incomes = np.where(ages >= 67, incomes * 0.6, incomes)
    cycles = rng.choice(["monthly", "biweekly", "irregular"], p=[0.72, 0.18, 0.10], size=count)
    discipline = rng.beta(4, 2, count)
    impulsivity = rng.beta(2, 4, count)
    risk = rng.beta(2, 5, count)
    spend = np.clip(rng.lognormal(np.log(1.6), 0.4, count) * (0.8 + 0.6 * impulsivity), 0.3, 8)
    base_mix = np.array([0.28, 0.14, 0.1, 0.06, 0.14, 0.08, 0.05, 0.04, 0.03, 0.01, 0.07])
    customers: list[Customer] = []
    for i in range(count):
        mix = rng.dirichlet(base_mix * 60)
        mix[CATEGORY_INDEX["gambling"]] *= 0.2 + 4 * risk[i] ** 2
        mix /= mix.sum()
        age = int(ages[i])
        stage = _life_stage(age)
        income = float(incomes[i])
        needs = draw_needs(
            rng, active_chances(float(discipline[i]), float(impulsivity[i]), stage, income)
        )
        _show_needs_in_mix(mix, needs)
        has_card = bool(rng.random() < 0.8)
        # A hidden yearly default probability: thin discipline, low income and appetite for risk.
        logit = -3.6 - 3.2 * (discipline[i] - 0.66) + 0.9 * risk[i] - 0.5 * np.log(income / 32_000)
        customers.append(
            Customer(
                index=i,
                customer_id=f"cust-{i + 1:06d}",
                age=age,
                sex=str(sexes[i]),
                city=int(cities[i]),
                offset_hours=CITIES[int(cities[i])][4],
                annual_income=round(income, 2),
                pay_cycle=str(cycles[i]),
                pay_day=int(rng.integers(24, 29))
                if cycles[i] == "monthly"
                else int(rng.integers(0, 14)),
                discipline=float(discipline[i]),
                impulsivity=float(impulsivity[i]),
                risk_appetite=float(risk[i]),
                spend_rate=float(spend[i]),
                category_mix=mix,
                active_hour=float(np.clip(rng.normal(14, 3), 7, 22)),
                hour_spread=float(rng.uniform(1.5, 4.0)),
                logins_per_day=float(np.clip(rng.lognormal(np.log(0.6), 0.7), 0.03, 4)),
                preferred_channel="mobile" if rng.random() < 0.7 else "web",
                devices=[f"dev-{i + 1:06d}-{k}" for k in range(1 + int(rng.random() < 0.4))],
                responsiveness={c: float(rng.beta(2, 6)) for c in CHANNELS},
                needs=needs,
                has_card=has_card,
                credit_limit=float(
                    round(min(25_000, max(500, income * rng.uniform(0.05, 0.25))), -2)
                ),
                default_propensity=float(1 / (1 + np.exp(-logit))),
                balance=float(
                    round(income / 12 * rng.uniform(0.2, 1.5) * cushion_factor(needs), 2)
                ),
            )
        )
    for customer in customers:
        customer.amount_scale = _fit_spending(customer, float(rng.normal(0.0, 0.08)))
    return customers


def _show_needs_in_mix(mix: np.ndarray, needs: dict[str, float]) -> None:
    """Travellers (who need travel insurance) spend on travel; those who want a better card
    shop and go out on it."""
    mix[CATEGORY_INDEX["travel"]] += 0.06 * needs["insurance"]
    mix[CATEGORY_INDEX["retail"]] += 0.05 * needs["card"]
    mix[CATEGORY_INDEX["entertainment"]] += 0.03 * needs["card"]
    mix /= mix.sum()


def _fit_spending(customer: Customer, noise: float) -> float:
    """Scale payments so that a month's spending is a share of income that suits the customer.

    People adjust what they spend to what they earn: the disciplined spend less of it, the
    impulsive more (a few more than they earn, and drift into difficulty on their own).
    """
    mean_amount = sum(
        share * median * math.exp(spread**2 / 2)
        for share, (_, _, median, spread, _) in zip(customer.category_mix, CATEGORIES, strict=True)
    ) * (0.8 + 0.5 * customer.impulsivity)
    monthly_spend = customer.spend_rate * 30.4 * mean_amount
    share_of_income = (
        0.62
        + 0.3 * customer.impulsivity
        - 0.15 * customer.discipline
        - spending_share_cut(customer.needs)
        + noise
    )
    return float(customer.annual_income / 12 * share_of_income / monthly_spend)


def life_stage(customer: Customer) -> str:
    return _life_stage(customer.age)


def category_names() -> list[str]:
    return [c[0] for c in CATEGORIES]
