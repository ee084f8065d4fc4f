"""How every component opens the one SQLite file: the same settings everywhere.

- WAL, so readers never wait for the writer;
- ``synchronous=NORMAL``: in WAL mode no committed transaction is lost to an application crash,
  only an OS crash or power loss can drop the latest commits, and the file never corrupts.
  (The default, FULL, syncs the disk at every commit: one fsync per recorded row.)
- a busy timeout, since the stores, the ledger and the registry write the same file;
- ``secure_delete``: deleted content is overwritten with zeros, so that an erased customer's
  data does not linger in free pages.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(path: str | Path) -> sqlite3.Connection:
    """An autocommit connection usable from any thread (callers serialise their own use)."""
    connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=10000")
    connection.execute("PRAGMA secure_delete=ON")
    return connection
