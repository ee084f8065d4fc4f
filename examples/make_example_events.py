"""Write ``examples/events.jsonl``: 90 days (from 2026-06-01) of a small bank, for the demo.

Run ``.venv/bin/python examples/make_example_events.py``. The output is the same bytes on every
run: one seeded ``random.Random``, no clock, no hash-ordered collections. 25 customers, about
6,800 events, every v1 event type. The stories the demo tells (day 0 is 2026-06-01):

| customer        | home       | story                                                          |
|-----------------|------------|----------------------------------------------------------------|
| cust-0001       | Munich     | steady and disciplined: monthly salary, card paid in full early|
| cust-0002       | Lyon       | job loss ~day 45: biweekly salary stops, balance dwindles,     |
|                 |            | repayments 5-35 days late, /help/hardship, /help/debt-advice   |
|                 |            | and /loans visits, night activity, accepts budget-coach        |
| cust-0003       | Amsterdam  | card compromised on day 60: within hours, high-amount online   |
|                 |            | purchases at new US merchants from a new device; fraud_report  |
|                 |            | is_fraud=true 2-5 days later (plus one is_fraud=false dispute) |
| cust-0004       | Manchester | gambling onset ~day 30: MCC 7995 spend ramps up, mostly at     |
|                 |            | night; the card balance climbs                                 |
| cust-0005       | London     | travels days 20-28: London -> Paris (train) -> Barcelona       |
|                 |            | (flight) -> London; card_present in GB, FR and ES              |
| cust-0006..0009 | Paris      | paid at the compromised terminal m-terminal-666 on days 50-55; |
|                 |            | fraud reports (is_fraud=true) follow 3-7 days later            |
| cust-0019       | Athens     | chronically late payer: delinquent, then default               |
| cust-0023/0024  | Chicago,   | US customers (USD, -05:00); the others are European (EUR or    |
|                 | Houston    | GBP, +01:00 to +03:00 summer time)                             |

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

from rapport.events import EventRejectedError, parse_event

SEED = 20260601
START = date(2026, 6, 1)
DAYS = 90
OUT = Path(__file__).with_name("events.jsonl")
Event = dict[str, Any]


def rows(table: str) -> list[list[str]]:
    return [row.split() for row in table.strip().splitlines()]


# city, lat, lon, country, currency, UTC offset (summer time)
CITIES = {
    name: (float(lat), float(lon), country, currency, int(offset))
    for name, lat, lon, country, currency, offset in rows("""
        London      51.5074   -0.1278  GB  GBP   1
        Manchester  53.4808   -2.2426  GB  GBP   1
        Edinburgh   55.9533   -3.1883  GB  GBP   1
        Dublin      53.3498   -6.2603  IE  EUR   1
        Lisbon      38.7223   -9.1393  PT  EUR   1
        Paris       48.8566    2.3522  FR  EUR   2
        Lyon        45.7640    4.8357  FR  EUR   2
        Berlin      52.5200   13.4050  DE  EUR   2
        Munich      48.1351   11.5820  DE  EUR   2
        Amsterdam   52.3676    4.9041  NL  EUR   2
        Brussels    50.8503    4.3517  BE  EUR   2
        Madrid      40.4168   -3.7038  ES  EUR   2
        Barcelona   41.3874    2.1686  ES  EUR   2
        Milan       45.4642    9.1900  IT  EUR   2
        Rome        41.9028   12.4964  IT  EUR   2
        Vienna      48.2082   16.3738  AT  EUR   2
        Helsinki    60.1699   24.9384  FI  EUR   3
        Athens      37.9838   23.7275  GR  EUR   3
        Chicago     41.8781  -87.6298  US  USD  -5
        Houston     29.7604  -95.3698  US  USD  -5
    """)
}
FX = {"EUR": 1.0, "GBP": 0.86, "USD": 1.08}  # units of the currency per euro
# mcc, merchant kind, category, median amount (EUR), log-spread, share of card spend, channel
MCC = {
    mcc: (kind, category, float(median), float(sigma), float(share), channel)
    for mcc, kind, category, median, sigma, share, channel in rows("""
        5411  grocer    groceries       32   0.6  30  card_present
        5812  resto     restaurants     26   0.5  15  card_present
        5541  fuel      fuel            55   0.3   7  card_present
        4111  transit   transport        4   0.7  12  card_present
        5311  store     retail          45   0.8  12  mixed
        5912  pharma    pharmacy        16   0.6   4  card_present
        6011  atm       cash            80   0.6   5  atm
        4829  remit     money_transfer 120   0.7   2  mobile
        7995  bet       gambling        20   0.8   0  mobile
        4511  airline   airlines       180   0.5   0  online
        7011  hotel     hotels         160   0.4   0  online
        4900  utility   utilities       75   0.4   0  online
        5732  electro   electronics    600   0.6   0  online
        5944  jewel     jewelry        900   0.5   0  online
    """)
}
# profile: (card purchases a day, shift of the daily rhythm in hours, overridden shares)
PROFILES: dict[str, tuple[float, int, dict[str, float]]] = {
    "steady": (1.1, 0, {}),
    "commuter": (1.5, -1, {"4111": 30, "5812": 18}),
    "foodie": (1.3, 1, {"5812": 35}),
    "family": (1.6, 0, {"5411": 45, "5912": 8, "5311": 18}),
    "nightowl": (1.2, 3, {"5812": 22, "5311": 16, "7995": 1}),
    "senior": (0.9, -2, {"5411": 40, "5912": 12, "4111": 6, "5541": 2}),
    "traveller": (1.2, 0, {"5812": 22, "4511": 1, "7011": 1}),
    "online": (1.2, 1, {"5311": 25}),
}
# relative activity by hour of the day
HOURS = [0.2, 0.1, 0.05, 0.05, 0.05, 0.2, 0.6, 1.5, 2, 1.8, 1.6, 1.8, 2.5, 2, 1.6, 1.6, 1.8, 2.4]
HOURS += [2.6, 2.2, 1.8, 1.4, 0.9, 0.5]
# page, weight in an ordinary session, weight in a session of a customer in hardship
PAGES = [
    (page, float(usual), float(hardship))
    for page, usual, hardship in rows("""
    /cards            15   2
    /savings          10   1
    /statements       12   5
    /payments         12   6
    /loans/personal    4  10
    /mortgage          3   0
    /help/hardship   0.5  12
    /help/debt-advice 0.3  9
