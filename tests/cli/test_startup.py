"""Every `rapport` command imports the whole CLI; the heavy libraries (each a large part of a
second) are imported by the commands and code paths that use them, not at start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("sklearn", "lightgbm", "matplotlib", "fastapi", "fairlearn", "scipy")


def heavy_libraries_after(code: str) -> list[str]:
    """The heavy libraries a fresh interpreter has imported once it has run ``code``."""
    listed = f"sorted(m for m in {HEAVY!r} if m in sys.modules)"
    probe = f"{code}; import json, sys; print(json.dumps({listed}))"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    loaded: list[str] = json.loads(out.strip().splitlines()[-1])
    return loaded


def test_the_cli_starts_without_the_heavy_libraries() -> None:
    assert heavy_libraries_after("import rapport.cli.main") == []


def test_ingesting_outcomes_does_not_import_the_training_libraries(tmp_path: Path) -> None:
    """An outcome brings up the learning loop and its learners; LightGBM and scikit-learn wait
    for the first training or the first model loaded (about a second of every `rapport ingest`)."""
    transaction = {
        "event_id": "evt-1",
        "type": "transaction",
        "customer_id": "cust-1",
        "timestamp": "2026-06-01T01:00:46+01:00",
        "channel": "card_present",
        "payload": {"amount": 15.0, "currency": "GBP", "direction": "debit", "merchant_id": "m-1"},
    }
    report = {
        "event_id": "evt-2",
        "type": "fraud_report",
        "customer_id": "cust-1",
        "timestamp": "2026-06-02T11:23:41+02:00",
        "channel": "phone",
        "payload": {"transaction_event_id": "evt-1", "is_fraud": True},
    }
    probe = (
        "from rapport import Engine; "
        f"engine = Engine({str(tmp_path / 'r.db')!r}); "
        f"report = engine.ingest([{json.dumps(transaction)!r}, {json.dumps(report)!r}]); "
        "assert report.accepted == 2, report; "
        "assert engine.learning.counts.unjoined == 1, engine.learning.counts"
    )
    assert heavy_libraries_after(probe) == []
