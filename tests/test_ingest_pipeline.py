"""``Engine.ingest_batches`` (each write overlapping the next batch's reads and fold) gives what
``ingest`` gives batch by batch: the same verdicts, profiles, log and dead letters; a report only
once its batch is stored; and no lost update when another writer gets in between."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport import Engine, EngineConfig
from rapport.events.validation import RawEvent
from rapport.results import IngestReport
from rapport.store.postgres import drop_schema
from rapport.store.protocols import ProfileKey
from tests.conformance.backends import skip_or_fail
from tests.conformance.services import postgres_missing, redis_missing, scale_out_url
from tests.strategies import histories

LATENESS = 2 * 86400.0
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "events.jsonl"


def _config(url: str) -> EngineConfig:
    return EngineConfig(store_url=url, allowed_lateness_seconds=LATENESS)


def _decoded(lines: list[bytes]) -> list[dict[str, Any]]:
    """The lines that are JSON objects (the example file has a few broken ones on purpose)."""
    found = []
    for line in lines:
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def _keys(raws: Sequence[RawEvent]) -> list[ProfileKey]:
    """Every profile the events could touch."""
    keys: set[ProfileKey] = set()
    for raw in raws:
        if not isinstance(raw, dict):
            continue
        keys.add(("customer", raw["customer_id"]))
        if raw.get("device_id"):
            keys.add(("device", raw["device_id"]))
        merchant = raw.get("payload", {}).get("merchant_id")
        if merchant:
            keys.add(("merchant", merchant))
    return sorted(keys)


def _what_is_stored(engine: Engine, raws: Sequence[RawEvent]) -> dict[str, Any]:
    profiles = engine.stores.profiles.get_many(_keys(raws))
    return {
        "profiles": {key: (row.data, row.version) for key, row in profiles.items()},
        "log": list(engine.stores.events.scan()),
        "dead letters": [
            dataclasses.replace(letter, received_at=0.0) for letter in engine.dead_letters(10_000)
        ],
    }


def _verdicts(reports: list[IngestReport]) -> list[list[tuple[Any, ...]]]:
    return [[(v.index, v.status, v.event_id, v.code) for v in r.verdicts] for r in reports]


def _both_ways(
    batches: list[list[RawEvent]], sequential: Engine, pipelined: Engine
) -> tuple[list[IngestReport], list[IngestReport]]:
    one_by_one = [sequential.ingest(batch) for batch in batches]
    overlapped = list(pipelined.ingest_batches(batches))
    return one_by_one, overlapped


@st.composite
def _awkward_batches(draw: st.DrawFn) -> list[list[RawEvent]]:
    """A history cut into batches, with events re-sent, ids reused for other content, events
    later than the bound and lines that are not JSON, anywhere."""
    events: list[RawEvent] = list(draw(histories(max_events=40)))
    dicts = [e for e in events if isinstance(e, dict)]
    for _ in range(draw(st.integers(0, 6))):
        original = draw(st.sampled_from(dicts))
        kind = draw(st.sampled_from(["resent", "conflict", "late", "invalid"]))
        if kind == "resent":
            extra: RawEvent = dict(original)
        elif kind == "conflict":
            extra = {
                **original,
                "channel": "branch" if original.get("channel") != "branch" else "atm",
            }
        elif kind == "late":
            extra = {**original, "event_id": f"{original['event_id']}-late"}
        else:
            extra = "{not json"
        events.insert(draw(st.integers(len(events) // 2, len(events))), extra)
    size = draw(st.integers(1, 8))
    return [events[i : i + size] for i in range(0, len(events), size)]


@settings(
    max_examples=12,  # each example starts a writer process
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(batches=_awkward_batches())
def test_overlapped_ingest_stores_what_batch_by_batch_ingest_stores(
    batches: list[list[RawEvent]],
) -> None:
    with tempfile.TemporaryDirectory(prefix="rapport-pipeline-") as tmp:
        one, two = str(Path(tmp) / "one.db"), str(Path(tmp) / "two.db")
        with Engine(one, _config(one)) as sequential, Engine(two, _config(two)) as pipelined:
            one_by_one, overlapped = _both_ways(batches, sequential, pipelined)
            assert _verdicts(overlapped) == _verdicts(one_by_one)
            raws = [raw for batch in batches for raw in batch]
            assert _what_is_stored(pipelined, raws) == _what_is_stored(sequential, raws)


def test_a_store_no_other_process_can_open_is_ingested_batch_by_batch() -> None:
    lines: list[RawEvent] = [*EXAMPLES.read_bytes().splitlines()[:300]]
    batches = [lines[i : i + 100] for i in range(0, 300, 100)]
    sequential, pipelined = (Engine("memory://", _config("memory://")) for _ in range(2))
    one_by_one, overlapped = _both_ways(batches, sequential, pipelined)
    assert _verdicts(overlapped) == _verdicts(one_by_one)
    assert _what_is_stored(pipelined, lines) == _what_is_stored(sequential, lines)


@pytest.fixture(params=["sqlite", "postgresql+redis"])
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty stores of one kind: one for each way of ingesting."""
    if request.param == "sqlite":
        yield str(tmp_path / "one.db"), str(tmp_path / "two.db")
        return
    missing = postgres_missing() or redis_missing()
    if missing:
        skip_or_fail(missing)
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
    urls = tuple(scale_out_url(tmp_path / n, redis_profiles=True, name=n) for n in ("one", "two"))
    yield urls[0], urls[1]
    for url in urls:
        drop_schema(url)


