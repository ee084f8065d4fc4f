"""Small hand-written events of every v1 type, for tests that need one of each."""

from __future__ import annotations

import datetime as dt
from typing import Any

BASE = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def at(days: float = 0.0, hours: float = 0.0) -> str:
    return (BASE + dt.timedelta(days=days, hours=hours)).isoformat()


def event(
    event_id: str,
    kind: str,
    payload: dict[str, Any],
    when: str,
    customer: str = "c1",
    **envelope: Any,
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": kind,
        "customer_id": customer,
        "timestamp": when,
        "payload": payload,
        **envelope,
    }


def debit(
    event_id: str,
    when: str,
    amount: float,
    merchant: str = "m1",
    mcc: str = "5411",
    customer: str = "c1",
    **envelope: Any,
) -> dict[str, Any]:
    payload = {
        "amount": amount,
        "currency": "EUR",
        "direction": "debit",
        "merchant_id": merchant,
        "mcc": mcc,
    }
    return event(event_id, "transaction", payload, when, customer, **envelope)


def salary(
    event_id: str, when: str, amount: float = 3000.0, balance_after: float | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "amount": amount,
        "currency": "EUR",
        "direction": "credit",
        "category": "salary",
    }
    if balance_after is not None:
        payload["balance_after"] = balance_after
    return event(event_id, "transaction", payload, when)


def sample_events() -> list[dict[str, Any]]:
    """One or more events of every type, in time order."""
    paris = {"lat": 48.85, "lon": 2.35, "country": "FR"}
    return [
        event(
            "u1",
            "customer_update",
            {
                "attributes": {"declared_income": 52000, "products": "current,card"},
                "protected": {"sex": "female", "age": 41},
            },
            at(0),
        ),
        debit("t1", at(0, 1), 42.5, device_id="dev1", location=paris, channel="card_present"),
        {**salary("t2", at(1), balance_after=4200.0)},
        debit("t3", at(1, 3), 7.0, merchant="m2", mcc="7995", device_id="dev1"),
        event(
            "l1",
            "login",
            {"success": True, "auth_method": "biometric"},
            at(2),
            device_id="dev1",
            channel="mobile",
        ),
        event("l2", "login", {"success": False}, at(2, 1), device_id="dev2"),
        event(
            "p1",
            "page_view",
            {"session_id": "s1", "page": "/help/hardship", "dwell_ms": 30000},
            at(2, 2),
        ),
        event(
            "p2",
            "page_view",
            {"session_id": "s1", "page": "/loans/personal", "dwell_ms": 5000},
            at(2, 3),
        ),
        event(
            "p3",
            "page_view",
            {"session_id": "s1", "page": "/savings/isa", "dwell_ms": 8000},
            at(2, 4),
        ),
        event(
            "s1",
            "statement",
            {
                "account_id": "a1",
                "balance": 1200.0,
                "credit_limit": 3000.0,
                "minimum_due": 36.0,
                "due_date": "2026-03-25",
            },
            at(3),
        ),
        event("r1", "repayment", {"account_id": "a1", "amount": 36.0, "days_late": 12}, at(4)),
        event(
            "m1",
            "message_event",
            {"decision_id": "d1", "status": "delivered"},
            at(5),
            channel="email",
        ),
        event(
            "m2",
            "message_event",
            {"decision_id": "d1", "status": "opened"},
            at(5, 2),
            channel="email",
        ),
        event(
            "o1",
            "offer_response",
            {"decision_id": "d1", "offer_id": "savings", "response": "accepted"},
            at(5, 3),
        ),
        event("f1", "fraud_report", {"transaction_event_id": "t1", "is_fraud": True}, at(9)),
        event("co1", "credit_outcome", {"account_id": "a1", "status": "delinquent"}, at(10)),
        debit(
            "t4",
            at(10, 1),
            19.0,
            device_id="dev1",
            location={"lat": 40.71, "lon": -74.0, "country": "US"},
        ),
    ]
