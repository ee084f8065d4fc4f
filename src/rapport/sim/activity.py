"""Everyday behavior: pay, spending, logins and page views."""

from __future__ import annotations

import math
import random

from rapport.sim.emit import Event, EventStream
from rapport.sim.needs import product_page
from rapport.sim.population import Customer
from rapport.sim.world import (
    CATEGORIES,
    CATEGORY_INDEX,
    CITIES,
    PAGES_CARD_HOLDER,
    PAGES_EVERYDAY,
    PAGES_GAMBLING,
    PAGES_HARDSHIP,
    PAGES_LOANS,
    Merchants,
)

CASH = CATEGORY_INDEX["cash"]
GAMBLING = CATEGORY_INDEX["gambling"]
CARD_CATEGORIES = {CATEGORY_INDEX[c] for c in ("retail", "travel", "dining", "entertainment")}


def _hour(rnd: random.Random, customer: Customer) -> float:
    """A local second of the day, around the customer's usual hour (later when stressed)."""
    centre = customer.active_hour + 2.5 * customer.stress + 2.0 * customer.gambling
    if rnd.random() < 0.05 + 0.25 * customer.stress + 0.2 * customer.gambling:
        centre = rnd.uniform(0.0, 5.0)  # the small hours
    return (rnd.gauss(centre, customer.hour_spread) % 24.0) * 3600.0


def pay(
    rnd: random.Random, book: EventStream, customer: Customer, day: int, day_of_month: int
) -> None:
    """Salary-like credits, by pay cycle; none once the job is lost."""
    if not customer.employed:
        return
    monthly = customer.annual_income * customer.income_factor / 12
    if customer.pay_cycle == "monthly":
        due, amount = day_of_month == customer.pay_day, monthly
    elif customer.pay_cycle == "biweekly":
        due, amount = (day + customer.pay_day) % 14 == 0, monthly * 12 / 26
    else:
        due, amount = rnd.random() < 0.08, monthly * rnd.uniform(0.3, 1.4)
    if not due:
        return
    amount = round(amount * rnd.uniform(0.97, 1.03), 2)
    customer.balance = round(customer.balance + amount, 2)
    book.add(
        customer.customer_id,
        "transaction",
        rnd.uniform(6, 9) * 3600,
        customer.offset_hours,
        {
            "amount": amount,
            "currency": "EUR",
            "direction": "credit",
            "category": "salary",
            "counterparty": f"employer-{customer.index % 997:03d}",
            "balance_after": customer.balance,
        },
    )


def spend(
    rnd: random.Random,
    book: EventStream,
    customer: Customer,
    merchants: Merchants,
    count: int,
) -> list[tuple[str, Event]]:
    """The day's debits; returns (merchant, event) of the card-present ones."""
    weights = list(customer.category_mix)
    weights[CASH] *= 1.0 + 3.0 * customer.stress  # cash-like spending under stress
    present: list[tuple[str, Event]] = []
    city = CITIES[customer.city]
    for _ in range(count):
        category = rnd.choices(range(len(CATEGORIES)), weights)[0]
        _, mccs, median, spread, present_share = CATEGORIES[category]
        amount = (
            median
            * math.exp(rnd.gauss(0.0, spread))
            * (0.8 + 0.5 * customer.impulsivity)
            * customer.amount_scale
        )
        amount = round(max(0.5, min(amount, 5_000.0)), 2)
        merchant = _merchant(rnd, customer, merchants, category)
        second = _hour(rnd, customer)
        payload: dict[str, object] = {
            "amount": amount,
            "currency": "EUR",
            "direction": "debit",
            "merchant_id": merchant,
            "mcc": mccs[hash_index(merchant, len(mccs))],
        }
        envelope: dict[str, object] = {}
        if rnd.random() < present_share:
            envelope["channel"] = "atm" if category == CASH else "card_present"
            lat, lon = city[1] + rnd.gauss(0, 0.03), city[2] + rnd.gauss(0, 0.03)
            envelope["location"] = {"lat": round(lat, 4), "lon": round(lon, 4), "country": city[3]}
        else:
            envelope["channel"] = "online" if rnd.random() < 0.5 else "mobile"
            envelope["device_id"] = customer.devices[0]
        on_card = customer.has_card and category in CARD_CATEGORIES and rnd.random() < 0.5
        if on_card and customer.card_balance + amount <= customer.credit_limit:
            customer.card_balance = round(customer.card_balance + amount, 2)
        else:
            customer.balance = round(customer.balance - amount, 2)
            payload["balance_after"] = customer.balance
        event = book.add(
            customer.customer_id, "transaction", second, customer.offset_hours, payload, **envelope
        )
        if envelope["channel"] == "card_present":
            present.append((merchant, event))
    return present


def hash_index(text: str, size: int) -> int:
    """A stable choice among ``size`` options for a text (Python's hash is salted)."""
    return sum(text.encode()) % size


def _merchant(rnd: random.Random, customer: Customer, merchants: Merchants, category: int) -> str:
    ids = merchants.ids[category]
    known = [m for m in customer.known_merchants if m.startswith(f"m-{CATEGORIES[category][0]}-")]
    if known and rnd.random() < 0.8:
        return rnd.choice(known)
    chosen = ids[rnd.randrange(len(ids))]
    if len(customer.known_merchants) < 30:
        customer.known_merchants.append(chosen)
    return chosen


def browse(
    rnd: random.Random, book: EventStream, customer: Customer, day: int, logins: int
) -> list[float]:
    """Logins and the pages viewed after them; returns the login seconds (offer moments)."""
    moments: list[float] = []
    for k in range(logins):
        second = _hour(rnd, customer)
        device = customer.devices[0] if rnd.random() < 0.85 else customer.devices[-1]
        channel = customer.preferred_channel
        if rnd.random() < 0.04:
            book.add(
                customer.customer_id,
                "login",
                second - 40,
                customer.offset_hours,
                {"success": False, "auth_method": "password"},
                channel=channel,
                device_id=device,
            )
        book.add(
            customer.customer_id,
            "login",
            second,
            customer.offset_hours,
            {"success": True, "auth_method": "biometric" if channel == "mobile" else "password"},
            channel=channel,
            device_id=device,
        )
        moments.append(second)
        session = f"s-{customer.index}-{day}-{k}"
        for page_number in range(1 + min(6, int(rnd.expovariate(0.7)))):
            page = _page(rnd, customer)
            dwell = int(1000 * rnd.lognormvariate(math.log(25 + 40 * customer.stress), 0.6))
            book.add(
                customer.customer_id,
                "page_view",
                second + 20 + 45 * page_number,
                customer.offset_hours,
                {"session_id": session, "page": page, "dwell_ms": min(dwell, 3_600_000)},
                channel=channel,
                device_id=device,
            )
    return moments


def _page(rnd: random.Random, customer: Customer) -> str:
    draw = rnd.random()
    if draw < 0.45 * customer.stress:
        return rnd.choice(PAGES_HARDSHIP)
    if draw < 0.75 * customer.stress:
        return rnd.choice(PAGES_LOANS)
    if customer.gambling and draw > 0.97:
        return PAGES_GAMBLING[0]
    everyday = PAGES_CARD_HOLDER if customer.has_card else PAGES_EVERYDAY
    return product_page(rnd, customer.needs) or rnd.choice(everyday)
