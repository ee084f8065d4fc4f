"""The key file: created beside the data, never needed to verify, and never silently replaced."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli.main import app
from rapport.engine import Engine
from rapport.store.keys import KeyFileMissingError
from rapport.store.sqlite import LegacyStoreError
from tests.governance.erasure_samples import other_history


def _history(db: Path) -> None:
    with Engine(db) as engine:
        engine.ingest_and_decide(other_history())


def test_the_chain_verifies_without_the_key_file(tmp_path: Path) -> None:
    db = tmp_path / "rapport.db"
    _history(db)
    keys = tmp_path / "rapport.keys.db"
    keys.rename(tmp_path / "elsewhere.db")  # an auditor gets the data file alone
    result = CliRunner().invoke(app, ["audit", "verify", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["ok"] is True
    assert not keys.exists()


def test_sealed_data_without_its_key_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "rapport.db"
    _history(db)
    (tmp_path / "rapport.keys.db").unlink()
    with pytest.raises(KeyFileMissingError, match="restore the key file"):
        Engine(db)
    assert not (tmp_path / "rapport.keys.db").exists()


def test_a_store_written_in_clear_by_an_earlier_rapport_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as connection:
        connection.executescript(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, "
            "type TEXT NOT NULL, customer_id TEXT NOT NULL, time REAL NOT NULL, merchant_id TEXT, "
            "digest TEXT NOT NULL, body BLOB NOT NULL);"
            "INSERT INTO events (event_id, type, customer_id, time, digest, body) "
            "VALUES ('e1', 'login', 'c1', 1.0, 'd', X'7B7D');"
        )
    with pytest.raises(LegacyStoreError, match="in clear"):
        Engine(db)
