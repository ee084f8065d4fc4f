"""Hidden product needs: who truly wants what, how it changes, and the traces it leaves.

At a real bank, product needs are lumpy and differ from one customer to the next: some travel
often, some put money aside every month, some shop for a better card, some struggle to budget.
Each customer either has a need for a product family (an *active* need, strong) or mostly does
not (a weak residual interest). The chance of an active need follows traits and life stage, but
most of the difference between two customers is that one of them has the need and the other
does not.

A need shows in behaviour, as it would: customers browse the pages of the products they need,
travellers spend on travel, savers spend less of what they earn and keep a cushion, those with
money to invest hold idle balances. Life events move needs (a job loss makes budgeting help
welcome and investing unwelcome; a pay rise leaves money to invest).
"""

from __future__ import annotations

import random

import numpy as np

NEEDS = ("savings", "investment", "insurance", "card", "budgeting")

# Product pages a customer with the need browses (the bank's product and tool pages).
PRODUCT_PAGES: dict[str, tuple[str, ...]] = {
    "savings": ("/savings/compare-rates", "/savings/bonus-saver"),
    "investment": ("/investments/isa", "/investments/funds"),
    "insurance": ("/insurance/travel", "/travel/abroad"),
    "card": ("/cards/upgrade", "/cards/rewards"),
    "budgeting": ("/budgeting/planner", "/budgeting/spending-insights"),
}
PRODUCT_PAGE_FLOOR = 0.01
"""Chance that a page view is a given product family's page for a customer with no interest."""
PRODUCT_PAGE_SLOPE = 0.14
"""How much more often (per unit of need) a customer browses the pages of what they need."""


def active_chances(
    discipline: float, impulsivity: float, stage: str, income: float
) -> dict[str, float]:
    """The chance of an active need per family, from traits, life stage and income."""
    affluence = min(1.0, max(0.0, (income - 30_000.0) / 40_000.0))
    return {
        "savings": 0.15 + 0.3 * discipline,
        "investment": 0.06 + 0.12 * (stage == "established") + 0.12 * affluence,
        "insurance": 0.18 + 0.08 * (stage == "building") + 0.06 * affluence,
        "card": 0.1 + 0.3 * impulsivity,
        "budgeting": 0.06 + 0.3 * (1.0 - discipline),
    }


def active_level(rng: np.random.Generator) -> float:
    return float(rng.beta(5.0, 2.0))


def residual_level(rng: np.random.Generator) -> float:
    return float(rng.beta(1.5, 9.0))


def draw_needs(rng: np.random.Generator, chances: dict[str, float]) -> dict[str, float]:
    """One customer's needs: each family active (strong) or residual (weak)."""
    needs: dict[str, float] = {}
    for name in NEEDS:
        active = rng.random() < chances[name]
        needs[name] = active_level(rng) if active else residual_level(rng)
    return needs


def _raise(needs: dict[str, float], name: str, rnd: random.Random) -> None:
    needs[name] = max(needs[name], 0.6 + 0.35 * rnd.random())


def shift_with_life_event(needs: dict[str, float], kind: str, rnd: random.Random) -> None:
    """How a life event moves needs (in place)."""
    if kind in ("income_shock", "gambling_onset"):
        _raise(needs, "budgeting", rnd)
        needs["investment"] *= 0.3
        needs["savings"] *= 0.5
    elif kind == "new_child":
        _raise(needs, "savings", rnd)
        needs["insurance"] *= 0.5  # fewer trips for a while
    elif kind == "pay_rise":
        if rnd.random() < 0.5:
            _raise(needs, "investment", rnd)
        needs["budgeting"] *= 0.6


def product_page(rnd: random.Random, needs: dict[str, float]) -> str | None:
    """A product page this view lands on, or None for an everyday page."""
    draw = rnd.random()
    for name in NEEDS:
        draw -= PRODUCT_PAGE_FLOOR + PRODUCT_PAGE_SLOPE * needs[name] ** 2
        if draw < 0.0:
            return rnd.choice(PRODUCT_PAGES[name])
    return None


def spending_share_cut(needs: dict[str, float]) -> float:
    """Share of income a saver keeps back from spending (savers save)."""
    return 0.12 * needs["savings"] + 0.06 * needs["investment"]


def cushion_factor(needs: dict[str, float]) -> float:
    """How many times an ordinary balance a customer keeps: savers and investors hold more."""
    return 1.0 + 1.5 * needs["savings"] + 5.0 * needs["investment"] ** 2
