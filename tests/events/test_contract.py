"""The v1 contract: every event type is accepted, canonical JSON round-trips, zones are kept."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport import Engine
from rapport.events import EVENT_TYPES as CONTRACT_TYPES
from rapport.events import BaseEvent, canonical_json, parse_event
from rapport.events.model import EARLIEST_EVENT_TIME, IDENTIFIER_PATTERN, LATEST_EVENT_TIME
from rapport.events.validation import EventRejectedError

from .samples import EVENT_TYPES, PAYLOADS, Json, event, line

# The fields the DESIGN table marks as required, per event type.
REQUIRED: dict[str, tuple[str, ...]] = {
    "transaction": ("amount", "currency", "direction"),
    "login": ("success",),
    "page_view": ("session_id", "page"),
    "statement": ("account_id", "balance", "credit_limit"),
    "repayment": ("account_id", "amount"),
    "offer_response": ("decision_id", "offer_id", "response"),
    "message_event": ("decision_id", "status"),
    "fraud_report": ("transaction_event_id", "is_fraud"),
    "credit_outcome": ("account_id", "status"),
    "customer_update": ("attributes",),
}


def minimal(kind: str) -> Json:
    """The smallest valid event of a type: required envelope and payload fields only."""
    return {
        "event_id": f"evt-min-{kind}",
        "type": kind,
        "customer_id": "cust-1",
        "timestamp": "2026-03-02T09:15:00Z",
        "payload": {name: PAYLOADS[kind][name] for name in REQUIRED[kind]},
    }


def test_the_samples_cover_the_ten_v1_types() -> None:
    assert set(EVENT_TYPES) == set(CONTRACT_TYPES) == set(REQUIRED)
    assert len(CONTRACT_TYPES) == 10


@pytest.mark.parametrize("kind", EVENT_TYPES)
def test_every_v1_type_is_accepted(engine: Engine, kind: str) -> None:
    full, small = event(kind), minimal(kind)

    report = engine.ingest([line(full), line(small)])

    assert [v.status for v in report.verdicts] == ["accepted", "accepted"]
    assert [v.event_id for v in report.verdicts] == [full["event_id"], small["event_id"]]
    assert engine.dead_letters(10) == []
    assert engine.profile("cust-1").event_count == 2
    assert type(parse_event(line(full))) is CONTRACT_TYPES[kind]


@pytest.mark.parametrize("kind", EVENT_TYPES)
def test_each_required_payload_field_is_required(kind: str) -> None:
    for name in REQUIRED[kind]:
        obj = minimal(kind)
        del obj["payload"][name]
        report = Engine("memory://").ingest([line(obj)])
        (verdict,) = report.verdicts
        assert (verdict.code, verdict.field) == ("missing_field", f"payload.{name}")


@pytest.mark.parametrize("kind", EVENT_TYPES)
@pytest.mark.parametrize("shape", ["full", "minimal"])
def test_canonical_json_round_trips(kind: str, shape: str) -> None:
    obj = event(kind) if shape == "full" else minimal(kind)
    parsed = parse_event(line(obj))

    body = canonical_json(parsed)

    again = parse_event(body)
    assert again == parsed
    assert canonical_json(again) == body
    assert parse_event(obj) == parsed  # a dict gives the same event as its JSON text
    assert parse_event(line(obj).encode()) == parsed


def test_canonical_json_omits_absent_optionals_and_keeps_extensions() -> None:
    obj = minimal("login")
    obj["extensions"] = {"source": "core", "nested": {"a": [1, 2]}}

    body = json.loads(canonical_json(parse_event(line(obj))))

    assert body == obj


# --- Zone offsets ------------------------------------------------------------------------------

OFFSETS = ["+01:00", "-05:00", "+05:45", "-09:30", "+14:00", "-12:00", "Z"]


def _offset(text: str) -> dt.timedelta:
    if text == "Z":
        return dt.timedelta(0)
    sign = 1 if text[0] == "+" else -1
    hours, minutes = text[1:].split(":")
    return sign * dt.timedelta(hours=int(hours), minutes=int(minutes))


@pytest.mark.parametrize("offset", OFFSETS)
def test_zone_offsets_are_kept(offset: str) -> None:
    stamp = f"2026-03-02T23:30:15.250000{offset}"
    parsed = parse_event(line(event("login", timestamp=stamp)))

    assert (parsed.timestamp.hour, parsed.timestamp.minute, parsed.timestamp.second) == (23, 30, 15)
    assert parsed.timestamp.utcoffset() == _offset(offset)
    body = json.loads(canonical_json(parsed))
    assert dt.datetime.fromisoformat(body["timestamp"]).utcoffset() == _offset(offset)
    assert body["timestamp"].startswith("2026-03-02T23:30:15.25")
    again = parse_event(canonical_json(parsed))
    assert again.timestamp.utcoffset() == _offset(offset)
    assert again.timestamp.hour == 23


@pytest.mark.parametrize("offset", ["-05:00", "+05:45", "Z"])
def test_local_hour_reaches_the_profile_live_and_on_replay(engine: Engine, offset: str) -> None:
    """Habits use the event's local hour, also when the profile is rebuilt from the log."""
    first = event("login", event_id="evt-1", timestamp=f"2026-03-02T23:30:00{offset}")
    second = event("login", event_id="evt-2", timestamp=f"2026-03-04T23:30:00{offset}")
    engine.ingest([line(first), line(second)])

    live = engine.profile("cust-1")
    replayed = engine.profile("cust-1", at=f"2026-03-03T12:00:00{offset}")

    assert live.event_count == 2
    assert replayed.event_count == 1
    assert live.values()["habit_hour"] == pytest.approx(23.5, abs=1e-6)
    assert replayed.values()["habit_hour"] == pytest.approx(23.5, abs=1e-6)
    assert live.values()["night_share_90d"] == 0.0


