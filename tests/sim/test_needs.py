"""Hidden product needs: heterogeneous, decisive for acceptance, and visible in behaviour."""

from __future__ import annotations

import random
import statistics
from collections import Counter

import numpy as np
import pytest

from rapport import Engine
from rapport.sim import SimConfig, SimDecision, SimulatedBank
from rapport.sim.needs import NEEDS, shift_with_life_event
from rapport.sim.offers import OFFERS, acceptance_probability
from rapport.sim.population import sample_population

ACTIVE = 0.5  # active needs are drawn around 0.7, residual ones around 0.15


def test_needs_differ_between_customers() -> None:
    customers = sample_population(np.random.default_rng(2718), 3000)
    for need in NEEDS:
        active = statistics.fmean(c.needs[need] > ACTIVE for c in customers)
        assert 0.05 < active < 0.6, (need, active)
    # No single need is the strongest for most customers: a fixed offer cannot serve them all.
    strongest = Counter(max(NEEDS, key=c.needs.__getitem__) for c in customers)
    assert max(strongest.values()) < 0.45 * len(customers), strongest


def test_a_matching_offer_is_several_times_likelier_to_be_accepted() -> None:
    customers = sample_population(np.random.default_rng(99), 2000)
    for offer, (need, _, _) in OFFERS.items():
        if offer == "hardship-support":
            continue  # it answers stress first
        matched = [
            acceptance_probability(c, offer, "in_app", c.active_hour, 0)
            for c in customers
            if c.needs[need] > ACTIVE
        ]
        unmatched = [
            acceptance_probability(c, offer, "in_app", c.active_hour, 0)
            for c in customers
            if c.needs[need] < 0.25
        ]
        likely, unlikely = statistics.fmean(matched), statistics.fmean(unmatched)
        # Even at the best moment (in the app, at the customer's usual hour, no fatigue), where
        # both are high, a match more than doubles acceptance; its odds are many times higher.
        assert likely > 2.0 * unlikely, offer
        assert likely / (1 - likely) > 6.0 * unlikely / (1 - unlikely), offer


def test_life_events_move_needs() -> None:
    rnd = random.Random(3)
    needs = {"savings": 0.5, "investment": 0.7, "insurance": 0.6, "card": 0.2, "budgeting": 0.1}
    shift_with_life_event(needs, "income_shock", rnd)
    assert needs["budgeting"] >= 0.6
    assert needs["investment"] < 0.25
    needs = {"savings": 0.1, "investment": 0.1, "insurance": 0.6, "card": 0.2, "budgeting": 0.1}
    shift_with_life_event(needs, "new_child", rnd)
    assert needs["savings"] >= 0.6
    assert needs["insurance"] == pytest.approx(0.3)


def test_needs_leave_traces_the_engine_sees() -> None:
    """Customers with an active need browse its pages and spend accordingly; the engine's
    profiles, built only from events, tell them apart."""
    engine = Engine("memory://")
    bank = SimulatedBank(SimConfig(customers=300, days=45, seed=4711))
    for _, lines in bank.days():
        engine.ingest(lines)
    profiles = {c.customer_id: engine.profile(c.customer_id).values() for c in bank.customers}

    def contrast(need: str, feature: str) -> tuple[float, float]:
        having = [profiles[c.customer_id][feature] for c in bank.customers if c.needs[need] > 0.5]
        lacking = [profiles[c.customer_id][feature] for c in bank.customers if c.needs[need] < 0.3]
        return statistics.fmean(having), statistics.fmean(lacking)

    for need, feature, factor in (
        ("savings", "savings_page_share_30d", 2.0),
        ("investment", "investing_page_share_30d", 2.0),
        ("insurance", "travel_page_share_30d", 2.0),
        ("card", "card_page_share_30d", 1.4),  # card holders also view their own card's page
        ("budgeting", "budgeting_page_share_30d", 2.0),
    ):
        having, lacking = contrast(need, feature)
        assert having > factor * lacking, (need, having, lacking)
    having, lacking = contrast("insurance", "share_travel_30d")
    assert having > 1.3 * lacking  # travellers spend on travel
    having, lacking = contrast("investment", "balance_mean_30d")
    assert having > 1.5 * lacking  # money waiting to be invested


def test_the_oracle_has_room_over_any_fixed_offer() -> None:
    """The best offer for each customer (what only the hidden needs tell) is accepted far more
    often than the best single offer for everyone: the room a learner has to find from
    behaviour."""

    def decide(customer_id: str, trigger: str, day: int, hour: float) -> SimDecision | None:
        if trigger != "login":
            return None
        return SimDecision(f"d-{customer_id}-{day}", "savings-boost", "in_app", hour)

    bank = SimulatedBank(SimConfig(customers=200, days=20, seed=1234), decide)
    for _ in bank.days():
        pass
    made = bank.truth.decisions
    oracle = statistics.fmean(d["best_p_accept"] for d in made)
    best_fixed = max(statistics.fmean(d["p_accept_by_offer"][o] for d in made) for o in OFFERS)
    assert oracle > 1.4 * best_fixed
