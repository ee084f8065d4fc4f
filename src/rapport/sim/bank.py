"""The simulated bank: customers live day by day, and every consequence becomes a v1 event.

The engine is never imported here: the simulation talks to it only through the events it writes
and, in closed loop, the decisions a :class:`DecisionFunction` returns.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np

from rapport.sim import activity, credit, fraud, life, offers
from rapport.sim.config import SimConfig
from rapport.sim.emit import Event, EventStream
from rapport.sim.population import Customer, sample_population
from rapport.sim.truth import Truth
from rapport.sim.world import CATEGORY_INDEX, CITIES, build_merchants

TERMINAL_CATEGORIES = tuple(CATEGORY_INDEX[c] for c in ("groceries", "fuel", "dining", "retail"))


class CampaignPolicy:
    """Open loop: the bank's own untargeted campaign, a random offer on a random channel."""

    def __init__(self, seed: int, rate: float) -> None:
        self.rnd = random.Random(seed ^ 0x5EED)
        self.rate = rate
        self.count = 0

    def __call__(
        self, customer_id: str, trigger: str, day: int, hour: float
    ) -> offers.SimDecision | None:
        if self.rnd.random() >= self.rate:
            return None
        self.count += 1
        offer = self.rnd.choice(sorted(offers.OFFERS))
        channel = "in_app" if trigger == "login" else self.rnd.choice(("email", "sms", "push"))
        send_hour = hour if trigger == "login" else self.rnd.uniform(8, 21)
        return offers.SimDecision(f"sim-dec-{self.count:08d}", offer, channel, send_hour)


@dataclass
class _Pending:
    repayments: dict[tuple[int, int], tuple[int, float, dt.date]]  # (day, customer) -> plan
    dues: set[tuple[int, int]]  # (day after a due date, customer)
    reports: dict[int, list[tuple[int, Event, bool]]]


def _drain(buffer: io.BytesIO) -> list[bytes]:
    lines = buffer.getvalue().splitlines()
    buffer.seek(0)
    buffer.truncate()
    return lines


