"""The ``rapport`` command line against real SQLite files: ingest, profile, backfill, demo."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from rapport import Engine
from rapport.cli.main import app
from rapport.profiles import Entity, build_layouts
from rapport.profiles.native import kernels

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "events.jsonl"
FEATURES = [spec.name for spec in build_layouts()[Entity.CUSTOMER].specs]
META_COLUMNS = ["event_id", "customer_id", "event_type", "timestamp"]
START = dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
CUSTOMERS = ("c-1", "c-2", "c-3")
DAYS = 10

runner = CliRunner()


@dataclass(frozen=True)
class Line:
    """One line of the test file and the verdict it must get."""

    text: str
    status: str
    code: str | None = None
    event_id: str | None = None
    customer_id: str | None = None
    time: dt.datetime | None = None


def _event(
    event_id: str, customer: str, when: dt.datetime, kind: str, **payload: Any
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": kind,
        "customer_id": customer,
        "timestamp": when.isoformat(),
        "channel": "card_present" if kind == "transaction" else "mobile",
        "payload": payload,
    }


def _good(obj: dict[str, Any], text: str | None = None) -> Line:
    when = dt.datetime.fromisoformat(obj["timestamp"])
    line = json.dumps(obj) if text is None else text
    return Line(line, "accepted", None, obj["event_id"], obj["customer_id"], when)


def _sample_lines() -> list[Line]:
    """Ten days of three customers, with re-sends, conflicts, bad, late and too-late lines."""
    lines: list[Line] = []
    sent: dict[str, dict[str, Any]] = {}
    for day in range(DAYS):
        for n, customer in enumerate(CUSTOMERS, start=1):
            when = START + dt.timedelta(days=day, hours=3 * n, minutes=7 * day)
            txn = _event(
                f"t-{customer}-{day}",
                customer,
                when,
                "transaction",
                amount=round(12.5 * n + 3.3 * day, 2),
                currency="EUR",
                direction="debit" if day % 4 else "credit",
                merchant_id=f"m-{(day + n) % 4}",
                mcc="5411" if day % 2 else "5812",
            )
            login = _event(
                f"l-{customer}-{day}",
                customer,
                when + dt.timedelta(minutes=45),
                "login",
                success=day % 5 != 3,
            )
            for obj in (txn, login):
                sent[obj["event_id"]] = obj
                lines.append(_good(obj))
        if day == 3:
            original = sent["t-c-1-1"]
            lines.append(Line(json.dumps(original), "duplicate", None, "t-c-1-1"))
            compact = json.dumps(original, sort_keys=True, separators=(",", ":"))
            lines.append(Line(compact, "duplicate", None, "t-c-1-1"))
        if day == 5:
            changed = {**sent["t-c-2-2"], "payload": {**sent["t-c-2-2"]["payload"], "amount": 999}}
            lines.append(Line(json.dumps(changed), "rejected", "event_id_conflict", "t-c-2-2"))
        if day == 6:
            lines.append(Line('{"event_id": "broken", "type": "log', "rejected", "malformed_json"))
            chargeback = {**sent["t-c-1-6"], "event_id": "cb-1", "type": "chargeback"}
            lines.append(Line(json.dumps(chargeback), "rejected", "unknown_event_type"))
            negative = {**sent["t-c-2-6"], "event_id": "neg-1"}
            negative["payload"] = {**negative["payload"], "amount": -5}
            lines.append(Line(json.dumps(negative), "rejected", "invalid_field"))
        if day == 8:
            latest_c3 = dt.datetime.fromisoformat(sent["l-c-3-8"]["timestamp"])
            late = _event(
                "late-c-3",
                "c-3",
                latest_c3 - dt.timedelta(hours=30),
                "page_view",
                session_id="s-9",
                page="/help/hardship",
            )
            lines.append(_good(late))
            too_late = _event("too-late-c-1", "c-1", START, "login", success=True)
            lines.append(Line(json.dumps(too_late), "rejected", "too_late", "too-late-c-1"))
    return lines


SAMPLE = _sample_lines()


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(line.text + "\n" for line in SAMPLE))
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "r.db"


def invoke(args: Sequence[str | Path]) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def last_json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines, result.output
    parsed = json.loads(lines[-1])
    assert isinstance(parsed, dict)
    return parsed


def _expected(lines: Sequence[Line]) -> Counter[str]:
    return Counter(line.status for line in lines)


def _accepted(lines: Sequence[Line]) -> list[Line]:
    return [line for line in lines if line.status == "accepted"]


# --- ingest -----------------------------------------------------------------------------------


def test_the_sample_file_has_every_kind_of_line() -> None:
    counts = _expected(SAMPLE)
    assert counts == {"accepted": 2 * DAYS * len(CUSTOMERS) + 1, "duplicate": 2, "rejected": 5}


def test_ingest_says_when_the_slower_python_fold_is_in_use(
    events_file: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install without a C compiler works, and says why it is slower."""
    monkeypatch.setattr("rapport.cli.ingest.kernels", None)
    assert last_json(invoke(["ingest", events_file, "--db", db, "--json"]))["fold"] == "python"
    output = invoke(["ingest", events_file, "--db", db]).output
    assert "C kernels are not built" in " ".join(output.split())


