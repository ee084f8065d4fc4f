"""The key file: created beside the data, never needed to verify, and never silently replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli.main import app
from rapport.engine import Engine
from rapport.store.keys import KeyFileMissingError
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
