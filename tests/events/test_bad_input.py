"""Bad input: every refused event says which field and why, and is dead-lettered with its text.

Each case runs on both embedded backends (the ``engine`` fixture: ``memory://`` and a SQLite
file). Idempotency (duplicates, id conflicts) and the lateness bound are covered here too, and a
property checks that every input of any mixed batch gets exactly one verdict.
"""

from __future__ import annotations

import datetime as dt
import json
import math
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
from rapport.events import MAX_EVENT_BYTES, RawEvent, raw_text
from rapport.governance.protected import withhold_text
from rapport.store import DeadLetter

from .samples import EVENT_TYPES, Json, event, line, with_payload, without


@dataclass(frozen=True)
class Bad:
    """One bad input and the rejection it must get."""

    id: str
    raw: RawEvent
    code: str
    field: str
    words: tuple[str, ...]
    """Words of the cause, each of which the reason must contain (case-insensitive)."""


GOOD = line(event())
TIMESTAMP = event()["timestamp"]


def _at(when: str) -> str:
    return line(event(timestamp=when))


def _amount_token(token: str) -> str:
    text = line(with_payload(amount=1234.5))
    assert '"amount": 1234.5' in text
    return text.replace('"amount": 1234.5', f'"amount": {token}')


CASES: list[Bad] = [
    # Malformed JSON.
    Bad("truncated_object", GOOD[:-7], "malformed_json", "", ("truncated",)),
    Bad("trailing_garbage", GOOD + ' {"x": 1}', "malformed_json", "", ("trailing",)),
    Bad("non_utf8_prefix", b"\xff\xfe" + GOOD.encode(), "malformed_json", "", ("invalid",)),
    Bad("empty_line_text", "   ", "malformed_json", "", ("truncated",)),
    Bad("json_array", f"[{GOOD}]", "not_an_object", "", ("object", "array")),
    Bad("bare_string", '"transaction"', "not_an_object", "", ("object", "str")),
    Bad("json_null", "null", "not_an_object", "", ("object", "null")),
    Bad("empty_object", "{}", "missing_field", "type", ("missing", "type")),
    # Wrong types.
    Bad(
        "amount_as_string",
        line(with_payload(amount="42.5")),
        "invalid_field",
        "payload.amount",
        ("float", "str"),
    ),
    Bad(
        "success_as_int",
        line(with_payload("login", success=1)),
        "invalid_field",
        "payload.success",
        ("bool", "int"),
    ),
    Bad(
        "timestamp_as_number",
        line(event(timestamp=1772439300)),
        "invalid_field",
        "timestamp",
        ("datetime", "int"),
    ),
    Bad(
        "customer_id_as_number",
        line(event(customer_id=123)),
        "invalid_field",
        "customer_id",
        ("str", "int"),
    ),
    Bad(
        "location_as_string",
        line(event(location="Paris")),
        "invalid_field",
        "location",
        ("object", "str"),
    ),
    # Missing fields.
    Bad(
        "no_event_id",
        line(without(event(), "event_id")),
        "missing_field",
        "event_id",
        ("missing", "event_id"),
    ),
    Bad(
        "no_payload",
        line(without(event(), "payload")),
        "missing_field",
        "payload",
        ("missing", "payload"),
    ),
    Bad(
        "payload_without_currency",
        line(without(event(), "payload.currency")),
        "missing_field",
        "payload.currency",
        ("missing", "currency"),
    ),
    Bad("no_type", line(without(event(), "type")), "missing_field", "type", ("missing", "type")),
    # Amounts that are not positive finite numbers.
    Bad(
        "negative_amount",
        line(with_payload(amount=-12.5)),
        "invalid_field",
        "payload.amount",
        ("> 0",),
    ),
    Bad("zero_amount", line(with_payload(amount=0)), "invalid_field", "payload.amount", ("> 0",)),
    Bad("nan_token", _amount_token("NaN"), "malformed_json", "", ("NaN",)),
    Bad(
        "nan_in_dict",
        with_payload(amount=float("nan")),
        "invalid_field",
        "payload.amount",
        ("float",),
    ),
    Bad("infinity_token", _amount_token("Infinity"), "malformed_json", "", ("Infinity",)),
    Bad("minus_infinity_token", _amount_token("-Infinity"), "malformed_json", "", ("Infinity",)),
    Bad(
        "infinity_in_dict",
        with_payload(amount=float("inf")),
        "invalid_field",
        "payload.amount",
        ("<=",),
    ),
    Bad(
        "overflowing_literal", _amount_token("1e400"), "invalid_field", "payload.amount", ("range",)
    ),
    Bad(
        "absurd_amount",
        line(with_payload(amount=1e15)),
        "invalid_field",
        "payload.amount",
        ("<=",),
    ),
    # Unknown event type and unknown fields.
    Bad(
        "unknown_event_type",
        line(event(type="chargeback")),
        "unknown_event_type",
        "type",
        ("unknown", "chargeback", "transaction"),
    ),
    Bad(
        "unknown_top_level_field",
        line(event(ip_address="10.0.0.1")),
        "unknown_field",
        "ip_address",
        ("unknown", "ip_address"),
    ),
    Bad(
        "unknown_payload_field",
        line(with_payload(tip=2.0)),
        "unknown_field",
        "payload.tip",
        ("unknown", "tip"),
    ),
    Bad(
        "unknown_location_field",
        line(event(location={"lat": 1.0, "lon": 2.0, "alt": 30.0})),
        "unknown_field",
        "location.alt",
        ("unknown", "alt"),
    ),
    # Impossible timestamps.
    Bad(
        "february_30", _at("2026-02-30T10:00:00+01:00"), "invalid_field", "timestamp", ("invalid",)
    ),
    Bad("month_13", _at("2026-13-01T10:00:00+01:00"), "invalid_field", "timestamp", ("invalid",)),
    Bad("hour_24", _at("2026-03-01T24:00:00Z"), "invalid_field", "timestamp", ("invalid",)),
    Bad("no_time_zone", _at("2026-03-02T09:15:00"), "invalid_field", "timestamp", ("timezone",)),
    Bad("date_only", _at("2026-03-02"), "invalid_field", "timestamp", ("invalid",)),
    Bad("year_1970", _at("1970-01-01T00:00:00Z"), "invalid_field", "timestamp", ("outside",)),
    Bad("year_2500", _at("2500-06-01T12:00:00Z"), "invalid_field", "timestamp", ("outside",)),
    # Oversized events: refused before they are parsed.
    Bad(
        "line_over_16_kib",
        line(event(extensions={"pad": "x" * MAX_EVENT_BYTES})),
        "too_large",
        "",
        ("bytes", str(MAX_EVENT_BYTES)),
    ),
    Bad(
        "dict_over_16_kib",
        event(extensions={"pad": "x" * MAX_EVENT_BYTES}),
        "too_large",
        "",
        ("bytes", str(MAX_EVENT_BYTES)),
    ),
    # Identifiers with whitespace (or empty).
    Bad(
        "event_id_inner_space", line(event(event_id="evt 1")), "invalid_field", "event_id", ("str",)
    ),
    Bad(
        "event_id_leading_space",
        line(event(event_id=" evt-1")),
        "invalid_field",
        "event_id",
        ("str",),
    ),
    Bad("event_id_empty", line(event(event_id="")), "invalid_field", "event_id", ("length",)),
    Bad(
        "customer_id_with_tab",
        line(event(customer_id="cust\t1")),
        "invalid_field",
        "customer_id",
        ("str",),
    ),
    Bad(
        "merchant_id_with_space",
        line(with_payload(merchant_id="m 1")),
        "invalid_field",
        "payload.merchant_id",
        ("str",),
    ),
    # Location: a coordinate needs both halves.
    Bad(
        "lat_without_lon",
        line(event(location={"lat": 48.85})),
        "invalid_field",
        "location",
        ("lat", "lon"),
    ),
    Bad(
        "lon_without_lat",
        line(event(location={"lon": 2.35, "country": "FR"})),
        "invalid_field",
        "location",
        ("lat", "lon"),
    ),
    Bad(
        "latitude_out_of_range",
        line(event(location={"lat": 91.0, "lon": 2.35})),
        "invalid_field",
        "location.lat",
        ("<=",),
    ),
]