def test_ingest_counts_every_line(events_file: Path, db: Path) -> None:
    summary = last_json(invoke(["ingest", events_file, "--db", db, "--json"]))

    expected = _expected(SAMPLE)
    assert summary["received"] == len(SAMPLE)
    assert summary["accepted"] == expected["accepted"]
    assert summary["duplicates"] == expected["duplicate"]
    assert summary["rejected"] == expected["rejected"]
    assert summary["rejections"] == dict(Counter(line.code for line in SAMPLE if line.code))
    assert summary["fold"] == ("python" if kernels is None else "compiled")
    with Engine(db) as engine:
        assert engine.stores.events.count() == expected["accepted"]
        letters = engine.dead_letters(100)
    rejected = [line.text for line in SAMPLE if line.status == "rejected"]
    assert sorted(letter.raw for letter in letters) == sorted(rejected)


def test_ingesting_the_same_file_twice_gives_duplicates(events_file: Path, db: Path) -> None:
    first = last_json(invoke(["ingest", events_file, "--db", db, "--json"]))

    second = last_json(invoke(["ingest", events_file, "--db", db, "--json"]))

    assert second["accepted"] == 0
    assert second["duplicates"] == first["accepted"] + first["duplicates"]
    assert second["rejected"] == first["rejected"]
    with Engine(db) as engine:
        assert engine.stores.events.count() == first["accepted"]
        assert engine.stores.dead_letters.count() == 2 * first["rejected"]


def test_a_clean_file_ingested_twice_is_all_duplicates(tmp_path: Path, db: Path) -> None:
    path = tmp_path / "clean.jsonl"
    path.write_text("".join(line.text + "\n" for line in _accepted(SAMPLE)))
    n = len(_accepted(SAMPLE))

    first = last_json(invoke(["ingest", path, "--db", db, "--json"]))
    second = last_json(invoke(["ingest", path, "--db", db, "--json"]))

    assert (first["accepted"], first["duplicates"], first["rejected"]) == (n, 0, 0)
    assert (second["accepted"], second["duplicates"], second["rejected"]) == (0, n, 0)


