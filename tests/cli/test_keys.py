"""`rapport keys create` and `revoke`: the key works with exactly its scopes until revoked."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rapport.api.keys import KeyStore
from rapport.cli.main import app

runner = CliRunner()


def test_a_created_key_has_its_scopes_until_it_is_revoked(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    made = runner.invoke(
        app, ["keys", "create", "--scope", "decide", "--scope", "read", "--db", db, "--json"]
    )
    assert made.exit_code == 0, made.output
    created = json.loads(made.stdout.strip().splitlines()[-1])
    assert created["scopes"] == ["decide", "read"]
    store = KeyStore(db)
    try:
        assert store.scopes(created["secret"]) == {"decide", "read"}
    finally:
        store.close()
    revoked = runner.invoke(app, ["keys", "revoke", created["key_id"], "--db", db])
    assert revoked.exit_code == 0, revoked.output
    store = KeyStore(db)
    try:
        assert store.scopes(created["secret"]) is None
    finally:
        store.close()
    again = runner.invoke(app, ["keys", "revoke", created["key_id"], "--db", db])
    assert again.exit_code == 1


def test_an_unknown_scope_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    refused = runner.invoke(app, ["keys", "create", "--scope", "everything", "--db", db])
    assert refused.exit_code == 2
    assert "everything" in refused.output
    assert not (tmp_path / "k.db").exists()