# A "$"-anchored pattern also matches before a trailing newline in Python's re (which msgspec
# uses): the contract anchors with \Z so that these are refused.
KNOWN_BAD: list[Bad] = [
    Bad(
        "event_id_trailing_newline",
        line(event(event_id="evt-1\n")),
        "invalid_field",
        "event_id",
        ("str",),
    ),
    Bad(
        "customer_id_trailing_newline",
        line(event(customer_id="cust-1\n")),
        "invalid_field",
        "customer_id",
        ("str",),
    ),
    Bad(
        "currency_trailing_newline",
        line(with_payload(currency="EUR\n")),
        "invalid_field",
        "payload.currency",
        ("str",),
    ),
    Bad(
        "mcc_trailing_newline",
        line(with_payload(mcc="5411\n")),
        "invalid_field",
        "payload.mcc",
        ("str",),
    ),
    Bad(
        "country_trailing_newline",
        line(event(location={"country": "FR\n"})),
        "invalid_field",
        "location.country",
        ("str",),
    ),
]


def _forms() -> list[Any]:
    """Each case as given; text cases also as the UTF-8 bytes a file or socket delivers."""
    params: list[Any] = []
    for cases, marks in ((CASES, ()), (KNOWN_BAD, ())):
        for case in cases:
            params.append(pytest.param(case, id=case.id, marks=marks))
            if isinstance(case.raw, str):
                as_bytes = Bad(case.id, case.raw.encode(), case.code, case.field, case.words)
                params.append(pytest.param(as_bytes, id=f"{case.id}-bytes", marks=marks))
    return params