def test_ingest_writes_one_verdict_per_line(events_file: Path, db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"

    last_json(invoke(["ingest", events_file, "--db", db, "--json", "--verdicts", out]))

    verdicts = [json.loads(text) for text in out.read_text().splitlines()]
    assert len(verdicts) == len(SAMPLE)
    assert [v["index"] for v in verdicts] == list(range(len(SAMPLE)))
    for verdict, line in zip(verdicts, SAMPLE, strict=True):
        assert verdict["status"] == line.status, (verdict, line.text)
        assert verdict.get("code") == line.code
        if line.event_id is not None:
            assert verdict["event_id"] == line.event_id
        if line.status == "rejected":
            assert verdict["reason"]
            assert "field" in verdict


def test_ingest_verdict_indexes_span_batches(tmp_path: Path, db: Path) -> None:
    """Indexes continue across the command's internal batches (here 1,000 lines each)."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    texts = [
        json.dumps(
            _event(f"e-{i}", f"c-{i % 7}", start + dt.timedelta(minutes=i), "login", success=True)
        )
        for i in range(5_003)
    ]
    texts[5_001] = "not json"
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(texts) + "\n")
    out = tmp_path / "out.jsonl"

    command: list[str | Path] = [
        *("ingest", path, "--db", db, "--json", "--verdicts", out, "--batch-size", "1000")
    ]
    summary = last_json(invoke(command))

    assert (summary["accepted"], summary["rejected"]) == (5_002, 1)
    verdicts = [json.loads(text) for text in out.read_text().splitlines()]
    assert [v["index"] for v in verdicts] == list(range(5_003))
    assert verdicts[5_001]["status"] == "rejected"
    assert verdicts[5_002]["event_id"] == "e-5002"


def test_ingest_skips_blank_lines(tmp_path: Path, db: Path) -> None:
    path = tmp_path / "blank.jsonl"
    good = [line.text for line in _accepted(SAMPLE)[:3]]
    path.write_text(f"{good[0]}\n\n   \n{good[1]}\n{good[2]}")

    summary = last_json(invoke(["ingest", path, "--db", db, "--json"]))

    assert (summary["received"], summary["accepted"]) == (3, 3)


def test_ingest_of_a_missing_file_fails_clearly(tmp_path: Path, db: Path) -> None:
    # Wide enough that the error box never breaks the message, whatever the temporary path.
    result = runner.invoke(
        app, ["ingest", str(tmp_path / "nope.jsonl"), "--db", str(db)], env={"COLUMNS": "400"}
    )

    assert result.exit_code != 0
    assert "does not exist" in result.output


def test_ingest_without_json_prints_a_table(events_file: Path, db: Path) -> None:
    result = invoke(["ingest", events_file, "--db", db])

    assert result.exit_code == 0, result.output
    assert "accepted" in result.stdout
    assert "event_id_conflict" in result.stdout


# --- profile ----------------------------------------------------------------------------------


def test_profile_json(events_file: Path, db: Path) -> None:
    last_json(invoke(["ingest", events_file, "--db", db, "--json"]))

    found = last_json(invoke(["profile", "c-3", "--db", db, "--json"]))

    own = [line for line in _accepted(SAMPLE) if line.customer_id == "c-3"]
    assert found["entity"] == "customer"
    assert found["entity_id"] == "c-3"
    assert found["event_count"] == len(own)
    latest = max(line.time for line in own if line.time is not None)
    assert dt.datetime.fromisoformat(found["as_of"]) == latest
    assert list(found["features"]) == FEATURES
    for name, feature in found["features"].items():
        assert set(feature) == {"value", "unit", "description"}, name
        assert isinstance(feature["value"], float)
        assert feature["unit"]
        assert feature["description"]
    with Engine(db) as engine:
        assert found == json.loads(json.dumps(engine.profile("c-3").to_dict()))


def test_profile_of_an_unknown_customer_fails_clearly(events_file: Path, db: Path) -> None:
    last_json(invoke(["ingest", events_file, "--db", db, "--json"]))

    result = invoke(["profile", "nobody-42", "--db", db, "--json"])

    assert result.exit_code != 0
    assert "nobody-42" in result.output
    assert "no events" in result.output


def test_profile_at_an_earlier_time_replays(events_file: Path, db: Path) -> None:
    last_json(invoke(["ingest", events_file, "--db", db, "--json"]))
    latest = last_json(invoke(["profile", "c-1", "--db", db, "--json"]))
    at = START + dt.timedelta(days=4, hours=12)

    earlier = last_json(invoke(["profile", "c-1", "--db", db, "--json", "--at", at.isoformat()]))

    own = [line for line in _accepted(SAMPLE) if line.customer_id == "c-1"]
    assert latest["event_count"] == len(own)
    before = [line for line in own if line.time is not None and line.time <= at]
    assert earlier["event_count"] == len(before) < latest["event_count"]
    assert dt.datetime.fromisoformat(earlier["as_of"]) == at
    assert earlier["features"] != latest["features"]


def test_profile_at_without_a_zone_fails_clearly(events_file: Path, db: Path) -> None:
    last_json(invoke(["ingest", events_file, "--db", db, "--json"]))

    result = invoke(["profile", "c-1", "--db", db, "--at", "2026-04-03T12:00:00"])

    assert result.exit_code != 0
    assert "zone" in result.output


# --- backfill ---------------------------------------------------------------------------------


def _backfill(events_file: Path, tmp_path: Path) -> list[dict[str, Any]]:
    out = tmp_path / "f.parquet"
    summary = last_json(invoke(["backfill", events_file, "--out", out, "--json"]))
    expected = _expected(SAMPLE)
    assert summary["received"] == len(SAMPLE)
    assert summary["rows"] == expected["accepted"]
    assert summary["duplicates"] == expected["duplicate"]
    assert summary["rejected"] == expected["rejected"]
    table = pq.read_table(out)
    assert table.column_names == META_COLUMNS + FEATURES
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def test_backfill_writes_one_row_per_accepted_event(events_file: Path, tmp_path: Path) -> None:
    rows = _backfill(events_file, tmp_path)

    accepted = _accepted(SAMPLE)
    assert len(rows) == len(accepted)
    assert [r["event_id"] for r in rows] == [line.event_id for line in accepted]
    assert [r["customer_id"] for r in rows] == [line.customer_id for line in accepted]
    assert {r["event_type"] for r in rows} == {"transaction", "login", "page_view"}
    for row, line in zip(rows, accepted, strict=True):
        assert line.time is not None
        assert row["timestamp"] == line.time
        assert all(isinstance(row[name], float) for name in FEATURES)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _mismatches(row: dict[str, Any], values: dict[str, float]) -> dict[str, tuple[float, float]]:
    return {n: (row[n], values[n]) for n in FEATURES if not _close(row[n], values[n])}


def test_backfill_is_point_in_time_correct(events_file: Path, tmp_path: Path) -> None:
    """Each row equals what a live engine fed exactly the earlier lines serves at that time."""
    rows = {r["event_id"]: r for r in _backfill(events_file, tmp_path)}
    latest: dict[str, dt.datetime] = {}
    checked = 0
    for position, line in enumerate(SAMPLE):
        if line.status != "accepted" or line.customer_id is None or line.time is None:
            continue
        previous = latest.get(line.customer_id)
        latest[line.customer_id] = max(line.time, previous or line.time)
        if previous is None or line.time < previous:
            continue  # first and late events: see the tests below
        if position % 3:
            continue  # a fresh engine per row is quadratic: check every third line
        row = rows[line.event_id]
        with Engine("memory://") as engine:
            engine.ingest([earlier.text for earlier in SAMPLE[:position]])
            served = engine.profile(line.customer_id, at=line.time)
        assert served.as_of == line.time
        assert _mismatches(row, served.values()) == {}, line.event_id
        checked += 1
    assert checked >= 15


def test_backfill_of_a_late_event_serves_what_the_engine_knew(
    events_file: Path, tmp_path: Path
) -> None:
    """A late event's row holds the state it arrived to (later events included), read at the
    customer's latest time, because that is what a live decision on arrival would have seen."""
    rows = {r["event_id"]: r for r in _backfill(events_file, tmp_path)}
    position = next(i for i, line in enumerate(SAMPLE) if line.event_id == "late-c-3")

    with Engine("memory://") as engine:
        engine.ingest([earlier.text for earlier in SAMPLE[:position]])
        served = engine.profile("c-3")

    assert _mismatches(rows["late-c-3"], served.values()) == {}


def test_backfill_first_row_of_a_customer_is_blank(events_file: Path, tmp_path: Path) -> None:
    rows = _backfill(events_file, tmp_path)
    firsts: dict[str, dict[str, Any]] = {}
    for row in rows:
        firsts.setdefault(row["customer_id"], row)

    for customer, row in firsts.items():
        assert {n: row[n] for n in FEATURES if row[n] != 0.0} == {}, customer


# --- demo -------------------------------------------------------------------------------------


def test_demo_runs_and_prints_dead_letter_reasons(tmp_path: Path) -> None:
    with Engine("memory://") as engine:
        texts = [line for line in EXAMPLES.read_bytes().splitlines() if line.strip()]
        report = engine.ingest(texts)
        letters = engine.dead_letters(10)
    assert letters, "the example file should contain bad lines for the demo to show"

    result = invoke(["demo", "--events", EXAMPLES, "--db", tmp_path / "tmp" / "demo.db"])

    assert result.exit_code == 0, result.output
    printed = " ".join(result.stdout.split())
    assert f"dead-lettered {report.rejected} bad lines" in printed
    for letter in letters:
        assert letter.code in printed
        assert " ".join(letter.reason.split()) in printed
    assert (tmp_path / "tmp" / "demo.db").exists()


def test_dead_letters_lists_what_was_rejected(tmp_path: Path, db: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = _accepted(SAMPLE)[0].text
    path.write_text("\n".join([good, "{oops", '{"type": "chargeback"}']) + "\n")
    assert invoke(["ingest", path, "--db", db]).exit_code == 0

    listed = last_json(invoke(["dead-letters", "--db", db, "--json"]))

    assert listed["total"] == 2
    assert [d["code"] for d in listed["dead_letters"]] == ["unknown_event_type", "malformed_json"]
    assert listed["dead_letters"][1]["raw"] == "{oops"
    table = invoke(["dead-letters", "--db", db])
    assert table.exit_code == 0
    assert "2 dead letters" in table.stdout
