"""Valid v1 events of every type, and helpers to build variants of them."""

from __future__ import annotations

import copy
import json
from typing import Any

Json = dict[str, Any]

BASE_TIME = "2026-03-02T09:15:00+01:00"

PAYLOADS: dict[str, Json] = {
    "transaction": {
        "amount": 42.5,
        "currency": "EUR",
        "direction": "debit",
        "merchant_id": "m-001",
        "mcc": "5411",
        "category": "groceries",
        "balance_after": 1250.75,
    },
    "login": {"success": True, "auth_method": "biometric"},
    "page_view": {"session_id": "s-1", "page": "/loans/overview", "dwell_ms": 5300},
    "statement": {
        "account_id": "acc-1",
        "balance": -320.0,
        "credit_limit": 2000.0,
        "minimum_due": 25.0,
        "due_date": "2026-03-25",
    },
    "repayment": {"account_id": "acc-1", "amount": 25.0, "due_date": "2026-03-25", "days_late": 0},
    "offer_response": {"decision_id": "dec-1", "offer_id": "savings-plus", "response": "accepted"},
    "message_event": {"decision_id": "dec-2", "status": "opened"},
    "fraud_report": {"transaction_event_id": "evt-transaction", "is_fraud": True},
    "credit_outcome": {"account_id": "acc-1", "status": "current", "decision_id": "dec-3"},
    "customer_update": {
        "attributes": {"declared_income": 52000, "products": "current,card", "vip": False},
        "protected": {"sex": "female", "age": 41},
    },
}

EVENT_TYPES: tuple[str, ...] = tuple(PAYLOADS)


def event(kind: str = "transaction", **envelope: Any) -> Json:
    """A valid event of type ``kind``; keyword arguments replace envelope fields."""
    out: Json = {
        "event_id": f"evt-{kind}",
        "type": kind,
        "customer_id": "cust-1",
        "timestamp": BASE_TIME,
        "channel": "mobile",
        "device_id": "dev-1",
        "location": {"lat": 48.8566, "lon": 2.3522, "country": "FR"},
        "payload": copy.deepcopy(PAYLOADS[kind]),
    }
    out.update(envelope)
    return out


def with_payload(kind: str = "transaction", **fields: Any) -> Json:
    """A valid event whose payload fields are replaced by ``fields``."""
    out = event(kind)
    out["payload"].update(fields)
    return out


def without(obj: Json, dotted: str) -> Json:
    """A deep copy of ``obj`` with the field at the dotted path removed."""
    out = copy.deepcopy(obj)
    *parents, leaf = dotted.split(".")
    target = out
    for name in parents:
        target = target[name]
    del target[leaf]
    return out


def line(obj: Json) -> str:
    """One JSON line, as a producer would send it."""
    return json.dumps(obj)
