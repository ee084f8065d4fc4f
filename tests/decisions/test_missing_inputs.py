"""A rule over a missing input is unknown, as in SQL: it does not hold, and it stops nothing.

zen-engine refuses arithmetic and comparisons on null; inputs are legitimately missing (a
payment made on the web without a device id has no device features).
"""

from __future__ import annotations

import json

import pytest

from rapport import Engine
from rapport.decisions.expressions import ExpressionError, evaluate
from tests.events.samples import event, without


@pytest.mark.parametrize(
    ("source", "context"),
    [
        ("device.device_age_days < 1", {"device": {"device_age_days": None}}),
        ("device.device_age_days < 1", {"device": {}}),
        ("device.device_age_days < 1", {}),
        ("0.05 + 0.4 * signals.financial_stress", {"signals": {"financial_stress": None}}),
        ("true and features.a > 1", {"features": {"a": None}}),
    ],
)
def test_a_rule_failing_over_a_missing_input_is_unknown(
    source: str, context: dict[str, dict[str, object]]
) -> None:
    assert evaluate(source, context) is None


def test_a_rule_that_fails_over_present_inputs_is_still_an_error() -> None:
    with pytest.raises(ExpressionError, match="Multiply"):
        evaluate("features.segment * 2", {"features": {"segment": "young"}})


def test_null_safe_rules_and_present_inputs_evaluate_as_before() -> None:
    assert evaluate("(signals.x ?? 0) >= 0.5", {"signals": {}}) is False
    assert evaluate("device.x == null", {"device": {"x": None}}) is True
    assert evaluate("features.a > 1", {"features": {"a": 2.0}}) is True


WEB_PAYMENT = without(
    event("transaction", event_id="web-1", customer_id="cust-web", channel="web"), "device_id"
)


def test_a_web_payment_without_a_device_is_screened() -> None:
    """The default policy steps up web payments from a day-old device; with no device at all
    the rule is unknown and does not fire, and the payment is still scored."""
    with Engine("memory://") as engine:
        engine.ingest([json.dumps({**WEB_PAYMENT, "event_id": "web-0"}).encode()])
        (decision,) = engine.decide_event(json.dumps(WEB_PAYMENT).encode())
        assert decision.kind == "fraud"
        assert decision.inputs["device.device_age_days"] is None
        assert "GRD_TAKEOVER_PATTERN" not in {r.code for r in decision.reasons}
        assert 0.0 <= decision.score <= 1.0
        original, again = engine.replay(decision.decision_id)
        assert original.outcome() == again.outcome()
