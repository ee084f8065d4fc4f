"""``rapport audit export``: decisions with their outcomes, policies and models, in JSON Lines
and Parquet, read back equal; an erased customer's decisions exported as erased."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rapport.cli.main import app
from rapport.decisions.record import Decision
from rapport.engine import Engine
from rapport.governance.erasure import erase_customer
from rapport.governance.export import COLUMNS, build_export, read_export, write_export
from tests.governance.erasure_samples import ERASED, PERSONAL, erased_history, other_history
from tests.profiles.samples import at, event

EVERYTHING = (dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))


def _outcomes_for(decisions: list[Decision]) -> list[dict[str, Any]]:
    """One outcome of each joinable type, each answering one of c-kept's decisions."""
    kept = [d for d in decisions if d.customer_id == "c-kept"]
    offer = next(d for d in kept if d.kind == "next_best_action")
    message = next(d for d in kept if d.kind == "communication")
    credit = next(d for d in kept if d.kind == "credit_limit")
    c = "c-kept"
    return [
        event(
            "kept-o2",
            "offer_response",
            {"decision_id": offer.decision_id, "offer_id": "x", "response": "accepted"},
            at(45),
            customer=c,
        ),
        event(
            "kept-m1",
            "message_event",
            {"decision_id": message.decision_id, "status": "opened"},
            at(45, 1),
            customer=c,
        ),
        event(
            "kept-c1",
            "credit_outcome",
            {"account_id": "kept-acct", "status": "current", "decision_id": credit.decision_id},
            at(45, 2),
            customer=c,
        ),
    ]


@pytest.fixture
def history(tmp_path: Path) -> Path:
    db = tmp_path / "rapport.db"
    with Engine(db) as engine:
        events = sorted([*erased_history(), *other_history()], key=lambda e: str(e["timestamp"]))
        _, decisions = engine.ingest_and_decide(events)
        decisions.append(engine.decide("communication", "c-kept"))
        decisions.append(engine.decide("communication", ERASED))
        report = engine.ingest(_outcomes_for(decisions))
        assert report.accepted == 3
        erase_customer(engine, ERASED, actor="dpo")
    return db


def test_export_joins_outcomes_and_names_policies_and_models(history: Path) -> None:
    with Engine(history) as engine:
        export = build_export(engine, *EVERYTHING)
        stored = list(engine.decisions.ledger.scan())
    assert export.header["ledger_verified"] is True
    assert [row["decision_id"] for row in export.decisions] == [s.decision_id for s in stored]
    erased = [row for row in export.decisions if row["erased"]]
    kept = [row for row in export.decisions if not row["erased"]]
    assert erased
    assert kept
    assert export.header["erased"] == len(erased)
    for row in erased:
        assert row["customer_id"] is None
        assert row["inputs"] is None
        assert row["reasons"] is None
        assert row["outcomes"] == []
        assert row["action"]
        assert row["hash"]
    assert all(row["customer_id"] == "c-kept" for row in kept)
    by_type = {o["type"]: row for row in kept for o in row["outcomes"]}
    assert set(by_type) == {"fraud_report", "offer_response", "message_event", "credit_outcome"}
    assert by_type["fraud_report"]["kind"] == "fraud"
    assert by_type["fraud_report"]["trigger_event_id"] == "kept-t5"
    assert by_type["offer_response"]["kind"] == "next_best_action"
    assert by_type["credit_outcome"]["kind"] == "credit_limit"
    offer = next(o for o in by_type["offer_response"]["outcomes"] if o["type"] == "offer_response")
    assert (offer["event_id"], offer["label"]) == ("kept-o2", 1.0)
    assert all(isinstance(row["reasons"], list) for row in kept)
    assert any(row["reasons"] for row in kept)
    assert {row["policy_version"] for row in kept} == set(export.policies)
    assert all("triggers" in text for text in export.policies.values())
    named = {v for row in kept for v in row["model_versions"].values()}
    assert {model["version"] for model in export.models} == named


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_export_round_trips_and_holds_nothing_of_the_erased(
    history: Path, tmp_path: Path, fmt: str
) -> None:
    with Engine(history) as engine:
        export = build_export(engine, *EVERYTHING)
    out = tmp_path / f"audit.{fmt}"
    write_export(export, out, fmt)  # type: ignore[arg-type]
    back = read_export(out)
    assert back.header == json.loads(json.dumps(export.header, default=str))
    assert back.policies == export.policies
    assert back.models == export.models
    assert back.decisions == export.decisions
    assert all(set(row) == set(COLUMNS) for row in back.decisions)
    content = out.read_bytes()
    for identifier in PERSONAL:
        assert identifier.encode() not in content


def test_the_window_is_event_time_and_the_cli_writes_it(history: Path, tmp_path: Path) -> None:
    with Engine(history) as engine:
        everything = build_export(engine, *EVERYTHING).decisions
    times = sorted(dt.datetime.fromisoformat(row["event_time"]) for row in everything)
    middle = times[len(times) // 2]
    day = middle.date().isoformat()
    out = tmp_path / "day.parquet"
    result = CliRunner().invoke(
        app,
        [
            "audit",
            "export",
            "--from",
            day,
            "--to",
            day,
            "--out",
            str(out),
            "--db",
            str(history),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["format"] == "parquet"
    expected = [row for row in everything if row["event_time"][:10] == day]
    assert expected
    assert [row["decision_id"] for row in read_export(out).decisions] == [
        row["decision_id"] for row in expected
    ]
    bad = CliRunner().invoke(
        app, ["audit", "export", "--from", "soon", "--to", day, "--out", str(out)]
    )
    assert bad.exit_code == 2