def test_a_real_file_gives_the_same_stores(two_stores: tuple[str, str]) -> None:
    lines = [line for line in EXAMPLES.read_bytes().splitlines() if line]
    # Re-sent lines far behind and in the very next batch (whose first copies are not written
    # yet when it is folded), and one line that is not JSON.
    lines = [*lines[:3000], *lines[100:400], b"{not json", *lines[3000:]]
    cut = [lines[i : i + 700] for i in range(0, len(lines), 700)]
    batches: list[list[RawEvent]] = [[*cut[0]]]
    batches += [[*before[-20:], *batch] for before, batch in itertools.pairwise(cut)]
    one, two = two_stores
    with Engine(one, _config(one)) as sequential, Engine(two, _config(two)) as pipelined:
        one_by_one, overlapped = _both_ways(batches, sequential, pipelined)
        assert _verdicts(overlapped) == _verdicts(one_by_one)
        # Every batch saw the one before it through the overlay: none was folded twice.
        assert pipelined.pipeline_refolds == 0
        assert sum(r.duplicates for r in overlapped) == sum(r.duplicates for r in one_by_one)
        # The example file re-sends a few events itself.
        assert sum(r.duplicates for r in overlapped) >= 300 + 20 * (len(cut) - 1)
        raws = _decoded(lines)
        assert _what_is_stored(pipelined, raws) == _what_is_stored(sequential, raws)


def test_nothing_after_a_failed_write_is_written_or_reported(tmp_path: Path) -> None:
    db = tmp_path / "failing.db"
    lines = [line for line in EXAMPLES.read_bytes().splitlines() if line][:500]
    batches: list[list[RawEvent]] = [[*lines[i : i + 100]] for i in range(0, 500, 100)]
    with Engine(db, _config(str(db))) as engine:
        # The file refuses a third batch's events, as a full disk would refuse its pages.
        engine.stores.events.append([])  # (the tables exist once the engine is open)
        with sqlite3.connect(db) as connection:
            connection.execute(
                "CREATE TRIGGER refuse_more AFTER INSERT ON events WHEN NEW.seq > 200 "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        connection.close()
        reports: list[IngestReport] = []

        def ingest_all() -> None:
            reports.extend(engine.ingest_batches(batches))

        with pytest.raises(sqlite3.IntegrityError, match="disk is full"):
            ingest_all()
        assert len(reports) == 2
        logged = [record.event_id for record in engine.stores.events.scan()]
        accepted = [v.event_id for r in reports for v in r.verdicts if v.status == "accepted"]
        assert logged == accepted
        assert len(logged) == 200


def test_a_profile_another_writer_updates_meanwhile_loses_no_event(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    events = _decoded([line for line in EXAMPLES.read_bytes().splitlines() if line][:1200])
    customer = events[0]["customer_id"]
    batches: list[list[RawEvent]] = [[*events[i : i + 300]] for i in range(0, len(events), 300)]
    with Engine(db, _config(str(db))) as ours, Engine(db, _config(str(db))) as theirs:
        other = {
            "event_id": "evt-from-another-writer",
            "type": "login",
            "customer_id": customer,
            "timestamp": events[0]["timestamp"],  # not making any of ours late
            "payload": {"success": True},
        }

        # The other writer holds the file's write lock from the start, so our first write
        # waits for it whatever the timing.
        held = contextlib.ExitStack()
        held.enter_context(theirs.stores.transaction())

        def batches_with_a_write_between() -> Iterator[list[RawEvent]]:
            yield batches[0]
            # Batch 0 is read and folded, and its write is waiting: the other writer stores the
            # same customer first, then lets go of the lock.
            assert theirs.ingest([other]).accepted == 1
            held.close()
            yield from batches[1:]

        reports = list(ours.ingest_batches(batches_with_a_write_between()))
        assert ours.pipeline_refolds == 1
    with Engine(tmp_path / "alone.db", _config(str(tmp_path / "alone.db"))) as alone:
        expected = [alone.ingest(batch) for batch in batches]
    assert _verdicts(reports) == _verdicts(expected)
    accepted = {v.event_id for r in reports for v in r.verdicts if v.status == "accepted"}
    mine = sum(1 for e in events if e["customer_id"] == customer and e["event_id"] in accepted)
    with Engine(db, _config(str(db))) as reopened:
        assert reopened.profile(customer).event_count == mine + 1
        assert len(list(reopened.stores.events.scan(customer))) == mine + 1
