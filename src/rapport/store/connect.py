"""How every component opens the one SQLite file: the same settings everywhere.

- WAL, so readers never wait for the writer;
- ``synchronous=NORMAL``: in WAL mode no committed transaction is lost to an application crash,
  only an OS crash or power loss can drop the latest commits, and the file never corrupts.
  (The default, FULL, syncs the disk at every commit: one fsync per recorded row.)
- a busy timeout, since the stores, the ledger and the registry write the same file;
- ``secure_delete``: deleted content is overwritten with zeros, so that an erased customer's
  data does not linger in free pages;
- a log of up to 10,000 pages (40 MB) before a commit copies it back into the file itself (a
  checkpoint, with its disk syncs), instead of SQLite's 1,000: at 1,000 one decision in about
  150 paid 3-5 ms for it, the p99 of in-process decisions. A serving process checkpoints on a
  thread of its own (``rapport.store.checkpoint``), so that its requests never reach the mark;
  the log file is cut back to 64 MB after a checkpoint.
- a page cache of ``cache_bytes``, for the connections that need more than SQLite's 2 MB: the
  profile store's (:data:`STORE_CACHE_BYTES`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

AUTOCHECKPOINT_PAGES = 10_000
STORE_CACHE_BYTES = 64 * 1024 * 1024
"""The stores' page cache. An ingest batch reads and rewrites every profile it touches and
inserts its event ids at random places in the id index: with SQLite's 2 MB cache (about 500
pages) most of those pages leave the cache between one batch and the next, or within a batch,
and are read back from the file. At 64 MB the 200,000-event benchmark's profiles and index stay
cached: 11% less time per event (docs/performance.md). The cache fills only as pages are read,
so a small file never takes it all."""


def connect(path: str | Path, cache_bytes: int | None = None) -> sqlite3.Connection:
    """An autocommit connection usable from any thread (callers serialise their own use);
    ``cache_bytes`` replaces SQLite's default page cache of about 2 MB."""
    connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=10000")
    connection.execute("PRAGMA secure_delete=ON")
    connection.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    connection.execute(f"PRAGMA journal_size_limit={64 * 1024 * 1024}")
    if cache_bytes is not None:
        # A negative cache_size is in KiB rather than in pages.
        connection.execute(f"PRAGMA cache_size={-(cache_bytes // 1024)}")
    return connection


@contextmanager
def write_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """One write transaction on an autocommit connection: taken at once (``IMMEDIATE``, so two
    writers never both read then write), committed at the end, rolled back on any error."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
