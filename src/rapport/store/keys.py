"""The key table: one data key per customer, and the deployment's pseudonym secret.

Where the keys live is the whole of crypto-shredding, so this is argued here. The embedded
default keeps them in a **separate SQLite file beside the data** (``rapport.db`` →
``rapport.keys.db``), not in the data file itself:

- Backups and replicas of the data file then hold only ciphertext and pseudonyms. Erasure has
  to reach those copies too, and it does: the key file is small, so it can be kept on another
  medium (or swapped for a KMS/HSM behind :class:`CustomerKeys`) with its own short backup
  retention. A key kept inside the data file would ride along in every backup of it.
- Destroying a key must leave no copy in the file. The key file runs with
  ``secure_delete=ON`` (a deleted row is overwritten with zeros, also in freed pages) and a
  rollback journal rather than a WAL, so that no old page image outlives the transaction that
  deleted the key. Doing the same to the data file would mean rewriting gigabytes of event log
  per erasure; with the keys apart, the data file only needs its plaintext rows (profiles,
  dead letters) deleted securely.

The cost is a second file to open and to back up: losing it loses every customer's history,
exactly as erasing everyone would. ``memory://`` keeps the keys in memory.

Keys are cached in the process for ``CACHE_SECONDS`` (ingest asks for them on every batch).
A key destroyed by another process (say, the erase command while the API runs) therefore
stops working there within that time; in the process that destroys it, at once.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Collection
from pathlib import Path
from typing import Protocol

from rapport.store.connect import write_transaction
from rapport.store.crypto import DataKey, Pseudonyms, new_key

CACHE_SECONDS = 5.0
_CACHE_LIMIT = 100_000


class CustomerKeys(Protocol):
    pseudonym: Pseudonyms
    """The deployment's keyed pseudonym of an identifier (customer, event, device)."""

    def for_writing(self, refs: Collection[str]) -> dict[str, DataKey]:
        """The current key of each customer reference, created if it has none."""
        ...

    def for_reading(self, key_ids: Collection[bytes]) -> dict[bytes, DataKey]:
        """The keys among ``key_ids`` that still exist (a destroyed key is left out)."""
        ...

    def destroy(self, ref: str) -> int:
        """Destroy the customer's key(s) for good; returns how many were destroyed."""
        ...

    def close(self) -> None: ...


def key_file_for(data_path: str | Path) -> Path:
    """The key file beside a data file: ``rapport.db`` → ``rapport.keys.db``."""
    path = Path(data_path)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return path.with_name(f"{stem}.keys.db")


class KeyFileMissingError(RuntimeError):
    """The data file holds sealed data but its key file is gone."""


def open_key_file(data_path: str | Path, holds_data: bool) -> SqliteKeys:
    """The key table beside a data file, created with the file; refused if the data file
    already holds sealed data and the key file is missing: a fresh key file would have another
    pseudonym secret and no keys, silently treating every customer as erased."""
    path = key_file_for(data_path)
    if holds_data and not path.exists():
        raise KeyFileMissingError(
            f"{path} is missing but {data_path} holds sealed data: restore the key file from its "
            "backup (without it no customer's events or decisions can be read)"
        )
    return SqliteKeys(path)


class _Cache:
    """Keys by reference and by id, each remembered for ``CACHE_SECONDS``."""

    def __init__(self) -> None:
        self.by_ref: dict[str, tuple[float, DataKey]] = {}
        self.by_id: dict[bytes, tuple[float, DataKey]] = {}

    def remember(self, ref: str, key: DataKey, now: float) -> None:
        if len(self.by_ref) > _CACHE_LIMIT or len(self.by_id) > _CACHE_LIMIT:
            self.by_ref.clear()
            self.by_id.clear()
        self.by_ref[ref] = (now, key)
        self.by_id[key.key_id] = (now, key)

    def forget(self, ref: str) -> None:
        cached = self.by_ref.pop(ref, None)
        if cached is not None:
            self.by_id.pop(cached[1].key_id, None)
        # A key id cached on the read path alone is not indexed by ref: drop them all.
        self.by_id.clear()