""")
]
WAITS = {
    "delivered": (180, 6 * 3600),
    "opened": (10, 300),
    "clicked": (60, 1200),
    "unsubscribed": (0, 0),
}
OFFERS = {"savings-boost": 35, "card-upgrade": 25, "travel-insurance": 20, "budget-coach": 10}
EMPLOYERS = ["northwind", "contoso", "fabrikam", "globex", "initech", "brightwave", "tailspin"]
# cust-0005's trip: (day, home-local hour of arrival, city); the 3 hours before it are transit.
TRIP = [(20, 13, "Paris"), (24, 13, "Barcelona"), (28, 16, "London")]
TRIP_SPEND = [(20, 9.5, "5812", "London"), (20, 14, "7011", "Paris"), (24, 9.7, "5812", "Paris")]
TRIP_SPEND += [(24, 14.5, "7011", "Barcelona"), (28, 12.5, "5812", "Barcelona")]
TRIP_SPEND += [(28, 17.5, "4111", "London")]
TERMINAL = [("cust-0006", 50), ("cust-0007", 51), ("cust-0009", 52), ("cust-0008", 53)]
TERMINAL += [("cust-0006", 55)]
STOLEN = "5732:289.99 5732:649 5944:1180 5311:412.35 4829:950 5944:1475.5 5732:1299 4829:700"
# id, home, net pay, pay period (M: monthly on the given day; B: biweekly from the given day),
# sex, age, segment, profile, credit card limit
CUSTOMERS = """
    cust-0001  Munich      3850  M27  male    45  affluent  steady     8000
    cust-0002  Lyon        1850  B2   female  34  mass      steady     3000
    cust-0003  Amsterdam   3100  M25  female  29  mass      online     5000
    cust-0004  Manchester  2400  M28  male    27  mass      nightowl   2500
    cust-0005  London      4300  M27  female  38  affluent  traveller 10000
    cust-0006  Paris       2600  M28  male    31  mass      commuter   3000
    cust-0007  Paris       1900  B9   female  52  mass      family     4000
    cust-0008  Paris       5200  M30  male    47  affluent  foodie    12000
    cust-0009  Paris       2100  M25  female  24  mass      nightowl   1500
    cust-0010  Madrid      2300  M30  male    36  mass      family     3000
    cust-0011  Barcelona   2700  M28  female  41  mass      foodie     4000
    cust-0012  Milan       3300  M27  male    55  mass      commuter   5000
    cust-0013  Rome        2000  M27  female  63  mass      senior     2000
    cust-0014  Berlin      1950  B5   male    30  mass      nightowl   2500
    cust-0015  Vienna      3600  M25  female  44  affluent  family     7000
    cust-0016  Brussels    3000  M26  male    39  mass      commuter   4000
    cust-0017  Dublin      3500  M28  female  33  mass      foodie     5000
    cust-0018  Lisbon      1900  M25  male    28  mass      steady     2000
    cust-0019  Athens      1800  M30  male    50  mass      steady     2500
    cust-0020  Helsinki    3900  M15  female  37  affluent  steady     8000
    cust-0021  Edinburgh   2800  M28  male    42  mass      family     4000
    cust-0022  London      6500  M27  male    51  affluent  traveller 15000
    cust-0023  Chicago     2300  B12  female  35  mass      commuter   6000
    cust-0024  Houston     2600  B4   male    46  mass      family     5000
    cust-0025  Berlin      1800  M30  female  26  mass      online     1500
