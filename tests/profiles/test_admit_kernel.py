"""Admission's compiled common path (``Kernels.admitter``) admits exactly what the Python
reference (``Admission.admit_one``) admits: the same verdicts, log records, dead letters, touched
keys and state bits, on histories that arrive shuffled (some beyond the lateness bound), with
re-sent events and id conflicts, split over two batches. It hands every refusal back to the
reference, so the refusals' wording is the reference's own.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.events.model import BaseEvent, TransactionEvent
from rapport.profiles.admission import Admission, Verdict, parse_batch
from rapport.profiles.family import FoldContext
from rapport.profiles.fold import EVENT_TYPE_OF, ProfileFold, build_layouts
from rapport.profiles.native import kernels
from rapport.profiles.state import State
from rapport.store.protocols import EventRecord
from tests.strategies import histories

pytestmark = pytest.mark.skipif(kernels is None, reason="the C extension is not built")

LATENESS = 2 * 86400.0


@st.composite
def arrivals(draw: st.DrawFn) -> tuple[list[dict[str, Any]], int]:
    """A history in some arrival order, with re-sent events and id conflicts mixed in, and
    where to split it into two batches."""
    events = draw(histories(max_events=50))
    arriving = draw(st.permutations(events)) if draw(st.booleans()) else list(events)
    extras = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(events) - 1),
                st.sampled_from(["resend", "conflict"]),
                st.integers(0, len(arriving)),
            ),
            max_size=8,
        )
    )
    for source, how, where in extras:
        event = copy.deepcopy(events[source])
        if how == "conflict":  # the same id, another second
            when = dt.datetime.fromisoformat(event["timestamp"]) + dt.timedelta(seconds=1)
            event["timestamp"] = when.isoformat()
        arriving.insert(where, event)
    return arriving, draw(st.integers(0, len(arriving)))


def admit(
    events: list[dict[str, Any]], split: int, compiled: bool, known_merchants: bool = True
) -> dict[str, Any]:
    """Everything admission produces and extends, over two batches, as the engine runs it
    (``known_merchants``: the batch's transactions' merchants known beforehand, as the engine
    has them), and the context every update saw."""
    fold = ProfileFold(build_layouts(kernels=kernels), kernels=kernels)
    seen: list[tuple[Any, ...]] = []

    def spy(state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        seen.append((event.event_id, *msgspec.structs.astuple(ctx)))

    for plan in fold.plans.values():
        for entity, updaters in plan.items():
            plan[entity] = (*updaters, (spy, 0))
    admission = Admission(fold, LATENESS, compiled=compiled)
    states: dict[Any, State] = {}
    known: dict[str, str] = {}
    merchants: dict[str, str | None] = {}
    out: dict[str, Any] = {"verdicts": [], "records": [], "letters": [], "touched": []}
    for batch in (events[:split], events[split:]):
        parsed = parse_batch(batch, 1.0)
        if known_merchants:
            merchants.update(dict(parsed.merchants))
        routes = admission.routes(parsed.candidates, merchants)
        verdicts, records, letters, touched = admission.run(
            parsed.candidates, known, merchants, states, fold.new_state, 1.0, routes=routes
        )
        out["verdicts"] += verdicts
        out["records"] += records
        out["letters"] += letters
        out["touched"].append(touched)
    out["states"] = {key: state.tobytes() for key, state in states.items()}
    out["known"], out["merchants"], out["seen"] = known, merchants, seen
    if compiled and events:
        assert admission.compiled_calls, "the compiled path never ran"
    else:
        assert admission.compiled_calls == 0
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrivals(), st.booleans())
def test_compiled_admission_admits_what_the_reference_admits(
    arrival: tuple[list[dict[str, Any]], int], known_merchants: bool
) -> None:
    events, split = arrival
    compiled = admit(events, split, True, known_merchants)
    assert compiled == admit(events, split, False, known_merchants)


def test_every_kind_of_refusal_is_the_references() -> None:
    base = {"customer_id": "c1", "type": "login", "payload": {"success": True}}
    now = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    events = [
        {**base, "event_id": "a", "timestamp": now.isoformat()},
        {**base, "event_id": "a", "timestamp": now.isoformat()},  # re-sent
        {**base, "event_id": "a", "timestamp": (now + dt.timedelta(seconds=1)).isoformat()},
        {**base, "event_id": "b", "timestamp": (now - dt.timedelta(days=3)).isoformat()},
        {**base, "event_id": "c", "timestamp": (now + dt.timedelta(hours=1)).isoformat()},
        # exactly at the bound behind the latest event: still admitted
        {**base, "event_id": "d", "timestamp": (now - dt.timedelta(hours=47)).isoformat()},
    ]
    result = admit(events, len(events), compiled=True)
    assert [(v.status, v.code) for v in result["verdicts"]] == [
        ("accepted", None),
        ("duplicate", None),
        ("rejected", "event_id_conflict"),
        ("rejected", "too_late"),
        ("accepted", None),
        ("accepted", None),
    ]
    assert [letter.code for letter in result["letters"]] == ["event_id_conflict", "too_late"]
    assert result == admit(events, len(events), compiled=False)


ONE_LOGIN = {
    "event_id": "x",
    "customer_id": "c",
    "type": "login",
    "timestamp": "2026-03-01T12:00:00+00:00",
    "payload": {"success": True},
}


def _parts(fold: ProfileFold) -> tuple[Any, ...]:
    plans = {cls: fold.plans[kind] for cls, kind in EVENT_TYPE_OF.items()}
    return plans, dict(EVENT_TYPE_OF)


def test_the_admitter_refuses_what_it_cannot_admit() -> None:
    assert kernels is not None
    fold = ProfileFold(build_layouts(kernels=kernels), kernels=kernels)
    plans, kinds = _parts(fold)
    admitter: Any = kernels.admitter  # called with wrong arguments on purpose
    with pytest.raises(TypeError, match="plans and kinds"):
        admitter([], kinds, TransactionEvent, LATENESS, FoldContext, Verdict, EventRecord)
    with pytest.raises(TypeError, match="callable"):
        admitter(plans, kinds, TransactionEvent, LATENESS, 1, Verdict, EventRecord)
    admit_ = kernels.admitter(
        plans, kinds, TransactionEvent, LATENESS, FoldContext, Verdict, EventRecord
    )
    parsed = parse_batch([ONE_LOGIN], 0.0)
    verdicts: list[Verdict] = []
    with pytest.raises(ValueError, match="one per candidate"):
        admit_(parsed.candidates, 0, [], {}, {}, {}, fold.new_state, verdicts, [], set())
    with pytest.raises(TypeError, match="route"):
        admit_(parsed.candidates, 0, [("m", [])], {}, {}, {}, fold.new_state, verdicts, [], set())
    assert verdicts == []


def test_a_failing_update_stops_the_batch_with_its_error() -> None:
    assert kernels is not None
    fold = ProfileFold(build_layouts(kernels=kernels), kernels=kernels)

    def broken(state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        raise RuntimeError("broken family")

    fold.plans["login"]["customer"] = ((broken, 3),)
    admission = Admission(fold, LATENESS)
    parsed = parse_batch([ONE_LOGIN], 0.0)
    routes = admission.routes(parsed.candidates, {})
    known: dict[str, str] = {}
    with pytest.raises(RuntimeError, match="broken family"):
        admission.run(parsed.candidates, known, {}, {}, fold.new_state, 0.0, routes=routes)
    assert known == {}  # not recorded as accepted


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrivals(), st.data())
def test_compiled_routes_are_the_references(
    arrival: tuple[list[dict[str, Any]], int], data: st.DataObject
) -> None:
    events, _ = arrival
    fold = ProfileFold(build_layouts(kernels=kernels), kernels=kernels)
    admission = Admission(fold, LATENESS)
    parsed = parse_batch(events, 1.0)
    merchants = dict(parsed.merchants)
    forgotten = data.draw(st.sets(st.sampled_from(sorted(merchants) or ["none"])))
    merchants = {k: v for k, v in merchants.items() if k not in forgotten}  # reports of unknowns
    wanted: set[Any] = set()
    reference: set[Any] = set()
    compiled = admission.routes(parsed.candidates, merchants, wanted)
    assert compiled == admission.routes_reference(parsed.candidates, merchants, reference)
    assert wanted == reference
    assert all(
        keys[0] == ("customer", c.event.customer_id)
        for c, (_, keys) in zip(parsed.candidates, compiled, strict=True)
    )
