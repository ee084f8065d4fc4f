"""A customer's very first event triggers decisions like any other.

A bank's feed can open a customer's history with a login or a card payment, not an onboarding
record; the decisions it triggers read the signals of an empty profile (and the rules' arithmetic
over them must not meet nulls).
"""

from __future__ import annotations

import json

from rapport import Engine
from rapport.signals import SIGNALS
from tests.events.samples import event

# A login opens the first customer's history; a card payment the second's.
LOGIN = event("login", event_id="first-login", customer_id="cust-new")
PAYMENT = event("transaction", event_id="first-payment", customer_id="cust-new-2")


def test_a_first_login_gets_a_next_best_action_over_numeric_signals() -> None:
    with Engine("memory://") as engine:
        (decision,) = engine.decide_event(json.dumps(LOGIN).encode())
        assert decision.kind == "next_best_action"
        signals = {k: v for k, v in decision.inputs.items() if k.startswith("signals.")}
        assert signals, "the default policy's offers read signals"
        assert all(isinstance(v, float) for v in signals.values()), signals
        assert set(signals) <= {f"signals.{s.name}" for s in SIGNALS}
        original, again = engine.replay(decision.decision_id)
        assert original.outcome() == again.outcome()


def test_a_first_payment_is_screened_and_the_history_then_replays() -> None:
    with Engine("memory://") as engine:
        report, decisions = engine.ingest_and_decide(
            [json.dumps(PAYMENT).encode(), json.dumps(LOGIN).encode()]
        )
        assert report.accepted == 2
        assert [d.kind for d in decisions] == ["fraud", "next_best_action"]
        assert all(d.action for d in decisions)