"""


@dataclass
class Customer:
    cid: str
    home: str
    pay: float
    period: str
    payday: int
    sex: str
    age: int
    segment: str
    profile: str
    limit: float
    devices: list[str] = field(default_factory=list)  # [phone] or [phone, laptop]
    ledger: list[tuple[datetime, int, float, Event | None]] = field(default_factory=list)
    purchases: list[Event] = field(default_factory=list)
    upgrade: tuple[datetime, str] | None = None  # accepted card upgrade: (when, decision id)
    sessions: int = 0

    @classmethod
    def parse(cls, row: list[str]) -> Customer:
        cid, home, pay, period, sex, age, segment, profile, limit = row
        args = (float(pay), period[0], int(period[1:]), sex, int(age), segment, profile)
        return cls(cid, home, *args, float(limit))

    @property
    def num(self) -> int:
        return int(self.cid[5:])

    @property
    def currency(self) -> str:
        return CITIES[self.home][3]

    @property
    def monthly(self) -> float:
        return self.pay * 26 / 12 if self.period == "B" else self.pay


class Bank:
    """Generates the history; every random draw goes through the one seeded ``rng``."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.events: list[Event] = []
        self.seq = 0
        self.customers = [Customer.parse(row) for row in rows(CUSTOMERS)]
        self.by_id = {c.cid: c for c in self.customers}
        for c in self.customers:
            c.devices = [self.device() for _ in range(1 if c.age < 30 else 2)]

    def device(self) -> str:
        return f"dev-{self.rng.getrandbits(24):06x}"

    def local(self, c: Customer, day: int, seconds: float) -> datetime:
        zone = timezone(timedelta(hours=CITIES[c.home][4]))
        midnight = datetime.combine(START + timedelta(days=day), time(), zone)
        return midnight + timedelta(seconds=seconds)

    def moment(self, c: Customer, day: int, night: bool = False) -> datetime:
        shift = PROFILES[c.profile][1]
        weights = [HOURS[(h - shift) % 24] + (1.5 if night and h < 5 else 0) for h in range(24)]
        hour = self.rng.choices(range(24), weights)[0]
        return self.local(c, day, hour * 3600 + self.rng.randrange(60, 3600))

    def where(self, c: Customer, t: datetime) -> str | None:
        """The city ``c`` is in at ``t``; None while in transit."""
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
        payload: Event,
        channel: str | None = None,
        *,
        city: str | None = None,
        **envelope: Any,
    ) -> Event:
        """Record one event (kept only inside the 90 days); ``city`` sets the time zone shown."""
        zone = timezone(timedelta(hours=CITIES[city or c.home][4]))
        stamp = t.astimezone(zone).isoformat(timespec="seconds")
        event: Event = dict(
            event_id="", type=kind, customer_id=c.cid, timestamp=stamp, channel=channel
        )
        event.update(envelope, payload=payload, _t=t, _seq=self.seq)
        self.seq += 1
        if t < self.local(c, DAYS, 0):
            self.events.append(event)
        return event

    def book(self, c: Customer, t: datetime, delta: float, payload: Event | None = None) -> None:
        """Move money on the current account; ``payload`` receives the balance after it."""
        c.ledger.append((t, self.seq, delta, payload))

    def amount(self, c: Customer, mcc: str, currency: str, factor: float) -> float:
        median, sigma = MCC[mcc][2:4]
        x = median * math.exp(self.rng.gauss(0, sigma)) * math.pow(c.monthly / 3000, 0.8) * factor
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
        amount: float = 0.0,
        merchant: str = "",
        currency: str = "",
        factor: float = 1.0,
        **envelope: Any,
    ) -> Event:
        """A debit card payment; merchant, amount, location and device are drawn when not given."""
        city = city or c.home
        kind, category = MCC[mcc][:2]
        present = channel in ("card_present", "atm")
        currency = currency or (CITIES[city][3] if present else c.currency)
        if not merchant:  # a few regular merchants at home; new ones online and abroad
            base = list(CITIES).index(city) * 20 if present and city == c.home else 500
            pick = c.num * 7 + self.rng.randrange(3 if present and city == c.home else 400)
            merchant = f"m-{kind}-{base + pick % (20 if base < 500 else 400):03d}"
        if present and "location" not in envelope:
            lat, lon, country = CITIES[city][:3]
            jitter = self.rng.uniform
            lat, lon = round(lat + jitter(-0.04, 0.04), 4), round(lon + jitter(-0.06, 0.06), 4)
            envelope["location"] = dict(lat=lat, lon=lon, country=country)
        elif channel == "online" and self.rng.random() < 0.3:
            envelope.setdefault("location", {"country": CITIES[city][2]})
        if channel in ("online", "mobile"):
            envelope.setdefault("device_id", c.devices[-1 if channel == "online" else 0])
        amount = amount or self.amount(c, mcc, currency, factor)
        payload = dict(amount=amount, currency=currency, direction="debit", merchant_id=merchant)
        payload.update(mcc=mcc, category=category)
        event = self.emit(c, t, "transaction", payload, channel, city=city, **envelope)
        self.book(c, t, -amount * FX[c.currency] / FX[currency], payload)
        c.purchases.append(event)
        return event

    def transfer(self, c: Customer, t: datetime, amount: float, category: str, party: str) -> None:
        direction = "credit" if category == "salary" else "debit"
        payload = dict(amount=round(amount, 2), currency=c.currency, direction=direction)
        payload.update(category=category, counterparty=party)
        self.emit(c, t, "transaction", payload)
        self.book(c, t, amount if direction == "credit" else -amount, payload)

    def onboarding(self, c: Customer) -> None:
        products = (
            "current,card" + ",savings" * (c.segment == "affluent") + ",mortgage" * (c.age > 40)
        )
        income = int(round(c.monthly * 12 / 0.72, -3))
        attributes = dict(declared_income=income, products=products, segment=c.segment)
        attributes["residence_country"] = CITIES[c.home][2]
        payload = dict(attributes=attributes, protected=dict(sex=c.sex, age=c.age))
        self.emit(c, self.local(c, 0, c.num), "customer_update", payload)

    def income_and_bills(self, c: Customer) -> None:
        monthly = [(date(2026, m, c.payday) - START).days for m in (6, 7, 8)]
        for payday in monthly if c.period == "M" else range(c.payday, DAYS, 14):
            day = payday - max(0, (START + timedelta(days=payday)).weekday() - 4)  # not weekends
            if not (c.cid == "cust-0002" and day > 45):  # cust-0002 loses the job
                t = self.local(c, day, 6 * 3600 + self.rng.randrange(3600))
                self.transfer(c, t, c.pay, "salary", f"employer-{EMPLOYERS[c.num % 7]}")
        for day in (0, 30, 61):
            housing = "mortgage" if c.age > 40 else "rent"
            t = self.local(c, day, 7 * 3600 + self.rng.randrange(600))
            self.transfer(c, t, round(c.monthly * 0.3), housing, f"{housing}-{c.num:04d}")
            t = self.local(c, day + 4, 8 * 3600 + self.rng.randrange(3600))
            utility = f"m-utility-{list(CITIES).index(c.home):03d}"
            self.purchase(c, t, "4900", "online", merchant=utility)

    def spending(self, c: Customer) -> None:
        rate, _, overrides = PROFILES[c.profile]
        codes = list(MCC)
        shares = [overrides.get(mcc, MCC[mcc][4]) for mcc in codes]
        for day in range(DAYS):
            factor = 0.6 if c.cid == "cust-0002" and day >= 45 else 1.0
            for _ in range(self.poisson(rate * factor)):
                t = self.moment(c, day, night=factor < 1)
                mcc = self.rng.choices(codes, shares)[0]
                channel = MCC[mcc][5]
                if channel == "mixed":
                    online = self.rng.random() < (0.6 if c.profile == "online" else 0.3)
                    channel = "online" if online else "card_present"
                city = self.where(c, t)
                if city is not None or channel in ("online", "mobile"):
                    self.purchase(c, t, mcc, channel, city=city, factor=factor)
            if c.cid == "cust-0004" and day >= 30:  # the gambling ramp, mostly at night
                ramp = (day - 30) / 60
                for _ in range(self.poisson(0.3 + 2.2 * ramp)):
                    hour = self.rng.choice([19, 20, 21, 22, 23, 23, 0, 1, 1, 2])
                    t = self.local(c, day, hour * 3600 + self.rng.randrange(3600))
                    channel, bookie = self.rng.choice(["online", "mobile"]), self.rng.randint(1, 3)
                    self.purchase(
                        c,
                        t,
                        "7995",
                        channel,
                        factor=0.6 + 1.6 * ramp,
                        merchant=f"m-bet-{bookie:03d}",
                    )

    def digital(self, c: Customer) -> None:
        for day in range(DAYS):
            broke = c.cid == "cust-0002" and day >= 45
            gambler = c.cid == "cust-0004" and day > 45
            rate = 1.5 if broke else 0.45 + 0.15 * (c.age < 35) + 0.4 * gambler
            for _ in range(self.poisson(rate)):
                self.session(c, self.moment(c, day, night=broke), broke)

    def session(self, c: Customer, t: datetime, broke: bool) -> None:
        """A login (after a failed attempt now and then) and a few page views."""
        mobile = len(c.devices) == 1 or self.rng.random() < 0.7
        channel, methods = (
            ("mobile", "biometric " * 7 + "password otp")
            if mobile
            else ("web", "password " * 7 + "otp otp")
        )
        where = dict(city=self.where(c, t) or c.home, device_id=c.devices[0 if mobile else -1])
        for success in [False] * (self.rng.random() < 0.05) + [True]:
            payload = dict(success=success, auth_method=self.rng.choice(methods.split()))
            self.emit(c, t, "login", payload, channel, **where)
            t += timedelta(seconds=self.rng.randint(5, 90))
        c.sessions += 1
        pages, weights = [p[0] for p in PAGES], [p[2] if broke else p[1] for p in PAGES]
        for n in range(self.rng.choice([0, 1, 1, 1, 2, 2, 3])):
            page = "/home" if n == 0 else self.rng.choices(pages, weights)[0]
            dwell = self.rng.randint(2000, 150_000 if "help" in page else 60_000)
            payload = dict(session_id=f"s-{c.num:04d}-{c.sessions:04d}", page=page, dwell_ms=dwell)
            self.emit(c, t, "page_view", payload, channel, **where)
            t += timedelta(milliseconds=dwell + self.rng.randint(300, 5000))

    def marketing(self, c: Customer) -> None:
        day, k, coached = self.rng.randint(2, 12), 0, False
        while day < DAYS:
            k += 1
            offer = self.rng.choices(list(OFFERS), list(OFFERS.values()))[0]
            forced = c.cid == "cust-0002" and day >= 48 and not coached
            coached |= forced
            if forced or (c.cid == "cust-0005" and k == 1):
                offer, forced = ("budget-coach" if forced else "travel-insurance"), True
            t = self.local(c, day, self.rng.randint(9 * 3600, 19 * 3600))
            self.campaign(c, t, f"dec-{c.num:04d}-{k:02d}", offer, forced)
            day += self.rng.randint(10, 20)

    def campaign(self, c: Customer, t: datetime, decision: str, offer: str, sure: bool) -> None:
        """A message (delivered, maybe opened, clicked) and the customer's answer to the offer."""
        channel = self.rng.choice(["email", "sms", "push"])
        where = {"device_id": c.devices[0]} if channel == "push" else {}
        funnel = ["delivered"]
        if sure or self.rng.random() < 0.55:
            funnel.append("opened")
            if channel == "email" and self.rng.random() < 0.04:
                funnel.append("unsubscribed")
            elif sure or self.rng.random() < 0.4:
                funnel.append("clicked")
        for status in funnel:
            payload = dict(decision_id=decision, status=status)
            self.emit(c, t, "message_event", payload, channel, **where)
            t += timedelta(seconds=self.rng.randint(*WAITS[status]))
        if funnel[-1] == "clicked":
            response = "accepted" if sure else self.rng.choice(["accepted", "declined", "clicked"])
            payload = dict(decision_id=decision, offer_id=offer, response=response)
            self.emit(c, t, "offer_response", payload, "mobile", device_id=c.devices[0])
            if offer == "card-upgrade" and response == "accepted" and c.upgrade is None:
                c.upgrade = (t, decision)
        elif len(funnel) == 1 and self.rng.random() < 0.6:  # the offer expires unanswered
            payload = dict(decision_id=decision, offer_id=offer, response="ignored")
            self.emit(c, t + timedelta(days=7), "offer_response", payload)

    def credit(self, c: Customer) -> None:
        """Monthly card statements, the repayments that follow and the resulting credit status."""
        account = f"acc-{c.cid}-cc"
        issue_day = {"cust-0002": 3, "cust-0019": 2}.get(c.cid, 2 + c.num * 7 % 24)
        usage = self.rng.uniform(0.1, 0.35)
        for month in (6, 7, 8):
            issued = date(2026, month, issue_day)
            t = self.local(c, (issued - START).days, 3 * 3600 + self.rng.randrange(1800))
            limit = c.limit + 2000 * bool(c.upgrade and c.upgrade[0] < t)
            stress = {"cust-0002": 0.3, "cust-0004": 0.25, "cust-0019": 0.5}.get(c.cid, 0.0)
            spent = c.monthly * usage * self.rng.uniform(0.85, 1.15) + limit * stress * (month - 5)
            balance = round(min(0.99 * limit, spent), 2)
            minimum, due = max(25.0, round(balance * 0.03, 2)), issued + timedelta(days=21)
            payload = dict(account_id=account, balance=balance, credit_limit=limit)
            payload.update(minimum_due=minimum, due_date=str(due))
            self.emit(c, t, "statement", payload)
            if c.cid == "cust-0001":
                plan = [(-self.rng.randint(2, 5), balance)]
            elif c.cid == "cust-0002":
                short = {7: [(9, minimum / 2), (28, minimum)], 8: [(5, minimum)]}  # after job loss
                plan = short.get(month, [(-1, balance)])
            elif c.cid == "cust-0019":
                plan = [(17, 30.0)] if month == 7 else []
            else:
                late = self.rng.random() < 0.07
                days_late = self.rng.randint(1, 6) if late else -self.rng.randint(0, 6)
                plan = [(days_late, self.rng.choice([balance, minimum, (balance + minimum) / 2]))]
            for days_late, amount in plan:
                day = (due - START).days + days_late
                t = self.local(c, day, self.rng.randint(8 * 3600, 21 * 3600))
                payload = dict(account_id=account, amount=round(amount, 2), due_date=str(due))
                payload["days_late"] = days_late
                self.emit(c, t, "repayment", payload, self.rng.choice(["mobile", "web"]))
                self.book(c, t, -amount)
            t = self.local(c, (due - START).days + 1, 4 * 3600)
            status = "current" if plan and plan[0][0] <= 0 else "delinquent"
            payload = dict(account_id=account, status=status)
            if c.cid == "cust-0019" and month == 8:
                payload["status"] = "default"
            if c.upgrade and c.upgrade[0] < t:
                payload["decision_id"] = c.upgrade[1]
            self.emit(c, t, "credit_outcome", payload)

    def stories(self) -> None:
        c2, c3, c5 = self.by_id["cust-0002"], self.by_id["cust-0003"], self.by_id["cust-0005"]
        news = dict(attributes=dict(employment_status="unemployed", declared_income=0))
        self.emit(c2, self.local(c2, 47, 20 * 3600), "customer_update", news, "web")
        # cust-0005 books a train and a flight, then travels (see TRIP).
        rail, flight = self.local(c5, 12, 21 * 3600), self.local(c5, 14, 20 * 3600)
        self.purchase(c5, rail, "4111", "online", amount=164.0, merchant="m-rail-001")
        self.purchase(c5, flight, "4511", "online", amount=212.4, merchant="m-airline-004")
        for day, hour, mcc, city in TRIP_SPEND:  # last payment before and first after each leg
            t = self.local(c5, day, hour * 3600 + self.rng.randrange(600))
            self.purchase(c5, t, mcc, "card_present", city=city, amount=MCC[mcc][2] * 2.5)
        # cust-0003's card details are used from a new device at new US merchants, within hours.
        t, stolen = self.local(c3, 60, 13 * 3600 + 300), []
        card: Event = dict(device_id=self.device(), location={"country": "US"})
        for n, item in enumerate(STOLEN.split()):
            mcc, price = item.split(":")
            shop = f"m-{MCC[mcc][0]}-{901 + n}"
            fraud = self.purchase(
                c3, t, mcc, "online", amount=float(price), merchant=shop, currency="USD", **card
            )
            stolen.append(fraud)
            t += timedelta(minutes=self.rng.randint(8, 40))
        genuine = max((e for e in c3.purchases if e["_t"] < stolen[0]["_t"]), key=lambda e: e["_t"])
        reported = self.local(c3, 60 + self.rng.randint(2, 5), self.rng.randint(9, 17) * 3600)
        for n, event in enumerate([*stolen, genuine]):
            self.report(event, reported + timedelta(minutes=2 * n), event is not genuine)
        # A compromised terminal in Paris; several customers' payments there turn out fraudulent.
        spot = dict(lat=48.8802, lon=2.3553, country="FR")
        for cid, day in TERMINAL:
            c = self.by_id[cid]
            t = self.local(c, day, self.rng.randint(8 * 3600, 20 * 3600))
            event = self.purchase(
                c, t, "5411", "card_present", merchant="m-terminal-666", location=spot
            )
            self.report(event, self.rng.randint(3, 7), True)
        for c in self.rng.sample(self.customers[9:], 5):  # ordinary disputes, found genuine
            event = self.rng.choice([e for e in c.purchases if e["payload"]["amount"] > 40])
            self.report(event, self.rng.randint(1, 10), False)

    def report(self, txn: Event, when: datetime | int, is_fraud: bool) -> None:
        """A fraud report on ``txn``: at ``when``, or in office hours ``when`` days after it."""
        c = self.by_id[txn["customer_id"]]
        if isinstance(when, int):
            day = (txn["_t"].date() - START).days + when
            when = self.local(c, day, self.rng.randint(9 * 3600, 18 * 3600))
        payload = dict(transaction_event_id="", is_fraud=is_fraud)  # the id is known once sorted
        event = self.emit(c, when, "fraud_report", payload, "phone")
        event["_ref"] = txn

    def bad_events(self) -> list[str]:
        """The 4 lines the dead-letter display shows; they never enter ``self.events``."""
        t, first = self.events[int(len(self.events) * 0.95)]["_t"], len(self.events)
        meal = dict(amount=23.8, currency="EUR", direction="debit", merchant_id="m-resto-261")
        login = dict(success=True, auth_method="password", ip_address="203.0.113.7")
        chargeback = dict(transaction_event_id="evt-000412", amount=89.9)
        for cid, kind, payload, channel in [
            ("cust-0012", "transaction", meal, "card_present"),
            ("cust-0018", "transaction", {**meal, "amount": -42.1}, "online"),
            ("cust-0021", "login", login, "web"),
            ("cust-0015", "chargeback", chargeback, "phone"),
        ]:
            t += timedelta(minutes=9)
            self.emit(self.by_id[cid], t, kind, payload, channel)
        extra = self.events[first:]
        bad = [encode({**e, "event_id": f"evt-{first + n:06d}"}) for n, e in enumerate(extra, 1)]
        del self.events[first:]
        return [bad[0][:150], *bad[1:]]  # the first one was cut off mid-write

    def generate(self) -> tuple[list[str], dict[str, timedelta]]:
        for c in self.customers:
            self.onboarding(c)
            self.income_and_bills(c)
            self.spending(c)
            self.digital(c)
            self.marketing(c)
            self.credit(c)
        self.stories()
        for c in self.customers:
            start = {"cust-0002": 0.6, "cust-0019": 0.2}.get(c.cid, self.rng.uniform(0.6, 2.0))
            balance = c.monthly * start
            for _, _, delta, payload in sorted(c.ledger, key=lambda entry: entry[:2]):
                balance += delta
                if payload is not None:
                    payload["balance_after"] = round(balance, 2)
        self.events.sort(key=lambda e: (e["_t"], e["_seq"]))
        for n, event in enumerate(self.events, 1):
            event["event_id"] = f"evt-{n:06d}"
        for event in self.events:
            if "_ref" in event:
                event["payload"]["transaction_event_id"] = event["_ref"]["event_id"]
        late: dict[str, timedelta] = {}
        while len(late) < 20:  # delivered late: overtaken by at least the next event
            i = self.rng.randrange(len(self.events) - 1)
            event, delay = self.events[i], timedelta(seconds=self.rng.randint(300, 7200))
            t, after = event["_t"], self.events[i + 1]["_t"]
            if event["type"] in ("transaction", "login", "page_view") and t < after < t + delay:
                late[event["event_id"]] = event["_late"] = delay
        self.events.sort(key=lambda e: (e["_t"] + e.get("_late", timedelta()), e["_seq"]))
        lines = [encode(e) for e in self.events]
        for fraction in (0.23, 0.51, 0.78):  # a producer re-sends a line it thinks was lost
            i = int(len(lines) * fraction)
            lines.insert(i + self.rng.randint(3, 40), lines[i])
        for fraction, bad in zip((0.93, 0.955, 0.975, 0.99), self.bad_events(), strict=True):
            lines.insert(int(len(lines) * fraction), bad)
        return lines, late