class MemoryKeys:
    """Keys of a ``memory://`` deployment (and the test double)."""

    def __init__(self, secret: bytes | None = None) -> None:
        self.pseudonym = Pseudonyms(secret or os.urandom(32))
        self._by_ref: dict[str, DataKey] = {}
        self._by_id: dict[bytes, str] = {}
        self._lock = threading.Lock()

    def for_writing(self, refs: Collection[str]) -> dict[str, DataKey]:
        with self._lock:
            found: dict[str, DataKey] = {}
            for ref in refs:
                key = self._by_ref.get(ref)
                if key is None:
                    key = self._by_ref[ref] = DataKey.from_bytes(*new_key())
                    self._by_id[key.key_id] = ref
                found[ref] = key
            return found

    def for_reading(self, key_ids: Collection[bytes]) -> dict[bytes, DataKey]:
        with self._lock:
            refs = {key_id: self._by_id.get(key_id) for key_id in key_ids}
            return {
                key_id: self._by_ref[ref]
                for key_id, ref in refs.items()
                if ref is not None and ref in self._by_ref
            }

    def destroy(self, ref: str) -> int:
        with self._lock:
            key = self._by_ref.pop(ref, None)
            if key is None:
                return 0
            del self._by_id[key.key_id]
            return 1

    def close(self) -> None:
        return None


class SqliteKeys:
    """Keys in their own SQLite file (see the module's docstring for why)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=DELETE")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._lock = threading.Lock()
        self._cache = _Cache()
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS deployment (name TEXT PRIMARY KEY, value BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS data_keys (
                key_id BLOB PRIMARY KEY,
                ref TEXT NOT NULL UNIQUE,
                key BLOB NOT NULL,
                created REAL NOT NULL
            );
            """
        )
        # Two processes opening a new file at once must agree on one secret: insert-or-ignore,
        # then read back whichever won.
        self._db.execute(
            "INSERT OR IGNORE INTO deployment (name, value) VALUES ('pseudonym_secret', ?)",
            (os.urandom(32),),
        )
        (secret,) = self._db.execute(
            "SELECT value FROM deployment WHERE name = 'pseudonym_secret'"
        ).fetchone()
        self.pseudonym = Pseudonyms(bytes(secret))

    def for_writing(self, refs: Collection[str]) -> dict[str, DataKey]:
        now = time.monotonic()
        found: dict[str, DataKey] = {}
        missing: list[str] = []
        for ref in refs:
            cached = self._cache.by_ref.get(ref)
            if cached is not None and now - cached[0] < CACHE_SECONDS:
                found[ref] = cached[1]
            else:
                missing.append(ref)
        if not missing:
            return found
        with self._lock:
            stored = self._select("ref", missing)
            absent = [ref for ref in missing if ref not in stored]
            if absent:
                self._create(absent)
                stored.update(self._select("ref", absent))
            for ref, key in stored.items():
                self._cache.remember(ref, key, now)
        found.update(stored)
        return found

    def _select(self, column: str, values: list[str] | list[bytes]) -> dict[str, DataKey]:
        stored: dict[str, DataKey] = {}
        for start in range(0, len(values), 900):
            chunk = values[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for ref, key_id, key in self._db.execute(
                f"SELECT ref, key_id, key FROM data_keys WHERE {column} IN ({marks})", chunk
            ):
                stored[str(ref)] = DataKey.from_bytes(bytes(key_id), bytes(key))
        return stored

    def _create(self, refs: list[str]) -> None:
        created = time.time()
        with write_transaction(self._db):
            # Another process may create the same customer's key first; its key wins.
            self._db.executemany(
                "INSERT OR IGNORE INTO data_keys (key_id, ref, key, created) VALUES (?, ?, ?, ?)",
                [(key_id, ref, key, created) for ref, (key_id, key) in _fresh(refs)],
            )

    def for_reading(self, key_ids: Collection[bytes]) -> dict[bytes, DataKey]:
        now = time.monotonic()
        found: dict[bytes, DataKey] = {}
        missing: list[bytes] = []
        for key_id in key_ids:
            cached = self._cache.by_id.get(key_id)
            if cached is not None and now - cached[0] < CACHE_SECONDS:
                found[key_id] = cached[1]
            else:
                missing.append(key_id)
        if missing:
            with self._lock:
                for ref, key in self._select("key_id", missing).items():
                    self._cache.remember(ref, key, now)
                    found[key.key_id] = key
        return found

    def destroy(self, ref: str) -> int:
        with self._lock:
            self._cache.forget(ref)
            cursor = self._db.execute("DELETE FROM data_keys WHERE ref = ?", (ref,))
            return cursor.rowcount

    def close(self) -> None:
        self._db.close()


def _fresh(refs: list[str]) -> list[tuple[str, tuple[bytes, bytes]]]:
    """A new (key id, key) for each reference."""
    return [(ref, new_key()) for ref in refs]