def _only_letter(engine: Engine) -> DeadLetter:
    letters = engine.dead_letters(10)
    assert len(letters) == 1, letters
    return letters[0]


@pytest.mark.parametrize("case", _forms())
def test_bad_input_is_rejected_with_field_and_reason_and_dead_lettered(
    engine: Engine, case: Bad
) -> None:
    report = engine.ingest([case.raw])

    assert (report.accepted, report.duplicates, report.rejected) == (0, 0, 1)
    (verdict,) = report.verdicts
    assert verdict.index == 0
    assert verdict.status == "rejected"
    assert verdict.code == case.code
    assert verdict.field == case.field
    assert verdict.reason is not None
    assert verdict.reason.strip()
    for word in case.words:
        assert word.lower() in verdict.reason.lower(), (word, verdict.reason)

    letter = _only_letter(engine)
    assert (letter.code, letter.field, letter.reason) == (case.code, case.field, verdict.reason)
    if isinstance(case.raw, str):
        assert letter.raw == case.raw
    elif isinstance(case.raw, bytes):
        assert letter.raw == case.raw.decode("utf-8", errors="replace")
    else:
        assert letter.raw == raw_text(case.raw)
    assert engine.stores.events.count() == 0


@pytest.mark.parametrize("case", [c for c in CASES if isinstance(c.raw, str)], ids=lambda c: c.id)
def test_bad_input_does_not_disturb_its_neighbours(engine: Engine, case: Bad) -> None:
    before = line(event(event_id="evt-before"))
    after = line(event(event_id="evt-after", timestamp="2026-03-02T10:15:00+01:00"))

    report = engine.ingest([before, case.raw, after])

    assert [v.status for v in report.verdicts] == ["accepted", "rejected", "accepted"]
    assert [v.index for v in report.verdicts] == [0, 1, 2]
    assert report.verdicts[1].code == case.code
    assert _only_letter(engine).raw == case.raw
    assert engine.profile("cust-1").event_count == 2


