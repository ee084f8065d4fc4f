"""Fraud, labelled: compromised cards, account takeover, card testing, compromised terminals.

Each fraudulent transaction is recorded in the truth with its pattern; most are reported by a
``fraud_report`` some days later, and a few genuine transactions are disputed and cleared.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from rapport.sim.emit import Event, EventStream
from rapport.sim.population import Customer
from rapport.sim.world import ABROAD, CATEGORIES, CATEGORY_INDEX, Merchants

REPORTED_SHARE = 0.92
DISPUTE_RATE = 0.0004


@dataclass(slots=True)
class FraudCase:
    customer: int
    pattern: str
    day: int
    event: Event  # the transaction; its id is set when the day is written


def _online(rnd: random.Random, merchants: Merchants, category: str) -> str:
    ids = merchants.ids[CATEGORY_INDEX[category]]
    return ids[rnd.randrange(len(ids))]


def compromised_card(
    rnd: random.Random, book: EventStream, customer: Customer, merchants: Merchants, day: int
) -> list[FraudCase]:
    """A stolen card used online: bigger amounts, merchants the customer never used."""
    cases = []
    start = rnd.uniform(0, 20) * 3600
    device = f"dev-x{rnd.randrange(10**8):08d}"
    abroad = ABROAD[rnd.randrange(len(ABROAD))] if rnd.random() < 0.5 else None
    for k in range(rnd.randint(3, 8)):
        category = rnd.choice(("retail", "travel", "entertainment"))
        median = CATEGORIES[CATEGORY_INDEX[category]][2]
        amount = round(min(4_000.0, median * rnd.uniform(3, 12)), 2)
        envelope: dict[str, object] = {"channel": "online", "device_id": device}
        if abroad:
            envelope["location"] = {"country": abroad[3]}
        event = book.add(
            customer.customer_id,
            "transaction",
            start + k * rnd.uniform(300, 2400),
            customer.offset_hours,
            {
                "amount": amount,
                "currency": "EUR",
                "direction": "debit",
                "merchant_id": _online(rnd, merchants, category),
                "mcc": CATEGORIES[CATEGORY_INDEX[category]][1][0],
            },
            **envelope,
        )
        cases.append(FraudCase(customer.index, "compromised_card", day, event))
    return cases


def card_testing(
    rnd: random.Random, book: EventStream, customer: Customer, merchants: Merchants, day: int
) -> list[FraudCase]:
    """A burst of tiny online amounts to see whether the card works."""
    start = rnd.uniform(0, 23) * 3600
    merchant = _online(rnd, merchants, "entertainment")
    device = f"dev-x{rnd.randrange(10**8):08d}"
    cases = []
    for k in range(rnd.randint(5, 12)):
        event = book.add(
            customer.customer_id,
            "transaction",
            start + k * rnd.uniform(20, 120),
            customer.offset_hours,
            {
                "amount": round(rnd.uniform(0.5, 3.0), 2),
                "currency": "EUR",
                "direction": "debit",
                "merchant_id": merchant,
                "mcc": "5815",
            },
            channel="online",
            device_id=device,
        )
        cases.append(FraudCase(customer.index, "card_testing", day, event))
    return cases


def account_takeover(
    rnd: random.Random, book: EventStream, customer: Customer, day: int
) -> list[FraudCase]:
    """A new device from abroad logs in (after failures), then sends money to new payees."""
    place = ABROAD[rnd.randrange(len(ABROAD))]
    device = f"dev-x{rnd.randrange(10**8):08d}"
    start = rnd.uniform(0, 21) * 3600
    location = {"lat": place[1], "lon": place[2], "country": place[3]}
    for k in range(rnd.randint(1, 3)):
        book.add(
            customer.customer_id,
            "login",
            start + 30 * k,
            customer.offset_hours,
            {"success": False, "auth_method": "password"},
            channel="web",
            device_id=device,
            location=location,
        )
    book.add(
        customer.customer_id,
        "login",
        start + 120,
        customer.offset_hours,
        {"success": True, "auth_method": "otp"},
        channel="web",
        device_id=device,
        location=location,
    )
    cases = []
    for k in range(rnd.randint(1, 3)):
        amount = round(min(max(customer.balance, 300.0) * rnd.uniform(0.3, 0.9), 9_000.0), 2)
        customer.balance = round(customer.balance - amount, 2)
        event = book.add(
            customer.customer_id,
            "transaction",
            start + 600 + 900 * k,
            customer.offset_hours,
            {
                "amount": amount,
                "currency": "EUR",
                "direction": "debit",
                "mcc": "4829",
                "category": "transfer",
                "counterparty": f"payee-{rnd.randrange(10**6):06d}",
                "balance_after": customer.balance,
            },
            channel="web",
            device_id=device,
            location=location,
        )
        cases.append(FraudCase(customer.index, "account_takeover", day, event))
    return cases


def report_day(rnd: random.Random, day: int, delay: tuple[float, float]) -> int:
    return day + max(1, math.ceil(rnd.uniform(*delay)))