class SimulatedBank:
    """Runs the world for ``config.days`` days, writing events and keeping the truth."""

    def __init__(self, config: SimConfig, decide: offers.DecisionFunction | None = None) -> None:
        self.config = config
        self.np_rng = np.random.default_rng(config.seed)
        self.rnd = random.Random(config.seed)
        self.customers = sample_population(self.np_rng, config.customers)
        total_merchants = config.merchants or max(60, config.customers // 3)
        self.merchants = build_merchants(self.np_rng, total_merchants)
        self.life_plan = life.plan_life_events(
            self.rnd, self.customers, config.days, config.life_event_rate
        )
        self.decide: offers.DecisionFunction = decide or CampaignPolicy(
            config.seed, config.campaign_rate
        )
        self.truth = Truth()
        self.truth.describe(self.customers)
        self.compromised: dict[str, int] = {}  # merchant -> last compromised day
        self.unemployed_since: dict[int, int] = {}
        self.pending = _Pending({}, set(), {})
        self.transactions = 0
        self.written = 0

    def run(self, out: IO[bytes], on_day: Callable[[int], None] | None = None) -> int:
        """Simulate every day, writing events to ``out``; returns how many were written."""
        for day, lines in self.days():
            if lines:
                out.write(b"\n".join(lines) + b"\n")
            if on_day is not None and day >= 0:
                on_day(day)
        return self.written

    def days(self) -> Iterator[tuple[int, list[bytes]]]:
        """Step day by day, yielding the JSON lines each day makes final (time-ordered).

        Closed loop: feed each day's lines to the engine before the next day, and the decision
        function's answers on that day can rest on everything up to it. The last item (day -1)
        holds the events still buffered when the simulation ends.
        """
        buffer = io.BytesIO()
        stream = EventStream(self.config.start, buffer, max(c[4] for c in CITIES))
        for customer in self.customers:
            self._introduce(stream, customer)
        for day in range(self.config.days):
            stream.open_day(day)
            self.step(stream, day)
            stream.close_day()
            yield day, _drain(buffer)
        stream.finish()
        self.written = stream.written
        self.transactions = stream.counts.get("transaction", 0)
        for record in (*self.truth.fraud, *self.truth.disputes):
            event = record.pop("event")
            record["event_id"] = event["event_id"]
            record["amount"] = event["payload"]["amount"]
        yield -1, _drain(buffer)

    def _introduce(self, stream: EventStream, customer: Customer) -> None:
        stream.add(
            customer.customer_id,
            "customer_update",
            60.0 + customer.index % 3000,
            customer.offset_hours,
            {
                "attributes": {
                    "declared_income": round(customer.annual_income, -2),
                    "products": "current,card" if customer.has_card else "current",
                    "residence_country": CITIES[customer.city][3],
                },
                "protected": {"age": customer.age, "sex": customer.sex},
            },
        )

    def step(self, stream: EventStream, day: int) -> None:
        """One day of the whole bank."""
        config, rnd = self.config, self.rnd
        date = config.start + dt.timedelta(days=day)
        weekend = date.weekday() >= 5
        for change in self.life_plan.get(day, ()):
            customer = self.customers[change.customer]
            life.apply(change, customer, rnd)
            if change.kind == "income_shock":
                self.unemployed_since[customer.index] = day
            self.truth.life_events.append(
                {
                    "customer_id": customer.customer_id,
                    "kind": change.kind,
                    "day": day,
                    "date": date.isoformat(),
                }
            )
        self._compromise_terminals(day)
        rates = np.array([c.spend_rate * (1.15 if weekend else 1.0) for c in self.customers])
        spend_counts = self.np_rng.poisson(rates)
        login_rates = np.array([c.logins_per_day * (1 + c.stress) for c in self.customers])
        login_counts = self.np_rng.poisson(login_rates)
        for customer in self.customers:
            life.update_stress(customer, day - self.unemployed_since.get(customer.index, day))
            activity.pay(rnd, stream, customer, day, date.day)
            present = activity.spend(
                rnd, stream, customer, self.merchants, int(spend_counts[customer.index])
            )
            for merchant, event in present:
                if self.compromised.get(merchant, -1) >= day:
                    self._label(day, customer, "compromised_terminal", event)
                elif rnd.random() < fraud.DISPUTE_RATE:
                    self._dispute(day, customer, event)
            moments = activity.browse(rnd, stream, customer, day, int(login_counts[customer.index]))
            if moments:
                self._offer(stream, customer, day, "login", moments[0] / 3600.0)
            self._offer(stream, customer, day, "campaign", 0.0)
            self._credit(stream, customer, day, date)
            self._fraud(stream, customer, day)
        self._reports(stream, day)

    def _compromise_terminals(self, day: int) -> None:
        rnd = self.rnd
        for category in TERMINAL_CATEGORIES:
            for merchant in self.merchants.ids[category]:
                if rnd.random() < self.config.terminal_compromise_rate:
                    self.compromised[merchant] = day + rnd.randint(2, 6)

    def _label(self, day: int, customer: Customer, pattern: str, event: Event) -> None:
        case = fraud.FraudCase(customer.index, pattern, day, event)
        self._schedule_report(case)

    def _schedule_report(self, case: fraud.FraudCase) -> None:
        record: dict[str, object] = {
            "customer_id": self.customers[case.customer].customer_id,
            "pattern": case.pattern,
            "day": case.day,
            "event": case.event,
        }
        if self.rnd.random() < fraud.REPORTED_SHARE:
            report = fraud.report_day(self.rnd, case.day, self.config.fraud_report_delay_days)
            record["report_day"] = report
            self.pending.reports.setdefault(report, []).append((case.customer, case.event, True))
        self.truth.fraud.append(record)

    def _dispute(self, day: int, customer: Customer, event: Event) -> None:
        report = day + self.rnd.randint(2, 10)
        self.pending.reports.setdefault(report, []).append((customer.index, event, False))
        self.truth.disputes.append(
            {"customer_id": customer.customer_id, "day": day, "event": event}
        )

    def _fraud(self, stream: EventStream, customer: Customer, day: int) -> None:
        config, rnd = self.config, self.rnd
        cases: list[fraud.FraudCase] = []
        if rnd.random() < config.card_fraud_rate:
            cases = fraud.compromised_card(rnd, stream, customer, self.merchants, day)
        elif rnd.random() < config.card_testing_rate:
            cases = fraud.card_testing(rnd, stream, customer, self.merchants, day)
        elif rnd.random() < config.takeover_rate:
            cases = fraud.account_takeover(rnd, stream, customer, day)
        for case in cases:
            self._schedule_report(case)

    def _reports(self, stream: EventStream, day: int) -> None:
        for index, event, is_fraud in self.pending.reports.pop(day, ()):
            customer = self.customers[index]
            stream.add(
                customer.customer_id,
                "fraud_report",
                self.rnd.uniform(9, 17) * 3600,
                customer.offset_hours,
                {"transaction_event_id": event["event_id"], "is_fraud": is_fraud},
                channel="phone",
            )

    def _credit(self, stream: EventStream, customer: Customer, day: int, date: dt.date) -> None:
        if not customer.has_card or customer.defaulted:
            return
        rnd = self.rnd
        if rnd.random() < credit.default_hazard(customer):
            customer.defaulted = True
            credit.outcome(stream, customer, "default")
            self.truth.defaults.append({"customer_id": customer.customer_id, "day": day})
            return
        key = (day, customer.index)
        if date.day == credit.statement_day(customer):
            credit.statement(stream, customer, day, date)
            plan = credit.plan_repayment(rnd, customer)
            due_date = date + dt.timedelta(days=credit.DUE_IN_DAYS)
            if plan is not None:
                days_late, amount = plan
                self.pending.repayments[(customer.last_due + days_late, customer.index)] = (
                    days_late,
                    amount,
                    due_date,
                )
            if customer.minimum_due > 0:
                self.pending.dues.add((customer.last_due + 1, customer.index))
        planned = self.pending.repayments.pop(key, None)
        if planned is not None:
            days_late, amount, due_date = planned
            credit.repay(stream, rnd, customer, days_late, amount, due_date)
            self.truth.repayments.append(
                {
                    "customer_id": customer.customer_id,
                    "day": day,
                    "days_late": days_late,
                    "stress": round(customer.stress, 4),
                }
            )
        if key in self.pending.dues:
            self.pending.dues.discard(key)
            late = customer.minimum_due > 0  # still unpaid the day after it fell due
            customer.missed_payments = customer.missed_payments + 1 if late else 0
            credit.outcome(stream, customer, "delinquent" if late else "current")

    def _offer(
        self, stream: EventStream, customer: Customer, day: int, trigger: str, hour: float
    ) -> None:
        decision = self.decide(customer.customer_id, trigger, day, hour)
        if decision is None or decision.offer_id is None:
            return
        channel = decision.channel
        if channel in customer.unsubscribed:
            return
        rnd = self.rnd
        send_hour = decision.send_hour if decision.send_hour is not None else hour
        every = offers.all_offers(customer, channel, send_hour, day)
        probability = every[decision.offer_id]
        best = max(sorted(every), key=every.__getitem__)
        customer.contacts.append(day)
        customer.contacts[:] = [d for d in customer.contacts if day - d < 14]
        second = send_hour * 3600.0
        envelope = {"channel": "mobile" if channel == "in_app" else channel}
        opened = rnd.random() < offers.open_probability(customer, channel, day)
        if channel != "in_app":
            stream.add(
                customer.customer_id,
                "message_event",
                second,
                customer.offset_hours,
                {"decision_id": decision.decision_id, "status": "delivered"},
                **envelope,
            )
            if rnd.random() < offers.unsubscribe_probability(customer, day):
                customer.unsubscribed.add(channel)
                stream.add(
                    customer.customer_id,
                    "message_event",
                    second + 600,
                    customer.offset_hours,
                    {"decision_id": decision.decision_id, "status": "unsubscribed"},
                    **envelope,
                )
                opened = False
            elif opened:
                latency = 60 + rnd.expovariate(1 / 5400.0)
                stream.add(
                    customer.customer_id,
                    "message_event",
                    second + latency,
                    customer.offset_hours,
                    {"decision_id": decision.decision_id, "status": "opened"},
                    **envelope,
                )
                second += latency
        accepted = opened and rnd.random() < probability
        response = (
            "accepted" if accepted else ("declined" if opened and rnd.random() < 0.5 else "ignored")
        )
        stream.add(
            customer.customer_id,
            "offer_response",
            second + 60 + rnd.expovariate(1 / 300.0),
            customer.offset_hours,
            {
                "decision_id": decision.decision_id,
                "offer_id": decision.offer_id,
                "response": response,
            },
            **envelope,
        )
        self.truth.decisions.append(
            {
                "decision_id": decision.decision_id,
                "customer_id": customer.customer_id,
                "day": day,
                "trigger": trigger,
                "offer_id": decision.offer_id,
                "channel": channel,
                "send_hour": round(send_hour, 3),
                "p_accept": round(probability, 6),
                "best_offer": best,
                "best_p_accept": round(every[best], 6),
                "p_accept_by_offer": {o: round(p, 6) for o, p in sorted(every.items())},
                "accepted": accepted,
            }
        )
