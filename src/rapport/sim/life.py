"""Life events that change behavior, with their onsets kept as ground truth."""

from __future__ import annotations

import random
from dataclasses import dataclass

from rapport.sim.needs import shift_with_life_event
from rapport.sim.population import Customer
from rapport.sim.world import CATEGORY_INDEX, CITIES

# (kind, relative frequency)
KINDS: tuple[tuple[str, float], ...] = (
    ("income_shock", 0.25),
    ("gambling_onset", 0.15),
    ("new_child", 0.2),
    ("pay_rise", 0.3),
    ("relocation", 0.1),
)


@dataclass(frozen=True, slots=True)
class LifeEvent:
    customer: int
    kind: str
    day: int


def plan_life_events(
    rnd: random.Random, customers: list[Customer], days: int, yearly_rate: float
) -> dict[int, list[LifeEvent]]:
    """Which customers live through which event, on which day (indexed by day)."""
    chance = min(1.0, yearly_rate * days / 365.0)
    kinds = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    planned: dict[int, list[LifeEvent]] = {}
    earliest, latest = max(1, days // 10), max(2, (days * 7) // 10)
    for customer in customers:
        if rnd.random() < chance:
            kind = rnd.choices(kinds, weights)[0]
            day = rnd.randint(earliest, latest)
            planned.setdefault(day, []).append(LifeEvent(customer.index, kind, day))
    return planned


def apply(event: LifeEvent, customer: Customer, rnd: random.Random) -> None:
    """Change the customer from the onset on."""
    shift_with_life_event(customer.needs, event.kind, rnd)
    if event.kind == "income_shock":
        customer.employed = False
    elif event.kind == "gambling_onset":
        customer.gambling = 1.0
        mix = customer.category_mix
        mix[CATEGORY_INDEX["gambling"]] += 0.25
        mix /= mix.sum()
        customer.active_hour = min(23.5, customer.active_hour + 3)
    elif event.kind == "new_child":
        mix = customer.category_mix
        mix[CATEGORY_INDEX["retail"]] += 0.08
        mix[CATEGORY_INDEX["health"]] += 0.04
        mix[CATEGORY_INDEX["travel"]] *= 0.6
        mix /= mix.sum()
        customer.spend_rate *= 1.25
    elif event.kind == "pay_rise":
        customer.income_factor *= 1.15 + 0.15 * rnd.random()
    elif event.kind == "relocation":
        choices = [i for i in range(len(CITIES)) if i != customer.city]
        customer.city = rnd.choice(choices)
        customer.offset_hours = CITIES[customer.city][4]
        customer.known_merchants.clear()


def update_stress(customer: Customer, days_unemployed: int) -> None:
    """Financial stress drifts toward what the customer's situation implies."""
    monthly = customer.annual_income * customer.income_factor / 12
    target = 0.0
    if not customer.employed:
        target += 0.35 + 0.5 * min(1.0, days_unemployed / 45)
    if customer.balance < 0.25 * monthly:
        target += 0.25 * min(1.0, (0.25 * monthly - customer.balance) / monthly)
    if customer.gambling:
        target += 0.25
    if customer.has_card and customer.credit_limit:
        target += 0.25 * max(0.0, customer.card_balance / customer.credit_limit - 0.6)
    target = min(1.0, target)
    customer.stress = 0.85 * customer.stress + 0.15 * target