def test_fields_inside_extensions_are_accepted(engine: Engine) -> None:
    extensions = {
        "anything": {"nested": [1, 2.5, "three", None, True]},
        "source_system": "core-banking-7",
        "ip_address": "10.0.0.1",
    }
    report = engine.ingest([line(event(extensions=extensions))])

    assert [v.status for v in report.verdicts] == ["accepted"]
    assert engine.dead_letters(10) == []
    (record,) = engine.stores.events.scan("cust-1")
    assert json.loads(record.body)["extensions"] == extensions


def test_the_size_limit_is_inclusive_of_exactly_16_kib(engine: Engine) -> None:
    def sized(n: int) -> str:
        text = line(event(event_id=f"evt-{n}", extensions={"pad": ""}))
        return text.replace('"pad": ""', '"pad": "' + "x" * (n - len(text)) + '"')

    at_limit, over = sized(MAX_EVENT_BYTES), sized(MAX_EVENT_BYTES + 1)
    assert (len(at_limit.encode()), len(over.encode())) == (MAX_EVENT_BYTES, MAX_EVENT_BYTES + 1)

    report = engine.ingest([at_limit, over])

    assert [v.status for v in report.verdicts] == ["accepted", "rejected"]
    assert report.verdicts[1].code == "too_large"
    assert _only_letter(engine).raw == over


# --- Defects found by this suite, now fixed ----------------------------------------------------


def test_non_utf8_bytes_inside_a_string_are_rejected_not_raised(engine: Engine) -> None:
    latin1_event = event(event_id="evt-latin1", customer_id="cust-é")
    latin1 = json.dumps(latin1_event, ensure_ascii=False).encode("latin-1")
    assert b"cust-\xe9" in latin1
    good = [line(event(event_id=f"evt-{i}")).encode() for i in range(2)]

    report = engine.ingest([good[0], latin1, good[1]])

    assert [v.status for v in report.verdicts] == ["accepted", "rejected", "accepted"]
    assert report.verdicts[1].code == "malformed_json"
    assert report.verdicts[1].field == ""
    assert "utf" in (report.verdicts[1].reason or "").lower()
    assert _only_letter(engine).raw == latin1.decode("utf-8", errors="replace")


def test_text_with_a_lone_surrogate_is_rejected_not_raised(engine: Engine) -> None:
    report = engine.ingest([GOOD.replace("cust-1", "cust-\ud800")])

    assert [v.status for v in report.verdicts] == ["rejected"]
    assert report.verdicts[0].code == "malformed_json"
    assert _only_letter(engine).raw


@pytest.mark.parametrize("bad", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_dead_letter_of_a_dict_keeps_its_non_finite_amount(engine: Engine, bad: float) -> None:
    raw = with_payload(amount=bad)

    engine.ingest([raw])

    kept = json.loads(_only_letter(engine).raw)  # Python's json reads NaN / Infinity tokens
    amount = kept["payload"]["amount"]
    assert isinstance(amount, float)
    assert math.isnan(amount) if math.isnan(bad) else amount == bad


def test_bad_attribute_value_names_a_clean_path(engine: Engine) -> None:
    raw = line(with_payload("customer_update", attributes={"products": ["card", "loan"]}))

    (verdict,) = engine.ingest([raw]).verdicts

    assert verdict.code == "invalid_field"
    assert verdict.field in {"payload.attributes", "payload.attributes.products"}


def test_bad_attribute_key_names_its_path(engine: Engine) -> None:
    raw = line(with_payload("customer_update", attributes={"k" * 65: 1}))

    (verdict,) = engine.ingest([raw]).verdicts

    assert verdict.code == "invalid_field"
    assert verdict.field == "payload.attributes"
    assert "$" not in (verdict.reason or "")


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
