"""What the bank offers, how customers truly respond, and who decides what to offer.

The response model is hidden ground truth: traits, the customer's current stress, the offer, the
channel, the hour and recent contact pressure set a true acceptance probability. The simulation
records it for every decision, with the best offer's probability, so a learner's regret against
the oracle can be computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from rapport.sim.population import Customer

# offer id -> (need it serves, base log-odds, how stress moves it)
OFFERS: dict[str, tuple[str, float, float]] = {
    "savings-boost": ("savings", -3.2, -1.5),
    "isa-investment": ("investment", -3.6, -2.0),
    "travel-insurance": ("insurance", -3.3, -0.8),
    "card-upgrade": ("card", -3.4, -0.5),
    "budget-coach": ("budgeting", -3.0, 1.5),
    "hardship-support": ("budgeting", -3.8, 4.0),
}
NEED_WEIGHT = 4.0
"""Log-odds per unit of need: an offer that meets an active need (about 0.7) is several times
likelier to be accepted than one that meets none (about 0.15)."""
CHANNELS = ("email", "sms", "push", "in_app")


@dataclass(frozen=True, slots=True)
class SimDecision:
    """What a decision function answers: an offer on a channel at an hour, or nothing."""

    decision_id: str
    offer_id: str | None
    channel: str  # email | sms | push | in_app
    send_hour: float | None = None


class DecisionFunction(Protocol):
    """Closed loop: the engine (over Python or HTTP) or any policy answers a trigger."""

    def __call__(
        self, customer_id: str, trigger: str, day: int, hour: float
    ) -> SimDecision | None: ...


def pressure(customer: Customer, day: int) -> float:
    """Contacts in the last seven days."""
    return float(sum(1 for d in customer.contacts if day - d < 7))


def acceptance_probability(
    customer: Customer, offer_id: str, channel: str, hour: float, day: int
) -> float:
    need, base, stress_effect = OFFERS[offer_id]
    responsiveness = 0.6 if channel == "in_app" else customer.responsiveness.get(channel, 0.2)
    hour_fit = math.cos((hour - customer.active_hour) / 24.0 * 2 * math.pi)
    logit = (
        base
        + NEED_WEIGHT * customer.needs[need]
        + 2.5 * responsiveness
        + stress_effect * customer.stress
        + 0.4 * hour_fit
        - 0.35 * pressure(customer, day)
    )
    return 1.0 / (1.0 + math.exp(-logit))


def open_probability(customer: Customer, channel: str, day: int) -> float:
    if channel == "in_app":
        return 1.0
    return float(min(0.95, 0.15 + 0.8 * customer.responsiveness[channel])) / (
        1 + 0.15 * pressure(customer, day)
    )


def unsubscribe_probability(customer: Customer, day: int) -> float:
    return 0.004 + 0.01 * math.pow(pressure(customer, day), 1.5)


def all_offers(customer: Customer, channel: str, hour: float, day: int) -> dict[str, float]:
    """Every offer's true acceptance probability here and now (what an oracle knows)."""
    return {o: acceptance_probability(customer, o, channel, hour, day) for o in OFFERS}
