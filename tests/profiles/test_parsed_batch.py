"""What ``parse_batch`` gathers while it parses (ids, merchants, fraud reports' transactions,
candidates by class) is what one-purpose comprehensions find in its candidates afterwards."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.events.model import EVENT_TYPES, FraudReportEvent, TransactionEvent
from rapport.profiles.admission import Candidate, parse_batch
from tests.strategies import histories


def batch_merchants(candidates: list[Candidate]) -> dict[str, str | None]:
    return {
        c.event.event_id: c.event.payload.merchant_id
        for c in candidates
        if isinstance(c.event, TransactionEvent)
    }


def referenced_transactions(candidates: list[Candidate]) -> set[str]:
    return {
        c.event.payload.transaction_event_id
        for c in candidates
        if isinstance(c.event, FraudReportEvent)
    }


@settings(max_examples=60, deadline=None)
@given(histories(max_events=40), st.lists(st.integers(0, 39), max_size=5), st.booleans())
def test_the_batch_index_matches_its_candidates(
    events: list[dict[str, Any]], resent: list[int], garbage: bool
) -> None:
    raws: list[Any] = [*events, *(events[i] for i in resent if i < len(events))]
    if garbage:
        raws.insert(len(raws) // 2, b"{not json")
    parsed = parse_batch(raws, 0.0)
    candidates = parsed.candidates
    assert len(candidates) + len(parsed.verdicts) == len(raws)
    assert parsed.ids == {c.event.event_id for c in candidates}
    assert parsed.merchants == batch_merchants(candidates)
    assert parsed.referenced == referenced_transactions(candidates)
    for cls in EVENT_TYPES.values():
        assert parsed.by_type.get(cls, []) == [c for c in candidates if type(c.event) is cls]
    kinds = [EVENT_TYPES["offer_response"], EVENT_TYPES["credit_outcome"]]
    assert parsed.of_types(kinds) == [c for c in candidates if type(c.event) in kinds]
