"""Write ``examples/events.jsonl``: 90 days (from 2026-06-01) of a small bank, for the demo.

Run ``.venv/bin/python examples/make_example_events.py``. The output is the same bytes on every
run: one seeded ``random.Random``, no clock, no hash-ordered collections. About 25 customers and
7,000 events; every v1 event type appears. The stories the demo tells:

| customer        | home        | story                                                            |
|-----------------|-------------|------------------------------------------------------------------|
| cust-0001       | Munich      | steady and disciplined: monthly salary, card paid in full early  |
| cust-0002       | Lyon        | job loss ~day 45: biweekly salary stops, balance dwindles,       |
|                 |             | repayments 5-35 days late, /help/hardship and /loans visits,     |
|                 |             | night-time activity, accepts the budget-coach offer              |
| cust-0003       | Amsterdam   | card compromised on day 60: within hours, high-amount online     |
|                 |             | purchases at new US merchants from a new device; fraud_report    |
|                 |             | is_fraud=true 2-5 days later (and one is_fraud=false dispute)    |
| cust-0004       | Manchester  | gambling onset ~day 30: MCC 7995 spend ramps up, often at night  |
| cust-0005       | London      | travels days 20-28: London -> Paris (train) -> Barcelona         |
|                 |             | (flight) -> London; card_present in GB, FR and ES                |
| cust-0006..0009 | Paris       | shopped at the compromised terminal m-terminal-666 on days 50-55;|
|                 |             | fraud reports follow 3-7 days later                              |
| cust-0019       | Athens      | chronically late payer: delinquent, then default                 |
| cust-0023, 0024 | Chicago/Hou | US customers (USD, -05:00)                                       |

The stream is in event-time order except 20 events delivered 5 minutes to 2 hours late. It also
holds 3 exact duplicate re-sends and, near the end, 4 deliberately bad lines for the dead-letter
display: malformed JSON, a negative amount, an unknown field and an unknown event type.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from rapport.events.validation import EventRejected, parse_event

SEED = 20260601
START = date(2026, 6, 1)
DAYS = 90
OUT = Path(__file__).with_name("events.jsonl")
Event = dict[str, Any]

# city: (lat, lon, country, currency, UTC offset in summer)
CITIES: dict[str, tuple[float, float, str, str, int]] = {
    "London": (51.5074, -0.1278, "GB", "GBP", 1),
    "Manchester": (53.4808, -2.2426, "GB", "GBP", 1),
    "Edinburgh": (55.9533, -3.1883, "GB", "GBP", 1),
    "Dublin": (53.3498, -6.2603, "IE", "EUR", 1),
    "Lisbon": (38.7223, -9.1393, "PT", "EUR", 1),
    "Paris": (48.8566, 2.3522, "FR", "EUR", 2),
    "Lyon": (45.7640, 4.8357, "FR", "EUR", 2),
    "Berlin": (52.5200, 13.4050, "DE", "EUR", 2),
    "Munich": (48.1351, 11.5820, "DE", "EUR", 2),
    "Amsterdam": (52.3676, 4.9041, "NL", "EUR", 2),
    "Madrid": (40.4168, -3.7038, "ES", "EUR", 2),
    "Barcelona": (41.3874, 2.1686, "ES", "EUR", 2),
    "Milan": (45.4642, 9.1900, "IT", "EUR", 2),
    "Rome": (41.9028, 12.4964, "IT", "EUR", 2),
    "Vienna": (48.2082, 16.3738, "AT", "EUR", 2),
    "Brussels": (50.8503, 4.3517, "BE", "EUR", 2),
    "Helsinki": (60.1699, 24.9384, "FI", "EUR", 3),
    "Athens": (37.9838, 23.7275, "GR", "EUR", 3),
    "Chicago": (41.8781, -87.6298, "US", "USD", -5),
    "Houston": (29.7604, -95.3698, "US", "USD", -5),
}
FX = {"EUR": 1.0, "GBP": 0.86, "USD": 1.08}  # units of the currency per euro
# mcc: (merchant kind, category, median amount in EUR, log-spread)
MCC: dict[str, tuple[str, str, float, float]] = {
    "5411": ("grocer", "groceries", 32, 0.6),
    "5812": ("resto", "restaurants", 26, 0.5),
    "5541": ("fuel", "fuel", 55, 0.3),
    "4111": ("transit", "transport", 4, 0.7),
    "5311": ("store", "retail", 45, 0.8),
    "5912": ("pharma", "pharmacy", 16, 0.6),
    "6011": ("atm", "cash", 80, 0.6),
    "4829": ("remit", "money_transfer", 120, 0.7),
    "7995": ("bet", "gambling", 20, 0.8),
    "4511": ("airline", "airlines", 180, 0.5),
    "7011": ("hotel", "hotels", 160, 0.4),
    "4900": ("utility", "utilities", 75, 0.4),
    "5732": ("electro", "electronics", 600, 0.6),
    "5944": ("jewel", "jewelry", 900, 0.5),
}
BASE_MIX = {
    "5411": 30,
    "5812": 15,
    "5541": 7,
    "4111": 12,
    "5311": 12,
    "5912": 4,
    "6011": 5,
    "4829": 2,
}
# profile: (card purchases per day, shift of the daily rhythm in hours, mix overrides)
PROFILES: dict[str, tuple[float, int, dict[str, float]]] = {
    "steady": (1.3, 0, {}),
    "commuter": (1.7, -1, {"4111": 30, "5812": 18}),
    "foodie": (1.5, 1, {"5812": 35}),
    "family": (1.8, 0, {"5411": 45, "5912": 8, "5311": 18}),
    "nightowl": (1.4, 3, {"5812": 22, "5311": 16, "7995": 1}),
    "senior": (1.0, -2, {"5411": 40, "5912": 12, "4111": 6, "5541": 2}),
    "traveller": (1.4, 0, {"5812": 22, "4511": 1, "7011": 1}),
    "online": (1.4, 1, {"5311": 25}),
}
HOURS = [
    0.2,
    0.1,
    0.05,
    0.05,
    0.05,
    0.2,
    0.6,
    1.5,
    2.0,
    1.8,
    1.6,
    1.8,
    2.5,
    2.0,
    1.6,
    1.6,
    1.8,
    2.4,
    2.6,
    2.2,
    1.8,
    1.4,
    0.9,
    0.5,
]
PAGES = {
    "/home": 0,
    "/cards": 15,
    "/savings": 10,
    "/statements": 12,
    "/payments": 12,
    "/loans/personal": 4,
    "/mortgage": 3,
    "/help/hardship": 0.5,
    "/help/debt-advice": 0.3,
}
HARDSHIP_PAGES = {
    "/help/hardship": 12,
    "/help/debt-advice": 9,
    "/loans/personal": 10,
    "/payments": 6,
    "/statements": 5,
    "/cards": 2,
    "/savings": 1,
}
OFFERS = {"savings-boost": 35, "card-upgrade": 25, "travel-insurance": 20, "budget-coach": 10}
EMPLOYERS = ["northwind", "contoso", "fabrikam", "globex", "initech", "brightwave", "tailspin"]
# Customer 0005's trip: (day, home-local hour of arrival, city); the 3 hours before are transit.
TRIP = [(20, 13, "Paris"), (24, 13, "Barcelona"), (28, 16, "London")]
TERMINAL = [
    ("cust-0006", 50),
    ("cust-0007", 51),
    ("cust-0009", 52),
    ("cust-0008", 53),
    ("cust-0006", 55),
]

# id, home, net pay, "M"onthly on day-of-month / "B"iweekly from day, sex, age, segment, profile,
# card limit
CUSTOMERS: list[tuple[str, str, int, str, int, str, int, str, str, int]] = [
    ("cust-0001", "Munich", 3850, "M", 27, "male", 45, "affluent", "steady", 8000),
    ("cust-0002", "Lyon", 1850, "B", 2, "female", 34, "mass", "steady", 3000),
    ("cust-0003", "Amsterdam", 3100, "M", 25, "female", 29, "mass", "online", 5000),
    ("cust-0004", "Manchester", 2400, "M", 28, "male", 27, "mass", "nightowl", 2500),
    ("cust-0005", "London", 4300, "M", 27, "female", 38, "affluent", "traveller", 10000),
    ("cust-0006", "Paris", 2600, "M", 28, "male", 31, "mass", "commuter", 3000),
    ("cust-0007", "Paris", 1900, "B", 9, "female", 52, "mass", "family", 4000),
    ("cust-0008", "Paris", 5200, "M", 30, "male", 47, "affluent", "foodie", 12000),
    ("cust-0009", "Paris", 2100, "M", 25, "female", 24, "mass", "nightowl", 1500),
    ("cust-0010", "Madrid", 2300, "M", 30, "male", 36, "mass", "family", 3000),
    ("cust-0011", "Barcelona", 2700, "M", 28, "female", 41, "mass", "foodie", 4000),
    ("cust-0012", "Milan", 3300, "M", 27, "male", 55, "mass", "commuter", 5000),
    ("cust-0013", "Rome", 2000, "M", 27, "female", 63, "mass", "senior", 2000),
    ("cust-0014", "Berlin", 1950, "B", 5, "male", 30, "mass", "nightowl", 2500),
    ("cust-0015", "Vienna", 3600, "M", 25, "female", 44, "affluent", "family", 7000),
    ("cust-0016", "Brussels", 3000, "M", 26, "male", 39, "mass", "commuter", 4000),
    ("cust-0017", "Dublin", 3500, "M", 28, "female", 33, "mass", "foodie", 5000),
    ("cust-0018", "Lisbon", 1900, "M", 25, "male", 28, "mass", "steady", 2000),
    ("cust-0019", "Athens", 1800, "M", 30, "male", 50, "mass", "steady", 2500),
    ("cust-0020", "Helsinki", 3900, "M", 15, "female", 37, "affluent", "steady", 8000),
    ("cust-0021", "Edinburgh", 2800, "M", 28, "male", 42, "mass", "family", 4000),
    ("cust-0022", "London", 6500, "M", 27, "male", 51, "affluent", "traveller", 15000),
    ("cust-0023", "Chicago", 2300, "B", 12, "female", 35, "mass", "commuter", 6000),
    ("cust-0024", "Houston", 2600, "B", 4, "male", 46, "mass", "family", 5000),
    ("cust-0025", "Berlin", 1800, "M", 30, "female", 26, "mass", "online", 1500),
]


@dataclass
class Customer:
    cid: str
    home: str
    pay: int
    period: str
    payday: int
    sex: str
    age: int
    segment: str
    profile: str
    limit: int
    devices: list[str] = field(default_factory=list)  # [phone, laptop]
    ledger: list[tuple[datetime, int, float, dict[str, Any] | None]] = field(default_factory=list)
    purchases: list[Event] = field(default_factory=list)
    upgrade: tuple[datetime, str] | None = None  # accepted card-upgrade: (when, decision id)

    @property
    def num(self) -> int:
        return int(self.cid[5:])

    @property
    def currency(self) -> str:
        return CITIES[self.home][3]

    @property
    def monthly(self) -> float:
        return self.pay * 26 / 12 if self.period == "B" else float(self.pay)


class Bank:
    """Generates the history; every random draw goes through the one seeded ``rng``."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.events: list[Event] = []
        self.seq = 0
        self.customers = [Customer(*row) for row in CUSTOMERS]
        self.by_id = {c.cid: c for c in self.customers}
        for c in self.customers:
            c.devices = [self.device() for _ in range(1 if c.age < 30 else 2)]

    def device(self) -> str:
        return f"dev-{self.rng.getrandbits(24):06x}"

    def local_at(self, city: str, day: int, seconds: float) -> datetime:
        zone = timezone(timedelta(hours=CITIES[city][4]))
        midnight = datetime.combine(START + timedelta(days=day), time(), zone)
        return midnight + timedelta(seconds=seconds)

    def local(self, c: Customer, day: int, seconds: float) -> datetime:
        return self.local_at(c.home, day, seconds)

    def moment(self, c: Customer, day: int, night: bool = False) -> datetime:
        shift = PROFILES[c.profile][1]
        weights = [HOURS[(h - shift) % 24] + (1.5 if night and h < 5 else 0) for h in range(24)]
        hour = self.rng.choices(range(24), weights)[0]
        return self.local(c, day, hour * 3600 + self.rng.randrange(60, 3600))

    def where(self, c: Customer, t: datetime) -> str | None:
        """The city ``c`` is in at ``t`` (None while travelling)."""
        city = c.home
        for day, hour, name in TRIP if c.cid == "cust-0005" else []:
            arrival = self.local(c, day, hour * 3600)
            if arrival - timedelta(hours=3) <= t < arrival:
                return None
            city = name if t >= arrival else city
        return city

    def poisson(self, lam: float) -> int:
        limit, k, p = math.exp(-lam), 0, self.rng.random()
        while p > limit:
            k, p = k + 1, p * self.rng.random()
        return k

    def emit(
        self,
        c: Customer,
        t: datetime,
        kind: str,
        payload: dict[str, Any],
        channel: str | None = None,
        device: str | None = None,
        location: dict[str, Any] | None = None,
        city: str | None = None,
    ) -> Event:
        zone = timezone(timedelta(hours=CITIES[city or c.home][4]))
        event: Event = {
            "event_id": "",
            "type": kind,
            "customer_id": c.cid,
            "timestamp": t.astimezone(zone).isoformat(timespec="seconds"),
        }
        extra = {"channel": channel, "device_id": device, "location": location}
        event.update({k: v for k, v in extra.items() if v is not None})
        event.update(payload=payload, _t=t, _seq=self.seq)
        self.seq += 1
        if t < self.local(c, DAYS, 0):
            self.events.append(event)
        return event

    def book(self, c: Customer, t: datetime, delta: float, payload: dict[str, Any] | None) -> None:
        c.ledger.append((t, self.seq, delta, payload))

    def place(self, city: str) -> dict[str, Any]:
        lat, lon, country, _, _ = CITIES[city]
        jitter = self.rng.uniform
        return {
            "lat": round(lat + jitter(-0.04, 0.04), 4),
            "lon": round(lon + jitter(-0.06, 0.06), 4),
            "country": country,
        }

    def amount(self, c: Customer, mcc: str, currency: str, factor: float = 1.0) -> float:
        median, sigma = MCC[mcc][2], MCC[mcc][3]
        x = median * math.exp(self.rng.gauss(0, sigma)) * (c.monthly / 3000) ** 0.4 * factor
        if mcc == "6011":
            return float(max(20, round(x * FX[currency] / 20) * 20))
        return round(max(x * FX[currency], 1.2), 2)

    def purchase(
        self,
        c: Customer,
        t: datetime,
        mcc: str,
        channel: str,
        *,
        city: str | None = None,
        amount: float | None = None,
        merchant: str | None = None,
        currency: str | None = None,
        device: str | None = None,
        location: dict[str, Any] | None = None,
        factor: float = 1.0,
    ) -> Event:
        city = city or c.home
        kind, category = MCC[mcc][0], MCC[mcc][1]
        present = channel in ("card_present", "atm")
        cur = currency or (CITIES[city][3] if present else c.currency)
        if merchant is None:
            index = list(CITIES).index(city) * 20 if present and city == c.home else 500
            spread = 3 if city == c.home else 400
            merchant = f"m-{kind}-{index + (c.num * 7 + self.rng.randrange(spread)) % 20:03d}"
        if location is None and present:
            location = self.place(city)
        elif location is None and channel == "online" and self.rng.random() < 0.3:
            location = {"country": CITIES[city][2]}
        if device is None and channel in ("online", "mobile"):
            device = c.devices[-1] if channel == "online" else c.devices[0]
        value = amount or self.amount(c, mcc, cur, factor)
        payload = {
            "amount": value,
            "currency": cur,
            "direction": "debit",
            "merchant_id": merchant,
            "mcc": mcc,
            "category": category,
        }
        event = self.emit(c, t, "transaction", payload, channel, device, location, city)
        self.book(c, t, -value * FX[c.currency] / FX[cur], payload)
        c.purchases.append(event)
        return event

    def transfer(self, c: Customer, t: datetime, amount: float, category: str, party: str) -> None:
        direction = "credit" if category == "salary" else "debit"
        payload = {
            "amount": round(amount, 2),
            "currency": c.currency,
            "direction": direction,
            "category": category,
            "counterparty": party,
        }
        self.emit(c, t, "transaction", payload)
        self.book(c, t, amount if direction == "credit" else -amount, payload)

    def onboarding(self, c: Customer) -> None:
        products = "current,card" + (",savings" if c.segment == "affluent" else "")
        attributes = {
            "declared_income": int(round(c.monthly * 12 / 0.72, -3)),
            "products": products + (",mortgage" if c.age > 40 else ""),
            "segment": c.segment,
            "residence_country": CITIES[c.home][2],
        }
        protected = {"sex": c.sex, "age": c.age}
        self.emit(
            c,
            self.local(c, 0, c.num),
            "customer_update",
            {"attributes": attributes, "protected": protected},
        )

    def income_and_bills(self, c: Customer) -> None:
        months = [(date(2026, m, c.payday) - START).days for m in (6, 7, 8)]
        for day in months if c.period == "M" else range(c.payday, DAYS, 14):
            while (START + timedelta(days=day)).weekday() >= 5:
                day -= 1  # noqa: PLW2901 - paid on the Friday before a weekend payday
            if not (c.cid == "cust-0002" and day > 45):
                t = self.local(c, day, 6 * 3600 + self.rng.randrange(3600))
                self.transfer(c, t, c.pay, "salary", f"employer-{EMPLOYERS[c.num % 7]}")
        for day in (0, 30, 61):
            t = self.local(c, day, 7 * 3600 + self.rng.randrange(600))
            housing = "mortgage" if c.age > 40 else "rent"
            self.transfer(c, t, round(c.monthly * 0.32), housing, f"{housing}-{c.num:04d}")
            t = self.local(c, day + 4, 8 * 3600 + self.rng.randrange(3600))
            merchant = f"m-utility-{list(CITIES).index(c.home):03d}"
            self.purchase(c, t, "4900", "online", merchant=merchant)

    def spending(self, c: Customer) -> None:
        rate, _, overrides = PROFILES[c.profile]
        mix = {**BASE_MIX, **overrides}
        codes = sorted(mix)
        for day in range(DAYS):
            broke = c.cid == "cust-0002" and day >= 45
            for _ in range(self.poisson(rate * (0.6 if broke else 1.0))):
                t = self.moment(c, day, night=broke)
                city = self.where(c, t)
                mcc = self.rng.choices(codes, [mix[k] for k in codes])[0]
                online = mcc in ("7995", "4511", "7011", "4829") or (
                    mcc == "5311" and self.rng.random() < (0.6 if c.profile == "online" else 0.3)
                )
                if online:
                    channel = "mobile" if mcc in ("7995", "4829") else "online"
                    self.purchase(c, t, mcc, channel, factor=0.6 if broke else 1.0)
                elif city is not None:
                    channel = "atm" if mcc == "6011" else "card_present"
                    self.purchase(c, t, mcc, channel, city=city, factor=0.6 if broke else 1.0)
            if c.cid == "cust-0004" and day >= 30:  # the gambling ramp
                for _ in range(self.poisson(0.3 + 2.7 * (day - 30) / 60)):
                    hour = self.rng.choice([19, 20, 21, 22, 23, 23, 0, 1, 1, 2])
                    t = self.local(c, day, hour * 3600 + self.rng.randrange(3600))
                    factor = 0.7 + 4.0 * (day - 30) / 60
                    self.purchase(
                        c,
                        t,
                        "7995",
                        self.rng.choice(["online", "mobile"]),
                        factor=factor,
                        merchant=f"m-bet-{self.rng.randrange(1, 4):03d}",
                    )

    def digital(self, c: Customer) -> None:
        sessions = 0
        for day in range(DAYS):
            broke = c.cid == "cust-0002" and day >= 45
            lam = 1.5 if broke else 0.45 + (0.15 if c.age < 35 else 0.0)
            for _ in range(self.poisson(lam + (0.4 if c.cid == "cust-0004" and day > 45 else 0))):
                t = self.moment(c, day, night=broke)
                mobile = len(c.devices) == 1 or self.rng.random() < 0.7
                channel, device = ("mobile", c.devices[0]) if mobile else ("web", c.devices[-1])
                methods = (
                    ["biometric"] * 7 + ["password"] * 2 + ["otp"]
                    if mobile
                    else ["password"] * 7 + ["otp"] * 3
                )
                city = self.where(c, t) or c.home
                if self.rng.random() < 0.05:
                    payload = {"success": False, "auth_method": self.rng.choice(methods)}
                    self.emit(c, t, "login", payload, channel, device, city=city)
                    t += timedelta(seconds=self.rng.randint(20, 120))
                payload = {"success": True, "auth_method": self.rng.choice(methods)}
                self.emit(c, t, "login", payload, channel, device, city=city)
                sessions += 1
                pages = HARDSHIP_PAGES if broke else PAGES
                names = sorted(pages)
                for n in range(self.rng.choice([0, 1, 1, 2, 2, 3, 4])):
                    page = (
                        "/home" if n == 0 else self.rng.choices(names, [pages[p] for p in names])[0]
                    )
                    dwell = self.rng.randint(2000, 150000 if "help" in page else 60000)
                    t += timedelta(seconds=self.rng.randint(3, 20))
                    payload = {
                        "session_id": f"s-{c.num:04d}-{sessions:04d}",
                        "page": page,
                        "dwell_ms": dwell,
                    }
                    self.emit(c, t, "page_view", payload, channel, device, city=city)
                    t += timedelta(milliseconds=dwell)

    def marketing(self, c: Customer) -> None:
        day, k = self.rng.randint(2, 12), 0
        while day < DAYS:
            k += 1
            offers = sorted(OFFERS)
            offer = self.rng.choices(offers, [OFFERS[o] for o in offers])[0]
            forced = (c.cid == "cust-0002" and day >= 48) or (c.cid == "cust-0005" and k == 1)
            if forced:
                offer = "budget-coach" if c.cid == "cust-0002" else "travel-insurance"
            decision, channel = (
                f"dec-{c.num:04d}-{k:02d}",
                self.rng.choice(["email", "sms", "push"]),
            )
            t = self.local(c, day, self.rng.randint(9 * 3600, 19 * 3600))
            device = c.devices[0] if channel == "push" else None
            for status in ("delivered", "opened", "clicked"):
                payload = {"decision_id": decision, "status": status}
                self.emit(c, t, "message_event", payload, channel, device)
                if status == "delivered" and not (forced or self.rng.random() < 0.55):
                    if self.rng.random() < 0.6:
                        payload = {
                            "decision_id": decision,
                            "offer_id": offer,
                            "response": "ignored",
                        }
                        self.emit(c, t + timedelta(days=7), "offer_response", payload)
                    break
                if status == "opened" and channel == "email" and self.rng.random() < 0.04:
                    payload = {"decision_id": decision, "status": "unsubscribed"}
                    self.emit(c, t + timedelta(seconds=40), "message_event", payload, channel)
                    break
                if status == "opened" and not (forced or self.rng.random() < 0.4):
                    break
                t += timedelta(
                    seconds=self.rng.randint(180, 6 * 3600)
                    if status == "delivered"
                    else self.rng.randint(10, 300)
                )
            else:
                response = (
                    "accepted"
                    if forced
                    else self.rng.choice(["accepted", "accepted", "declined", "clicked"])
                )
                t += timedelta(seconds=self.rng.randint(60, 1200))
                payload = {"decision_id": decision, "offer_id": offer, "response": response}
                self.emit(c, t, "offer_response", payload, "mobile", c.devices[0])
                if offer == "card-upgrade" and response == "accepted" and c.upgrade is None:
                    c.upgrade = (t, decision)
            day += self.rng.randint(10, 20)

    def credit(self, c: Customer) -> None:
        account = f"acc-{c.num:04d}-cc"
        statement_day = {"cust-0002": 3, "cust-0019": 2}.get(c.cid, 2 + c.num * 7 % 24)
        util = self.rng.uniform(0.1, 0.6)
        for month in (6, 7, 8):
            issued = date(2026, month, statement_day)
            t = self.local(c, (issued - START).days, 3 * 3600 + self.rng.randrange(1800))
            limit = c.limit + (2000 if c.upgrade and c.upgrade[0] < t else 0)
            stress = {"cust-0002": 0.25 * (month - 6), "cust-0004": 0.15 * (month - 6)}
            level = 0.97 if c.cid == "cust-0019" else util + stress.get(c.cid, 0.0)
            balance = round(limit * min(0.99, level * self.rng.uniform(0.85, 1.15)), 2)
            minimum, due = max(25.0, round(balance * 0.03, 2)), issued + timedelta(days=21)
            payload = {
                "account_id": account,
                "balance": balance,
                "credit_limit": float(limit),
                "minimum_due": minimum,
                "due_date": due.isoformat(),
            }
            self.emit(c, t, "statement", payload)
            if c.cid == "cust-0001":
                plan = [(-self.rng.randint(2, 5), balance)]
            elif c.cid == "cust-0002":
                plan = {
                    6: [(-1, balance)],
                    7: [(9, minimum / 2), (28, minimum)],
                    8: [(5, minimum)],
                }[month]
            elif c.cid == "cust-0019":
                plan = [(17, 30.0)] if month == 7 else []
            else:
                late = self.rng.random() < 0.07
                days_late = self.rng.randint(1, 6) if late else -self.rng.randint(0, 6)
                plan = [(days_late, self.rng.choice([balance, minimum, (balance + minimum) / 2]))]
            for days_late, amount in plan:
                paid = due + timedelta(days=days_late)
                t = self.local(c, (paid - START).days, self.rng.randint(8 * 3600, 21 * 3600))
                payload = {
                    "account_id": account,
                    "amount": round(amount, 2),
                    "due_date": due.isoformat(),
                    "days_late": days_late,
                }
                self.emit(c, t, "repayment", payload, self.rng.choice(["mobile", "web"]))
                self.book(c, t, -amount, None)
            t = self.local(c, (due - START).days + 1, 4 * 3600)
            status = "current" if plan and plan[0][0] <= 0 else "delinquent"
            status = "default" if c.cid == "cust-0019" and month == 8 else status
            payload = {"account_id": account, "status": status}
            if c.upgrade and c.upgrade[0] < t:
                payload["decision_id"] = c.upgrade[1]
            self.emit(c, t, "credit_outcome", payload)

    def stories(self) -> None:
        c2, c5 = self.by_id["cust-0002"], self.by_id["cust-0005"]
        self.emit(
            c2,
            self.local(c2, 47, 20 * 3600),
            "customer_update",
            {"attributes": {"employment_status": "unemployed", "declared_income": 0}},
            "web",
            c2.devices[-1],
        )
        self.purchase(
            c5, self.local(c5, 12, 21 * 3600), "4111", "online", amount=164.0, merchant="m-rail-001"
        )
        self.purchase(
            c5,
            self.local(c5, 14, 20 * 3600),
            "4511",
            "online",
            amount=212.4,
            merchant="m-airline-004",
        )
        self.purchase(c5, self.local(c5, 20, 9 * 3600 + 700), "4111", "card_present")
        for day, hour, city in TRIP[:2]:
            t = self.local(c5, day, hour * 3600 + 5400)
            self.purchase(c5, t, "7011", "card_present", city=city, amount=486.0)
        # Customer 0003's card details are used from a new device, at new US merchants.
        c3, device = self.by_id["cust-0003"], self.device()
        genuine = max(
            (e for e in c3.purchases if e["_t"] < self.local(c3, 60, 0)), key=lambda e: e["_t"]
        )
        t = self.local(c3, 60, 13 * 3600 + 300)
        stolen = []
        for n, (mcc, amount) in enumerate(
            [
                ("5732", 289.99),
                ("5732", 649.0),
                ("5944", 1180.0),
                ("5311", 412.35),
                ("4829", 950.0),
                ("5944", 1475.5),
                ("5732", 1299.0),
                ("4829", 700.0),
            ]
        ):
            merchant = f"m-{MCC[mcc][0]}-{901 + n}"
            stolen.append(
                self.purchase(
                    c3,
                    t,
                    mcc,
                    "online",
                    amount=amount,
                    merchant=merchant,
                    currency="USD",
                    device=device,
                    location={"country": "US"},
                )
            )
            t += timedelta(minutes=self.rng.randint(8, 40))
        reported = self.local(c3, 60 + self.rng.randint(2, 5), 10 * 3600)
        for n, event in enumerate([*stolen, genuine]):
            self.report(event, reported + timedelta(minutes=2 * n), event is not genuine)
        for cid, day in TERMINAL:
            c = self.by_id[cid]
            t = self.local(c, day, self.rng.randint(8 * 3600, 20 * 3600))
            event = self.purchase(
                c,
                t,
                "5411",
                "card_present",
                merchant="m-terminal-666",
                location={"lat": 48.8802, "lon": 2.3553, "country": "FR"},
            )
            self.report(event, t + timedelta(days=self.rng.randint(3, 7), hours=2), True)
        for c in self.rng.sample(self.customers[9:], 5):  # ordinary disputes that were genuine
            event = self.rng.choice([e for e in c.purchases if e["payload"]["amount"] > 40])
            self.report(event, event["_t"] + timedelta(days=self.rng.randint(1, 10)), False)

    def report(self, txn: Event, t: datetime, is_fraud: bool) -> None:
        c = self.by_id[txn["customer_id"]]
        event = self.emit(
            c, t, "fraud_report", {"transaction_event_id": "", "is_fraud": is_fraud}, "phone"
        )
        event["_ref"] = txn

    def generate(self) -> list[str]:
        for c in self.customers:
            self.onboarding(c)
            self.income_and_bills(c)
            self.spending(c)
            self.digital(c)
            self.marketing(c)
            self.credit(c)
        self.stories()
        for c in self.customers:
            balance = c.monthly * self.rng.uniform(0.6, 2.0) * (0.4 if c.cid == "cust-0002" else 1)
            for _, _, delta, payload in sorted(c.ledger, key=lambda e: (e[0], e[1])):
                balance += delta
                if payload is not None:
                    payload["balance_after"] = round(balance, 2)
        self.events.sort(key=lambda e: (e["_t"], e["_seq"]))
        for n, event in enumerate(self.events, 1):
            event["event_id"] = f"evt-{n:06d}"
        for event in self.events:
            if "_ref" in event:
                event["payload"]["transaction_event_id"] = event["_ref"]["event_id"]
        late = 0
        while late < 20:  # late delivery: the event overtakes at least its successor
            i = self.rng.randrange(len(self.events) - 1)
            event, delay = self.events[i], timedelta(seconds=self.rng.randint(300, 7200))
            if event["type"] in ("transaction", "login", "page_view") and "_late" not in event:
                if event["_t"] < self.events[i + 1]["_t"] < event["_t"] + delay:
                    event["_late"], late = delay, late + 1
        self.events.sort(key=lambda e: (e["_t"] + e.get("_late", timedelta()), e["_seq"]))
        lines = [encode(e) for e in self.events]
        for fraction in (0.23, 0.51, 0.78):  # a producer re-sends a line it thinks was lost
            i = int(len(lines) * fraction)
            lines.insert(i + self.rng.randint(3, 40), lines[i])
        for fraction, bad in zip((0.93, 0.955, 0.975, 0.99), self.bad_lines(), strict=True):
            lines.insert(int(len(lines) * fraction), bad)
        return lines

    def bad_lines(self) -> list[str]:
        t = self.events[int(len(self.events) * 0.95)]["_t"]
        txn = {
            "amount": 23.8,
            "currency": "EUR",
            "direction": "debit",
            "merchant_id": "m-resto-261",
            "mcc": "5812",
            "category": "restaurants",
        }
        login = {"success": True, "auth_method": "password", "ip_address": "203.0.113.7"}
        chargeback = {"transaction_event_id": "evt-000412", "amount": 89.9}
        return [
            self.bad(1, t, "cust-0012", "transaction", txn, "card_present")[:150],  # cut mid-write
            self.bad(2, t, "cust-0018", "transaction", {**txn, "amount": -42.1}, "online"),
            self.bad(3, t, "cust-0021", "login", login, "web"),
            self.bad(4, t, "cust-0015", "chargeback", chargeback, "phone"),
        ]

    def bad(
        self, k: int, t: datetime, cid: str, kind: str, payload: dict[str, Any], channel: str
    ) -> str:
        zone = timezone(timedelta(hours=CITIES[self.by_id[cid].home][4]))
        stamp = (t + timedelta(minutes=9 * k)).astimezone(zone).isoformat(timespec="seconds")
        return encode(
            {
                "event_id": f"evt-{len(self.events) + k:06d}",
                "type": kind,
                "customer_id": cid,
                "timestamp": stamp,
                "channel": channel,
                "payload": payload,
            }
        )