# --- Property: any valid event round-trips through canonical JSON ------------------------------

identifiers = st.text(
    alphabet=st.characters(
        min_codepoint=0x21, max_codepoint=0x2FF, exclude_categories=("Cc", "Zs", "Zl", "Zp")
    ),
    min_size=1,
    max_size=20,
)
zones = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
instants = st.datetimes(
    min_value=EARLIEST_EVENT_TIME.replace(tzinfo=None) + dt.timedelta(days=1),
    max_value=LATEST_EVENT_TIME.replace(tzinfo=None) - dt.timedelta(days=1),
)
amounts = st.floats(min_value=0.0, max_value=1e12, exclude_min=True, allow_nan=False)
signed = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
)


def _transaction(draw: st.DrawFn) -> Json:
    payload: Json = {
        "amount": draw(amounts),
        "currency": draw(st.sampled_from(["EUR", "USD", "GBP", "CHF"])),
        "direction": draw(st.sampled_from(["debit", "credit"])),
    }
    if draw(st.booleans()):
        payload["merchant_id"] = draw(identifiers)
    if draw(st.booleans()):
        payload["mcc"] = draw(st.from_regex(r"\A[0-9]{4}\Z"))
    if draw(st.booleans()):
        payload["balance_after"] = draw(signed)
    return payload


def _statement(draw: st.DrawFn) -> Json:
    payload: Json = {
        "account_id": draw(identifiers),
        "balance": draw(signed),
        "credit_limit": draw(st.floats(min_value=0, max_value=1e12)),
    }
    if draw(st.booleans()):
        payload["due_date"] = draw(st.dates()).isoformat()
    return payload


def _customer_update(draw: st.DrawFn) -> Json:
    keys = st.text(max_size=10)
    payload: Json = {"attributes": draw(st.dictionaries(keys, scalars, max_size=5))}
    if draw(st.booleans()):
        payload["protected"] = draw(st.dictionaries(keys, scalars, max_size=3))
    return payload


@st.composite
def valid_events(draw: st.DrawFn) -> Json:
    kind = draw(st.sampled_from(["transaction", "statement", "customer_update", "login"]))
    builders: dict[str, Any] = {
        "transaction": _transaction,
        "statement": _statement,
        "customer_update": _customer_update,
        "login": lambda d: {"success": d(st.booleans())},
    }
    when = draw(instants).replace(tzinfo=dt.UTC).astimezone(draw(zones))
    obj: Json = {
        "event_id": draw(identifiers),
        "type": kind,
        "customer_id": draw(identifiers),
        "timestamp": when.isoformat(),
        "payload": builders[kind](draw),
    }
    if draw(st.booleans()):
        obj["location"] = {
            "lat": draw(st.floats(-90, 90)),
            "lon": draw(st.floats(-180, 180)),
        }
    return obj


@settings(max_examples=300, deadline=None)
@given(obj=valid_events())
def test_any_valid_event_round_trips_through_canonical_json(obj: Json) -> None:
    parsed: BaseEvent = parse_event(line(obj))

    body = canonical_json(parsed)
    again = parse_event(body)

    assert again == parsed
    assert canonical_json(again) == body
    assert again.timestamp.utcoffset() == dt.datetime.fromisoformat(obj["timestamp"]).utcoffset()
    assert again.timestamp.hour == dt.datetime.fromisoformat(obj["timestamp"]).hour


# --- Property: the plausible range is judged on the instant, whatever the zone ----------------

_EDGES = st.sampled_from([EARLIEST_EVENT_TIME, LATEST_EVENT_TIME])
_NEAR_EDGE = st.builds(
    lambda edge, seconds, zone: (edge + dt.timedelta(seconds=seconds)).astimezone(zone),
    _EDGES,
    st.integers(-3 * 86400 * 366, 3 * 86400 * 366),
    zones,
)


@settings(max_examples=300)
@given(when=_NEAR_EDGE)
def test_a_timestamp_is_accepted_exactly_inside_the_plausible_range(when: dt.datetime) -> None:
    raw = line(event("login", timestamp=when.isoformat()))
    if EARLIEST_EVENT_TIME <= when < LATEST_EVENT_TIME:
        assert parse_event(raw).timestamp == when
    else:
        with pytest.raises(ValueError, match="outside the plausible range"):
            parse_event(raw)


def test_the_identifier_pattern_is_no_whitespace_and_no_control_character() -> None:
    # The pattern lists the characters; the rule is \s and C0 controls. Every code point.
    listed, rule = re.compile(IDENTIFIER_PATTERN), re.compile(r"^[^\s\x00-\x1f]+\Z")
    differ = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if bool(listed.search(chr(code))) != bool(rule.search(chr(code)))
    ]
    assert differ == []
    assert listed.search("evt-\u00e9\u200b1")
    assert not listed.search("evt\u30001")


@pytest.mark.parametrize("identifier", ["c 1", "c\u00a01", "c\u20281", "c\x1f1", "c\n"])
def test_an_identifier_with_whitespace_or_a_control_character_is_refused(identifier: str) -> None:
    with pytest.raises(EventRejectedError) as refused:
        parse_event(json.dumps(event("login", customer_id=identifier)))
    assert refused.value.rejection.field == "customer_id"
