"""Invariants of the profile fold, as properties over random histories.

- replaying a history in any chunking gives the same profiles as streaming it;
- re-sending events changes nothing;
- arrival order within the lateness bound leaves every decayed statistic as it was;
- serialised profiles stay within 4 KiB whatever the history.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st

from rapport import Engine, EngineConfig
from rapport.profiles import Entity, build_layouts
from tests.strategies import histories, late_arrivals

LATENESS = 2 * 86400.0
CONFIG = EngineConfig(store_url="memory://", allowed_lateness_seconds=LATENESS)
SPECS = {spec.name: spec for layout in build_layouts().values() for spec in layout.specs}
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _engine() -> Engine:
    return Engine("memory://", CONFIG)


def stored_profiles(engine: Engine) -> dict[tuple[str, str], bytes]:
    rows: dict[tuple[str, str], Any] = engine.stores.profiles._rows  # type: ignore[attr-defined]
    return {key: row.data for key, row in rows.items()}


def all_features(engine: Engine) -> dict[tuple[str, str], dict[str, float]]:
    return {key: engine.entity_profile(key[0], key[1]).values() for key in stored_profiles(engine)}


def _chunks(events: list[Any], cuts: list[int]) -> list[list[Any]]:
    bounds = sorted({0, len(events), *(c % (len(events) + 1) for c in cuts)})
    return [events[a:b] for a, b in itertools.pairwise(bounds)]


@PROPERTY
@given(histories(), st.lists(st.integers(0, 10_000), max_size=8))
def test_any_chunking_gives_the_same_profiles_as_streaming(
    events: list[Any], cuts: list[int]
) -> None:
    streamed = _engine()
    for event in events:
        streamed.ingest([event])
    replayed = _engine()
    for chunk in _chunks(events, cuts):
        replayed.ingest(chunk)
    assert stored_profiles(replayed) == stored_profiles(streamed)
    assert [r.event_id for r in replayed.stores.events.scan()] == [e["event_id"] for e in events]


@PROPERTY
@given(histories(), st.data())
def test_resending_events_changes_nothing(events: list[Any], data: st.DataObject) -> None:
    engine = _engine()
    first = engine.ingest(events)
    assert first.accepted == len(events)
    before = stored_profiles(engine)
    again = data.draw(st.lists(st.sampled_from(events), min_size=1, max_size=len(events) * 2))
    report = engine.ingest(again)
    assert report.duplicates == len(again)
    assert stored_profiles(engine) == before
    assert engine.stores.events.count() == len(events)


def _late_count(arrived: list[Any]) -> int:
    latest: dict[str, float] = {}
    late = 0
    for item in arrived:
        t = dt.datetime.fromisoformat(item["timestamp"]).timestamp()
        if t < latest.get(item["customer_id"], -math.inf):
            late += 1
        latest[item["customer_id"]] = max(t, latest.get(item["customer_id"], -math.inf))
    return late


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@PROPERTY
@given(
    histories(max_events=80).flatmap(lambda h: st.tuples(st.just(h), late_arrivals(h, LATENESS)))
)
def test_order_within_the_lateness_bound_leaves_decayed_statistics_unchanged(
    pair: tuple[list[Any], list[Any]],
) -> None:
    in_order, arrived = pair
    note(f"late arrivals: {min(3, _late_count(arrived))}{'+' if _late_count(arrived) > 2 else ''}")
    ordered, shuffled = _engine(), _engine()
    assert ordered.ingest(in_order).accepted == len(in_order)
    assert shuffled.ingest(arrived).accepted == len(arrived)
    expected, actual = all_features(ordered), all_features(shuffled)
    assert expected.keys() == actual.keys()
    for key, features in expected.items():
        for name, value in features.items():
            if SPECS[name].order_independent:
                assert _close(actual[key][name], value), (key, name, value, actual[key][name])


@PROPERTY
@given(histories(max_events=80, merchants=200, devices=50))
def test_profiles_stay_within_four_kibibytes(events: list[Any]) -> None:
    engine = _engine()
    engine.ingest(events)
    layouts = build_layouts()
    for (entity, _), data in stored_profiles(engine).items():
        assert len(data) <= 4096
        assert len(data) == layouts[Entity(entity)].serialized_size


def test_a_long_busy_history_stays_within_four_kibibytes() -> None:
    engine = _engine()
    events = [
        {
            "event_id": f"e{i}",
            "type": "transaction",
            "customer_id": "c",
            "timestamp": _iso(i * 600.0),
            "device_id": f"d{i}",
            "location": {"country": ["FR", "DE", "US", "JP", "BR", "ZA", "IN", "AU"][i % 8]},
            "payload": {
                "amount": 1.0 + i,
                "currency": "EUR",
                "direction": "debit",
                "merchant_id": f"m{i}",
            },
        }
        for i in range(5000)
    ]
    engine.ingest(events)
    sizes = {len(d) for d in stored_profiles(engine).values()}
    assert len(stored_profiles(engine)) == 1 + 5000 + 5000  # customer, merchants, devices
    assert max(sizes) <= 4096


def _iso(offset: float) -> str:
    return (dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=offset)).isoformat()