def encode(value: Any, key: str = "") -> str:
    """JSON with amounts written with exactly 2 decimals and coordinates with 4."""
    if isinstance(value, dict):
        items = [f"{json.dumps(k)}: {encode(v, k)}" for k, v in value.items() if k[0] != "_"]
        return "{" + ", ".join(items) + "}"
    if isinstance(value, float):
        return f"{value or 0.0:.4f}" if key in ("lat", "lon") else f"{value or 0.0:.2f}"
    return json.dumps(value)


def self_check(lines: list[str], late_ids: list[str]) -> None:
    counts: Counter[str] = Counter()
    seen: dict[str, tuple[int, str]] = {}
    transactions: set[str] = set()
    bad, duplicates, out_of_order = [], [], []
    newest = 0.0
    for number, text in enumerate(lines, 1):
        try:
            event = parse_event(text)
        except EventRejected as error:
            bad.append((number, error.rejection.code))
            continue
        if event.event_id in seen:
            assert seen[event.event_id][1] == text, "a re-used id must be an exact re-send"
            duplicates.append((seen[event.event_id][0], number, event.event_id))
            continue
        seen[event.event_id] = (number, text)
        kind = json.loads(text)["type"]
        counts[kind] += 1
        if kind == "transaction":
            transactions.add(event.event_id)
        if kind == "fraud_report":
            assert json.loads(text)["payload"]["transaction_event_id"] in transactions
        if event.epoch < newest:
            out_of_order.append((number, event.event_id, (newest - event.epoch) / 60))
        newest = max(newest, event.epoch)
    codes = ["malformed_json", "invalid_field", "unknown_field", "unknown_event_type"]
    assert [code for _, code in bad] == codes, bad
    assert len(duplicates) == 3 and len(counts) == 10, (duplicates, counts)
    assert sorted(i for _, i, _ in out_of_order) == sorted(late_ids), out_of_order
    print(f"{len(lines)} lines, {sum(counts.values())} valid events, by type:")
    for kind, count in sorted(counts.items()):
        print(f"  {kind:16} {count}")
    print("bad lines (line, code):", bad)
    print("duplicates (original line, re-send line, id):", duplicates)
    print("late (line, id, minutes behind the newest event already delivered):")
    for number, event_id, minutes in out_of_order:
        print(f"  {number:5} {event_id} {minutes:6.1f}")


def main() -> None:
    bank = Bank()
    lines = bank.generate()
    data = "".join(line + "\n" for line in lines).encode()
    OUT.write_bytes(data)
    self_check(OUT.read_text().splitlines(), [e["event_id"] for e in bank.events if "_late" in e])
    print(f"{OUT.name}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
