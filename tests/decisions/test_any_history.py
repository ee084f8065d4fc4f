"""Any valid v1 history can be decided on: the decisions the policy triggers are taken, none
stops the stream, and each one replays exactly.

Data from outside the project is judged through the event contract; what the contract accepts
(a first event that is a login, a web payment with no device, a credit with no merchant), the
decision flow must take.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings

from rapport import Engine
from rapport.decisions.policy import load_policy
from tests.strategies import histories

TRIGGERS = load_policy().policy.triggers
"""Event type -> the kinds the default policy decides on it, in order."""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(max_events=40, customers=4))
def test_every_triggered_decision_is_taken_and_replays(history: list[dict[str, Any]]) -> None:
    lines = [json.dumps(event).encode() for event in history]
    with Engine("memory://") as engine:
        report, decisions = engine.ingest_and_decide(lines)
        assert report.accepted + report.duplicates + report.rejected == len(lines)
        expected = [(kind, e["event_id"]) for e in history for kind in TRIGGERS.get(e["type"], [])]
        assert [(d.kind, d.trigger_event_id) for d in decisions] == expected
        for decision in decisions:
            original, again = engine.replay(decision.decision_id)
            assert original.outcome() == again.outcome(), decision.decision_id


ON_REQUEST = {
    "credit_limit": {},
    "next_best_action": {},
    "communication": {"purpose": "marketing"},
    "pricing": {"product": "personal_loan"},
}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(max_events=30, customers=3))
def test_every_kind_decides_on_request_for_any_customer(history: list[dict[str, Any]]) -> None:
    with Engine("memory://") as engine:
        engine.ingest([json.dumps(event).encode() for event in history])
        customers = sorted({e["customer_id"] for e in history})
        for n, customer in enumerate(customers):
            for kind, context in ON_REQUEST.items():
                decision = engine.decide(kind, customer, request_id=f"r{n}-{kind}", context=context)
                assert decision.action
                original, again = engine.replay(decision.decision_id)
                assert original.outcome() == again.outcome(), (kind, customer)
