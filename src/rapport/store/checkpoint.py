"""A background checkpointer for a serving process.

In WAL mode, SQLite copies the log back into the database file (a checkpoint, with its disk
syncs) inside whichever commit finds the log past its mark (``rapport.store.connect``: 10,000
pages). Under ``rapport serve`` that commit is a decision request's ledger append, and every
request queued behind it waits. A thread checkpointing a few times a second keeps the log far
below the mark, so no request ever checkpoints; sqlite3 releases the GIL while it works.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from rapport.store.connect import connect
from rapport.store.urls import local_url

log = logging.getLogger("rapport.store")


class Checkpointer:
    def __init__(self, path: str | Path, every_seconds: float = 0.25) -> None:
        self._connection = connect(path)
        self._every = every_seconds
        self._stop = threading.Event()
        self.checkpoints = 0
        self._thread = threading.Thread(target=self._run, name="rapport-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                self.checkpoints += 1
            except Exception:
                # A failed checkpoint is retried at the next tick; commits still checkpoint on
                # their own past the threshold, so nothing is lost, only the latency benefit.
                log.exception("background checkpoint failed")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._connection.close()


def sqlite_path(url: str) -> str | None:
    """The SQLite file a store URL names (a scale-out URL's ``local=`` file), or None for
    ``memory://``."""
    url = local_url(url)
    if url == "memory://" or ":memory:" in url:
        return None
    return url.removeprefix("sqlite:///")
