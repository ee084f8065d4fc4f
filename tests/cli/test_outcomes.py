"""``rapport outcomes`` lists outcome events that joined no decision, across processes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import invoke, last_json
from tests.profiles.samples import at, event


def test_unjoined_outcomes_are_listed_with_their_reason(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    events = tmp_path / "outcomes.jsonl"
    lines = [
        event(
            "resp-1",
            "offer_response",
            {"decision_id": "dec-unknown", "offer_id": "savings-boost", "response": "accepted"},
            at(1),
        ),
        event("fr-1", "fraud_report", {"transaction_event_id": "tx-9", "is_fraud": True}, at(2)),
    ]
    events.write_text("".join(json.dumps(line) + "\n" for line in lines))
    ingested = invoke(["ingest", events, "--db", db, "--json"])
    assert ingested.exit_code == 0, ingested.output
    assert last_json(ingested)["accepted"] == 2
    listed = invoke(["outcomes", "--db", db, "--json"])
    assert listed.exit_code == 0, listed.output
    report = last_json(listed)
    assert report["unjoined"] == 2
    assert [(o["event_id"], o["type"]) for o in report["outcomes"]] == [
        ("resp-1", "offer_response"),
        ("fr-1", "fraud_report"),
    ]
    assert "dec-unknown" in report["outcomes"][0]["reason"]
    table = invoke(["outcomes", "--db", db])
    assert "2 outcome events joined no decision" in table.output
