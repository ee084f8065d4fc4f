"""Idempotency (duplicates, id conflicts), the lateness bound, and one verdict per input.

Each case runs on both embedded backends (the ``engine`` fixture: ``memory://`` and a SQLite
file); a property checks that every input of any mixed batch gets exactly one verdict, however
the input is batched.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as observe
from hypothesis import strategies as st

from rapport import Engine, EngineConfig
from rapport.events import RawEvent, raw_text
from rapport.governance.protected import withhold_text

from .samples import EVENT_TYPES, Json, event, line
from .test_bad_input import CASES, _only_letter

# --- Idempotency -------------------------------------------------------------------------------


def _history() -> list[str]:
    return [
        line(event("customer_update", event_id="evt-a", timestamp="2026-03-01T08:00:00+01:00")),
        line(event("transaction", event_id="evt-b", timestamp="2026-03-01T12:30:00+01:00")),
        line(event("login", event_id="evt-c", timestamp="2026-03-02T07:45:00+01:00")),
    ]


def test_identical_resend_is_a_duplicate_and_changes_nothing(engine: Engine) -> None:
    history = _history()
    engine.ingest(history)
    before = engine.profile("cust-1")

    report = engine.ingest([history[1]])

    (verdict,) = report.verdicts
    assert (verdict.status, verdict.event_id, verdict.code) == ("duplicate", "evt-b", None)
    assert (report.accepted, report.duplicates, report.rejected) == (0, 1, 0)
    after = engine.profile("cust-1")
    assert after.values() == before.values()
    assert after.event_count == before.event_count == 3
    assert engine.dead_letters(10) == []
    assert engine.stores.events.count() == 3


def test_resend_with_other_formatting_is_still_a_duplicate(engine: Engine) -> None:
    original = event(event_id="evt-fmt")
    engine.ingest([line(original)])
    before = engine.profile("cust-1").values()
    reformatted = json.dumps(original, sort_keys=True, separators=(",", ":"), indent=None)
    as_dict = json.loads(reformatted)

    report = engine.ingest([reformatted, reformatted.encode(), as_dict])

    assert [v.status for v in report.verdicts] == ["duplicate"] * 3
    assert engine.profile("cust-1").values() == before


def test_duplicates_within_one_batch(engine: Engine) -> None:
    first = line(event(event_id="evt-twice"))

    report = engine.ingest([first, first, first])

    assert [v.status for v in report.verdicts] == ["accepted", "duplicate", "duplicate"]
    assert engine.profile("cust-1").event_count == 1


def test_same_id_with_different_content_is_a_conflict(engine: Engine) -> None:
    history = _history()
    engine.ingest(history)
    before = engine.profile("cust-1")
    changed = event("transaction", event_id="evt-b", timestamp="2026-03-01T12:30:00+01:00")
    changed["payload"]["amount"] = 4250.0
    raw = line(changed)

    report = engine.ingest([raw])

    (verdict,) = report.verdicts
    assert (verdict.status, verdict.code, verdict.field) == (
        "rejected",
        "event_id_conflict",
        "event_id",
    )
    assert verdict.event_id == "evt-b"
    assert "different" in (verdict.reason or "")
    letter = _only_letter(engine)
    assert (letter.code, letter.field, letter.raw, letter.event_id) == (
        "event_id_conflict",
        "event_id",
        raw,
        "evt-b",
    )
    assert engine.profile("cust-1").values() == before.values()


def test_conflict_within_one_batch(engine: Engine) -> None:
    first = event(event_id="evt-x")
    second = event(event_id="evt-x", customer_id="cust-2")

    report = engine.ingest([line(first), line(second)])

    assert [(v.status, v.code) for v in report.verdicts] == [
        ("accepted", None),
        ("rejected", "event_id_conflict"),
    ]
    assert _only_letter(engine).raw == line(second)


# --- Lateness ---------------------------------------------------------------------------------

LATEST = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def _event_at(event_id: str, when: dt.datetime, customer: str = "cust-1") -> str:
    return line(event("login", event_id=event_id, customer_id=customer, timestamp=when.isoformat()))


def test_too_late_is_rejected_and_within_bound_is_accepted(engine: Engine) -> None:
    bound = dt.timedelta(seconds=EngineConfig().allowed_lateness_seconds)
    engine.ingest([_event_at("evt-latest", LATEST)])
    too_late = _event_at("evt-too-late", LATEST - bound - dt.timedelta(minutes=1))
    in_time = _event_at("evt-in-time", LATEST - bound + dt.timedelta(minutes=1))
    at_bound = _event_at("evt-at-bound", LATEST - bound)
    other_customer = _event_at("evt-other", LATEST - 3 * bound, customer="cust-2")

    report = engine.ingest([too_late, in_time, at_bound, other_customer])

    statuses = [(v.status, v.code, v.field) for v in report.verdicts]
    assert statuses == [
        ("rejected", "too_late", "timestamp"),
        ("accepted", None, None),
        ("accepted", None, None),
        ("accepted", None, None),
    ]
    assert "lateness" in (report.verdicts[0].reason or "")
    letter = _only_letter(engine)
    assert (letter.code, letter.field, letter.raw, letter.event_id) == (
        "too_late",
        "timestamp",
        too_late,
        "evt-too-late",
    )
    assert engine.profile("cust-1").event_count == 3


def test_lateness_is_measured_against_the_latest_event_of_the_same_batch(engine: Engine) -> None:
    bound = dt.timedelta(seconds=EngineConfig().allowed_lateness_seconds)
    early = _event_at("evt-early", LATEST - bound - dt.timedelta(hours=1))

    report = engine.ingest([_event_at("evt-latest", LATEST), early])

    assert [v.code for v in report.verdicts] == [None, "too_late"]
    assert _only_letter(engine).raw == early


def test_configured_lateness_bound(engine: Engine) -> None:
    strict = Engine(engine.stores, EngineConfig(allowed_lateness_seconds=3600))
    strict.ingest([_event_at("evt-latest", LATEST)])

    report = strict.ingest(
        [
            _event_at("evt-59m", LATEST - dt.timedelta(minutes=59)),
            _event_at("evt-61m", LATEST - dt.timedelta(minutes=61)),
        ]
    )

    assert [(v.status, v.code) for v in report.verdicts] == [
        ("accepted", None),
        ("rejected", "too_late"),
    ]
    assert "1.0 h" in (report.verdicts[1].reason or "")


# --- Every input gets exactly one verdict ----------------------------------------------------

CUSTOMERS = ("cust-a", "cust-b")
OFFSETS = (0, 60, -300, 345, 840)
START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

valid_item = st.tuples(
    st.just("valid"),
    st.sampled_from(EVENT_TYPES),
    st.sampled_from(CUSTOMERS),
    # minutes after START: the edges make events beyond the lateness bound common
    st.one_of(st.integers(0, 8 * 24 * 60), st.sampled_from([0, 8 * 24 * 60])),
    st.sampled_from(OFFSETS),
)
bad_text = st.one_of(
    st.sampled_from([c.raw for c in CASES if isinstance(c.raw, str)]),
    st.text(max_size=40),
    st.text(max_size=40).map(str.encode),
)
invalid_item = st.tuples(st.just("invalid"), bad_text)
resend_item = st.tuples(st.just("resend"), st.integers(0, 10_000), st.booleans())
items = st.lists(st.one_of(valid_item, invalid_item, resend_item), max_size=40)


@dataclass
class Mix:
    raws: list[RawEvent]
    resends: dict[int, tuple[int, bool]]
    """Index of a re-sent input -> (index of its original, whether it is identical)."""


def _build(drawn: list[tuple[Any, ...]]) -> Mix:
    raws: list[RawEvent] = []
    originals: list[tuple[int, Json]] = []
    resends: dict[int, tuple[int, bool]] = {}
    for item in drawn:
        if item[0] == "valid":
            _, kind, customer, minutes, offset = item
            zone = dt.timezone(dt.timedelta(minutes=offset))
            when = (START + dt.timedelta(minutes=minutes)).astimezone(zone)
            obj = event(kind, event_id=f"evt-{len(raws)}", customer_id=customer)
            obj["timestamp"] = when.isoformat()
            originals.append((len(raws), obj))
            raws.append(line(obj))
        elif item[0] == "invalid":
            raws.append(item[1])
        elif originals:
            _, pick, identical = item
            index, obj = originals[pick % len(originals)]
            resends[len(raws)] = (index, identical)
            raws.append(line(obj if identical else {**obj, "device_id": "dev-changed"}))
    return Mix(raws, resends)


def _check_verdicts(engine: Engine, mix: Mix) -> list[str]:
    n = len(mix.raws)
    report = engine.ingest(mix.raws)

    assert len(report.verdicts) == n
    assert [v.index for v in report.verdicts] == list(range(n))
    assert report.accepted + report.duplicates + report.rejected == n
    assert report.summary()["received"] == n
    assert engine.stores.dead_letters.count() == report.rejected
    assert engine.stores.events.count() == report.accepted
    letters = engine.dead_letters(n + 10)
    assert len(letters) == report.rejected
    # Dead letters keep the raw input, but never protected values (DESIGN.md principle 7).
    rejected_raws = [
        withhold_text(raw_text(mix.raws[v.index]))
        for v in report.verdicts
        if v.status == "rejected"
    ]
    assert Counter(letter.raw for letter in letters) == Counter(rejected_raws)
    for v in report.verdicts:
        assert (v.code is None) == (v.status != "rejected")
        if v.status == "rejected":
            assert v.reason
    for index, (original, identical) in mix.resends.items():
        if report.verdicts[original].status == "accepted":
            expected = ("duplicate", None) if identical else ("rejected", "event_id_conflict")
            assert (report.verdicts[index].status, report.verdicts[index].code) == expected
    for kind in {v.code or v.status for v in report.verdicts}:
        observe(kind)
    return [v.status for v in report.verdicts]


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=items)
def test_every_input_gets_exactly_one_verdict(backend: str, drawn: list[tuple[Any, ...]]) -> None:
    mix = _build(drawn)
    with tempfile.TemporaryDirectory() as tmp:
        url: str | Path = "memory://" if backend == "memory" else Path(tmp) / "r.db"
        with Engine(url) as engine:
            _check_verdicts(engine, mix)


@settings(max_examples=60, deadline=None)
@given(drawn=items, cut=st.integers(0, 40))
def test_verdicts_do_not_depend_on_how_input_is_batched(
    drawn: list[tuple[Any, ...]], cut: int
) -> None:
    mix = _build(drawn)
    cut = min(cut, len(mix.raws))
    with Engine("memory://") as whole:
        at_once = [v.status for v in whole.ingest(mix.raws).verdicts]
    with Engine("memory://") as split:
        first = split.ingest(mix.raws[:cut])
        second = split.ingest(mix.raws[cut:])
    assert [v.index for v in second.verdicts] == list(range(len(mix.raws) - cut))
    assert [v.status for v in [*first.verdicts, *second.verdicts]] == at_once
