"""The serving process's background checkpointer keeps the WAL copied back."""

from __future__ import annotations

import time
from pathlib import Path

from rapport.store.checkpoint import Checkpointer, sqlite_path
from rapport.store.connect import connect


def test_the_log_is_checkpointed_without_any_commit_doing_it(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    writer = connect(db)
    # Commits alone never checkpoint here: the threshold is out of reach.
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (x BLOB)")
    for _ in range(200):
        writer.execute("INSERT INTO t VALUES (randomblob(2000))")
    probe = connect(db)
    assert Path(f"{db}-wal").stat().st_size > 200 * 2000
    checkpointer = Checkpointer(db, every_seconds=0.02)
    try:
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpointer.checkpoints >= 2
        # Every frame of the log is now in the database file: nothing left to copy.
        busy, frames, copied = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert (busy, frames - copied) == (0, 0)
        assert frames > 0
    finally:
        checkpointer.close()
        writer.close()
        probe.close()


def test_only_sqlite_files_get_a_checkpointer() -> None:
    assert sqlite_path("memory://") is None
    assert sqlite_path("sqlite:///var/rapport.db") == "var/rapport.db"
    assert sqlite_path("./rapport.db") == "./rapport.db"
