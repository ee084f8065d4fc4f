"""Credit limits and next-best-action mean what they say, and vulnerability acts on both."""

from __future__ import annotations

from typing import Any

from rapport import Engine
from tests.profiles.samples import at, event, salary


def statement(event_id: str, when: str, balance: float, limit: float = 3000.0) -> dict[str, Any]:
    payload = {"account_id": "a", "balance": balance, "credit_limit": limit, "minimum_due": 50.0}
    return event(event_id, "statement", payload, when)


def repayment(event_id: str, when: str, amount: float, days_late: int) -> dict[str, Any]:
    payload = {"account_id": "a", "amount": amount, "days_late": days_late}
    return event(event_id, "repayment", payload, when)


def good_payer(months: int = 4) -> list[dict[str, Any]]:
    """Regular pay, a well-used card repaid in full and on time."""
    events: list[dict[str, Any]] = []
    for m in range(months):
        events.append(salary(f"s{m}", at(30 * m), 4000.0, balance_after=6000.0))
        events.append(statement(f"st{m}", at(30 * m + 5), 2100.0))
        events.append(repayment(f"r{m}", at(30 * m + 20), 2100.0, -3))
    return events


def test_a_good_payer_using_the_card_gets_an_increase_within_affordability() -> None:
    engine = Engine("memory://")
    engine.ingest(good_payer())
    decision = engine.decide("credit_limit", "c1")
    assert decision.action == "increase"
    new_limit = decision.details["new_limit"]
    assert isinstance(new_limit, float)
    assert 3000.0 < new_limit <= 1.5 * 4000.0
    assert decision.score < 0.03


def test_a_vulnerable_customer_is_never_offered_a_credit_increase() -> None:
    engine = Engine("memory://")
    engine.ingest(good_payer())
    pages = [
        event(f"p{i}", "page_view", {"session_id": f"s{i}", "page": "/help/hardship"}, at(115, i))
        for i in range(6)
    ]
    engine.ingest(pages)
    assert engine.profile("c1").signals["vulnerability"].score >= 0.5
    decision = engine.decide("credit_limit", "c1")
    assert decision.action != "increase"
    increase = next(c for c in decision.candidates if c.action == "increase")
    assert not increase.eligible
    assert any(r.code == "GRD_VULNERABLE" for r in decision.reasons)


def test_every_decrease_carries_adverse_action_reasons() -> None:
    engine = Engine("memory://")
    events: list[dict[str, Any]] = []
    for m in range(4):
        events.append(statement(f"st{m}", at(30 * m + 5), 2950.0))
        events.append(repayment(f"r{m}", at(30 * m + 40), 50.0, 35))
    engine.ingest(events)
    engine.ingest(
        [event("d1", "credit_outcome", {"account_id": "a", "status": "delinquent"}, at(130))]
    )
    decision = engine.decide("credit_limit", "c1")
    assert decision.action == "decrease"
    assert 1 <= len(decision.reasons) <= 4
    assert all(r.code.startswith("ADV_") and r.text for r in decision.reasons)
    new_limit = decision.details["new_limit"]
    assert isinstance(new_limit, float)
    assert new_limit < 3000.0


def test_a_vulnerable_customer_gets_help_not_promotion() -> None:
    engine = Engine("memory://")
    engine.ingest(good_payer())
    engine.ingest(
        [
            event(
                f"p{i}", "page_view", {"session_id": f"s{i}", "page": "/help/hardship"}, at(115, i)
            )
            for i in range(6)
        ]
    )
    decision = engine.decide("next_best_action", "c1")
    promotional = {"savings-boost", "isa-investment", "travel-insurance", "card-upgrade"}
    assert decision.details.get("offer_id") not in promotional
    assert all(not c.eligible for c in decision.candidates if c.action in promotional)
    if decision.action == "offer":
        assert decision.details["offer_id"] in {"hardship-support", "budget-coach"}


def test_an_ordinary_customer_may_get_a_promotional_offer_with_its_expected_value() -> None:
    engine = Engine("memory://")
    engine.ingest(good_payer())
    decision = engine.decide("next_best_action", "c1")
    assert decision.action == "offer"
    assert decision.score >= 0.5
    eligible = [c for c in decision.candidates if c.eligible]
    assert eligible
    original, again = engine.replay(decision.decision_id)
    assert original.outcome() == again.outcome()