def encode(value: Any, key: str = "") -> str:
    """JSON with amounts written with exactly 2 decimals and coordinates with 4."""
    if isinstance(value, dict):
        items = [f"{json.dumps(k)}: {encode(v, k)}" for k, v in value.items() if k[0] != "_"]
        return "{" + ", ".join(item for item in items if not item.endswith(": null")) + "}"
    if isinstance(value, float):
        return f"{value or 0.0:.4f}" if key in ("lat", "lon") else f"{value or 0.0:.2f}"
    return json.dumps(value)


def self_check(lines: list[str], late: dict[str, timedelta]) -> None:
    """Every line but the 4 bad ones passes the contract; print what the file holds."""
    counts: Counter[str] = Counter()
    seen: dict[str, tuple[int, str]] = {}
    bad, duplicates, overtaken, newest = [], [], [], 0.0
    for number, text in enumerate(lines, 1):
        try:
            event = parse_event(text)
        except EventRejectedError as error:
            bad.append((number, error.rejection.code))
            continue
        if event.event_id in seen:
            assert seen[event.event_id][1] == text, f"line {number}: re-used id, different event"
            duplicates.append((seen[event.event_id][0], number, event.event_id))
            continue
        seen[event.event_id] = (number, text)
        raw = json.loads(text)
        counts[raw["type"]] += 1
        if raw["type"] == "fraud_report":  # must refer to an earlier transaction
            earlier = seen[raw["payload"]["transaction_event_id"]][1]
            assert json.loads(earlier)["type"] == "transaction", number
        if event.epoch < newest:
            overtaken.append((number, event.event_id))
        newest = max(newest, event.epoch)
    codes = ["malformed_json", "invalid_field", "unknown_field", "unknown_event_type"]
    assert [code for _, code in bad] == codes, bad
    assert len(duplicates) == 3, duplicates
    assert len(counts) == 10, counts
    assert sorted(event_id for _, event_id in overtaken) == sorted(late), overtaken
    print(f"{len(lines)} lines, {sum(counts.values())} distinct valid events:")
    for kind, count in sorted(counts.items()):
        print(f"  {kind:16} {count:5}")
    print("bad lines (line, rejection):", bad)
    print("duplicate re-sends (original line, re-sent line, event id):", duplicates)
    print("late deliveries (line, event id, delay):")
    for number, event_id in overtaken:
        print(f"  {number:5}  {event_id}  {late[event_id].seconds / 60:5.1f} min")


def main() -> None:
    lines, late = Bank().generate()
    data = "".join(line + "\n" for line in lines).encode()
    OUT.write_bytes(data)
    self_check(OUT.read_text().splitlines(), late)
    print(f"{OUT.name}: {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
