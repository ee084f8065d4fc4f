"""Hypothesis strategies for valid v1 event histories."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ZONES = [dt.timezone(dt.timedelta(hours=h)) for h in (-5, 0, 1, 2, 9)]
MCCS = ["5411", "5812", "5541", "4111", "5311", "7995", "6011", "4829", "4511", "5912"]
PAGES = ["/home", "/cards", "/help/hardship", "/loans/personal", "/savings", "/help/debt-advice"]
CHANNELS = ["card_present", "online", "mobile", "web", "email", "sms", "push"]
PLACES = [(48.85, 2.35, "FR"), (52.52, 13.40, "DE"), (40.71, -74.0, "US"), (51.5, -0.12, "GB")]

Event = dict[str, Any]


def _common(draw: st.DrawFn, index: int, when: dt.datetime, customers: int, devices: int) -> Event:
    event: Event = {
        "event_id": f"e{index:05d}",
        "customer_id": f"c{draw(st.integers(0, customers - 1))}",
        "timestamp": when.astimezone(draw(st.sampled_from(ZONES))).isoformat(),
    }
    if draw(st.booleans()):
        event["channel"] = draw(st.sampled_from(CHANNELS))
    if draw(st.integers(0, 2)) == 0:
        event["device_id"] = f"d{draw(st.integers(0, devices - 1))}"
    if draw(st.integers(0, 2)) == 0:
        lat, lon, country = draw(st.sampled_from(PLACES))
        event["location"] = {"lat": lat, "lon": lon, "country": country}
    return event


amounts = st.floats(min_value=0.01, max_value=20_000, allow_nan=False, allow_infinity=False)


@st.composite
def histories(
    draw: st.DrawFn,
    max_events: int = 60,
    customers: int = 3,
    merchants: int = 5,
    devices: int = 3,
    fraud_delay_seconds: float = 4 * 86400,
) -> list[Event]:
    """A time-ordered history with distinct timestamps.

    Fraud reports come at least ``fraud_delay_seconds`` after their transaction, as they do in
    practice (a report names a transaction the bank has already seen).
    """
    count = draw(st.integers(1, max_events))
    gaps = draw(st.lists(st.integers(1, 3 * 86400), min_size=count, max_size=count))
    events: list[Event] = []
    when = START
    transactions: list[tuple[str, str, dt.datetime]] = []
    for index, gap in enumerate(gaps):
        when += dt.timedelta(seconds=gap)
        event = _common(draw, index, when, customers, devices)
        kind = draw(
            st.sampled_from(
                ["transaction"] * 6
                + ["login", "page_view", "statement", "repayment", "offer_response"]
                + ["message_event", "customer_update", "credit_outcome", "fraud_report"]
            )
        )
        reportable = [
            t for t in transactions if (when - t[2]).total_seconds() >= fraud_delay_seconds
        ]
        if kind == "fraud_report" and not reportable:
            kind = "login"
        event["type"] = kind
        event["payload"] = _payload(draw, kind, merchants, reportable, event)
        if kind == "transaction":
            transactions.append((event["event_id"], event["customer_id"], when))
        events.append(event)
    return events


def _payload(
    draw: st.DrawFn,
    kind: str,
    merchants: int,
    reportable: list[tuple[str, str, dt.datetime]],
    event: Event,
) -> dict[str, Any]:
    if kind == "transaction":
        debit = draw(st.integers(0, 4)) > 0
        payload: dict[str, Any] = {
            "amount": round(draw(amounts), 2) or 0.01,
            "currency": "EUR",
            "direction": "debit" if debit else "credit",
            "balance_after": round(draw(st.floats(-5_000, 50_000)), 2),
        }
        if debit:
            payload["merchant_id"] = f"m{draw(st.integers(0, merchants - 1))}"
            payload["mcc"] = draw(st.sampled_from(MCCS))
        elif draw(st.booleans()):
            payload["category"] = "salary"
            payload["counterparty"] = "employer-1"
        return payload
    if kind == "login":
        return {"success": draw(st.integers(0, 5)) > 0}
    if kind == "page_view":
        return {
            "session_id": f"s{draw(st.integers(0, 4))}",
            "page": draw(st.sampled_from(PAGES)),
            "dwell_ms": draw(st.integers(0, 600_000)),
        }
    if kind == "statement":
        return {
            "account_id": "acc-1",
            "balance": round(draw(st.floats(0, 9_000)), 2),
            "credit_limit": 5_000.0,
            "minimum_due": 50.0,
        }
    if kind == "repayment":
        return {
            "account_id": "acc-1",
            "amount": round(draw(st.floats(10, 2_000)), 2),
            "days_late": draw(st.integers(-5, 60)),
        }
    if kind == "offer_response":
        return {
            "decision_id": f"dec-{draw(st.integers(0, 3))}",
            "offer_id": "savings",
            "response": draw(st.sampled_from(["accepted", "declined", "ignored", "clicked"])),
        }
    if kind == "message_event":
        return {
            "decision_id": f"dec-{draw(st.integers(0, 3))}",
            "status": draw(st.sampled_from(["delivered", "opened", "clicked", "unsubscribed"])),
        }
    if kind == "customer_update":
        return {
            "attributes": {"declared_income": draw(st.integers(0, 200_000)), "products": "a,b"},
            "protected": {"age": 40},
        }
    if kind == "credit_outcome":
        return {
            "account_id": "acc-1",
            "status": draw(st.sampled_from(["current", "delinquent", "default"])),
        }
    transaction_id, customer_id, _ = draw(st.sampled_from(reportable))
    event["customer_id"] = customer_id
    return {"transaction_event_id": transaction_id, "is_fraud": draw(st.booleans())}


@st.composite
def late_arrivals(draw: st.DrawFn, events: list[Event], lateness_seconds: float) -> list[Event]:
    """The same events in an arrival order where each is delayed by at most the lateness bound."""
    keyed = []
    for position, event in enumerate(events):
        delay = draw(st.floats(0, lateness_seconds, allow_nan=False))
        arrival = dt.datetime.fromisoformat(event["timestamp"]).timestamp() + delay
        keyed.append((arrival, position, event))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in keyed]
