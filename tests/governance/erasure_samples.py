"""Histories for the erasure tests: a customer whose identifiers are unmistakable in raw bytes."""

from __future__ import annotations

from typing import Any

from tests.profiles.samples import at, debit, event

# Distinctive enough that finding one in a store file can only mean it was kept.
ERASED = "zq-erasable-7731"
DEVICE = "zq-phone-5521"
ACCOUNT = "zq-acct-9911"
SESSION = "zq-session-4410"
EVENT_PREFIX = "zq-evt-"
PERSONAL = (ERASED, DEVICE, ACCOUNT, SESSION, EVENT_PREFIX)
HOME = {"lat": 48.85, "lon": 2.35, "country": "FR"}


def history(customer: str, prefix: str, device: str, account: str, session: str) -> list[Any]:
    """About six weeks of a customer's life that triggers every kind of event-driven decision."""
    events: list[Any] = [
        event(
            f"{prefix}u1",
            "customer_update",
            {"attributes": {"declared_income": 41000}, "protected": {"sex": "female", "age": 37}},
            at(0),
            customer=customer,
        )
    ]
    for day in range(1, 40):
        events.append(
            debit(
                f"{prefix}t{day}",
                at(day, 2),
                25.0 + day % 9,
                merchant=f"shop-{day % 4}",
                customer=customer,
                device_id=device,
                location=HOME,
            )
        )
        if day % 7 == 0:
            events.append(
                event(
                    f"{prefix}l{day}",
                    "login",
                    {"success": True},
                    at(day, 3),
                    customer=customer,
                    device_id=device,
                    channel="mobile",
                )
            )
            events.append(
                event(
                    f"{prefix}p{day}",
                    "page_view",
                    {"session_id": session, "page": "/help/hardship", "dwell_ms": 9000},
                    at(day, 4),
                    customer=customer,
                )
            )
    events.append(
        event(
            f"{prefix}s1",
            "statement",
            {"account_id": account, "balance": 900.0, "credit_limit": 3000.0},
            at(30),
            customer=customer,
        )
    )
    events.append(
        event(
            f"{prefix}f1",
            "fraud_report",
            {"transaction_event_id": f"{prefix}t5", "is_fraud": False},
            at(35),
            customer=customer,
        )
    )
    # An outcome naming a decision that does not exist: the outcome join reports it.
    events.append(
        event(
            f"{prefix}o1",
            "offer_response",
            {"decision_id": "dec-none", "offer_id": "savings", "response": "declined"},
            at(36),
            customer=customer,
        )
    )
    return sorted(events, key=lambda e: str(e["timestamp"]))


def erased_history() -> list[Any]:
    return history(ERASED, EVENT_PREFIX, DEVICE, ACCOUNT, SESSION)


def other_history() -> list[Any]:
    return history("c-kept", "kept-", "kept-phone", "kept-acct", "kept-session")


def bad_events() -> list[Any]:
    """Rejected input that names the customer: it lands in the dead letters in clear."""
    return [
        '{"event_id": "zq-evt-bad1", "type": "transaction", "customer_id": "' + ERASED + '"',
        {
            "event_id": "zq-evt-bad2",
            "type": "transaction",
            "customer_id": ERASED,
            "timestamp": at(41),
            "payload": {"amount": -3, "currency": "EUR", "direction": "debit"},
            "device_id": DEVICE,
        },
    ]
