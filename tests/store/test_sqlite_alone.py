"""The benchmark's "SQLite alone" row replays what the SQLite store ran: check the replay is it."""

from __future__ import annotations

from pathlib import Path

from benchmarks.report import Timing
from benchmarks.sqlite_alone import measure_sqlite_alone, record
from rapport import Engine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples/events.jsonl"


def _batches() -> list[list[bytes]]:
    lines = [line for line in EXAMPLES.read_bytes().splitlines() if line]
    return [lines[start : start + 500] for start in range(0, len(lines), 500)]


def test_the_recording_holds_each_batchs_lookups_writes_and_commit(tmp_path: Path) -> None:
    batches = _batches()
    statements = record(tmp_path / "recorded.db", batches)
    sql = [s.sql.split()[0].upper() for s in statements]
    assert sql.count("COMMIT") >= len(batches)  # one write transaction per batch, at least
    appended = [s for s in statements if s.sql.startswith("INSERT INTO events")]
    assert sum(len(s.rows) for s in appended) > 0.9 * sum(map(len, batches))


def test_the_replay_writes_the_same_events_and_profiles(tmp_path: Path) -> None:
    batches = _batches()
    engine = Engine(str(tmp_path / "count.db"))
    accepted = sum(engine.ingest(batch).accepted for batch in batches)
    engine.close()
    timing = Timing("replay", accepted)
    # measure_sqlite_alone asserts that each replay holds every event and the same profiles.
    measure_sqlite_alone(tmp_path, 2, batches, timing)
    assert len(timing.wall) == len(timing.cpu) == 2
    assert all(seconds > 0 for seconds in timing.wall)
