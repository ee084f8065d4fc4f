"""``Engine.ingest`` looks a batch's ids up in the log only when a logged id is likely.

While batches come in with none of their ids logged before, the log's refusal of a logged id
(which undoes the whole write) is the check; a refused batch is folded again after a lookup. The
verdicts, profiles and dead letters must be those of looking every batch up.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest

from rapport import Engine
from rapport.store.protocols import EventRecord

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _login(event_id: str, hours: float, customer: str = "c1", success: bool = True) -> bytes:
    when = (START + dt.timedelta(hours=hours)).isoformat()
    event: dict[str, Any] = {
        "event_id": event_id,
        "type": "login",
        "customer_id": customer,
        "timestamp": when,
        "channel": "mobile",
        "device_id": f"d-{customer}",
        "payload": {"success": success, "auth_method": "otp"},
    }
    return json.dumps(event).encode()


class _Spy:
    """Counts the event log's lookups of ids (not the empty lookups of fraud-report links)."""

    def __init__(self, engine: Engine) -> None:
        self.calls: list[set[str]] = []
        lookup = engine.stores.events.lookup

        def spied(event_ids: Collection[str]) -> dict[str, EventRecord]:
            if event_ids:
                self.calls.append(set(event_ids))
            return lookup(event_ids)

        engine.stores.events.lookup = spied  # type: ignore[method-assign]


@pytest.fixture(params=["memory", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    url = "memory://" if request.param == "memory" else str(tmp_path / "rapport.db")
    return Engine(url)


def _statuses(engine: Engine, batch: list[bytes]) -> list[str]:
    return [v.status for v in engine.ingest(batch).verdicts]


def test_new_batches_are_not_looked_up(engine: Engine) -> None:
    spy = _Spy(engine)
    for start in range(0, 30, 10):
        batch = [_login(f"e{i}", i) for i in range(start, start + 10)]
        assert _statuses(engine, batch) == ["accepted"] * 10
    assert spy.calls == []


def test_a_resent_batch_is_refused_by_the_log_then_looked_up(engine: Engine) -> None:
    first = [_login(f"e{i}", i) for i in range(10)]
    engine.ingest(first)
    before = engine.profile("c1").values()  # as of e9, its latest event
    letters = engine.stores.dead_letters.count()
    spy = _Spy(engine)
    assert _statuses(engine, first) == ["duplicate"] * 10
    assert spy.calls == [{f"e{i}" for i in range(10)}]  # after the log refused the write
    assert _statuses(engine, first) == ["duplicate"] * 10  # looked up at once this time
    fresh = [_login(f"e{i}", i) for i in range(10, 20)]
    assert _statuses(engine, fresh) == ["accepted"] * 10  # looked up: the last one had some
    assert _statuses(engine, [_login("e20", 20)]) == ["accepted"]  # not looked up
    assert len(spy.calls) == 3
    assert engine.stores.dead_letters.count() == letters
    assert engine.stores.events.count() == 21
    assert engine.profile("c1", at=START + dt.timedelta(hours=9)).values() == before


def test_a_resent_event_too_late_to_fold_is_still_a_duplicate(engine: Engine) -> None:
    engine.ingest([_login("old", 0)])
    engine.ingest([_login("new", 24 * 30)])  # a month on: "old" is far past the lateness bound
    letters = engine.stores.dead_letters.count()
    report = engine.ingest([_login("old", 0), _login("older", 1)])
    assert [(v.status, v.code) for v in report.verdicts] == [
        ("duplicate", None),
        ("rejected", "too_late"),
    ]
    assert engine.stores.dead_letters.count() == letters + 1


def test_an_id_sent_again_with_other_content_is_a_conflict(engine: Engine) -> None:
    engine.ingest([_login("e1", 0)])
    report = engine.ingest([_login("e2", 1), _login("e1", 2, success=False)])
    assert [(v.status, v.code) for v in report.verdicts] == [
        ("accepted", None),
        ("rejected", "event_id_conflict"),
    ]
    assert engine.stores.events.count() == 2


def test_the_pipelined_ingest_folds_the_same_way(tmp_path: Path) -> None:
    """``ingest_batches`` (a second process writing) folds without the lookup too; a batch the
    writer refuses is ingested again, looked up, with the same verdicts."""
    first = [_login(f"e{i}", i) for i in range(10)]
    fresh = [_login(f"e{i}", i) for i in range(10, 20)]
    more = [_login(f"e{i}", i) for i in range(20, 30)]
    with Engine(str(tmp_path / "rapport.db")) as engine:
        spy = _Spy(engine)
        # The re-sent batch is folded while "fresh" is being written: its ids are in the log
        # already, not in the pending write, so only the log's refusal can catch them.
        reports = list(engine.ingest_batches([first, fresh, first, more]))
        assert [[v.status for v in r.verdicts] for r in reports] == [
            ["accepted"] * 10,
            ["accepted"] * 10,
            ["duplicate"] * 10,
            ["accepted"] * 10,
        ]
        assert engine.pipeline_refolds == 1  # the re-sent batch, refused by the log
        assert {f"e{i}" for i in range(10)} in spy.calls  # looked up once refused
        assert engine.stores.events.count() == 30
