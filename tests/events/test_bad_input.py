"""Bad input: every refused event says which field and why, and is dead-lettered with its text.

Each case runs on both embedded backends (the ``engine`` fixture: ``memory://`` and a SQLite
file). Idempotency, lateness and the one-verdict-per-input property are in
test_idempotency_and_lateness.py.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pytest

from rapport import Engine
from rapport.events import MAX_EVENT_BYTES, RawEvent, raw_text
from rapport.store import DeadLetter

from .samples import event, line, with_payload, without


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
