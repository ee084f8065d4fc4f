"""API keys with scopes. Only a hash of each key is stored; a revoked key stops working at once."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Literal

from rapport.store.urls import local_url

Scope = Literal["ingest", "decide", "read", "admin"]
SCOPES: tuple[Scope, ...] = ("ingest", "decide", "read", "admin")
CACHE_SECONDS = 2.0


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    """Keys in the engine's SQLite file (or in memory for ``memory://``)."""

    def __init__(self, url: str) -> None:
        url = local_url(url)
        path = ":memory:" if url == "memory://" else url.removeprefix("sqlite:///")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, set[str] | None]] = {}
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS api_keys (key_id TEXT PRIMARY KEY, digest TEXT UNIQUE "
            "NOT NULL, scopes TEXT NOT NULL, created REAL NOT NULL, revoked REAL)"
        )

    def create(self, scopes: list[Scope]) -> tuple[str, str]:
        """A new key: (key id, the secret, shown once)."""
        unknown = set(scopes) - set(SCOPES)
        if unknown or not scopes:
            raise ValueError(
                f"scopes must be among {', '.join(SCOPES)}; got {sorted(unknown) or 'none'}"
            )
        key_id = "key-" + secrets.token_hex(4)
        secret = f"rk_{key_id[4:]}_{secrets.token_urlsafe(24)}"
        with self._lock:
            self._db.execute(
                "INSERT INTO api_keys (key_id, digest, scopes, created) VALUES (?, ?, ?, ?)",
                (key_id, _digest(secret), ",".join(sorted(set(scopes))), time.time()),
            )
        return key_id, secret

    def scopes(self, secret: str) -> set[str] | None:
        """The scopes of a valid, unrevoked key, or None.

        Answers are remembered for ``CACHE_SECONDS`` so that a busy service does not query its
        store on every request; a key revoked elsewhere stops working within that time, and at
        once when revoked through this store.
        """
        now = time.monotonic()
        cached = self._cache.get(secret)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        with self._lock:
            row = self._db.execute(
                "SELECT scopes FROM api_keys WHERE digest = ? AND revoked IS NULL",
                (_digest(secret),),
            ).fetchone()
        scopes = set(str(row[0]).split(",")) if row else None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[secret] = (now, scopes)
        return scopes

    def revoke(self, key_id: str) -> bool:
        self._cache.clear()
        with self._lock:
            cursor = self._db.execute(
                "UPDATE api_keys SET revoked = ? WHERE key_id = ? AND revoked IS NULL",
                (time.time(), key_id),
            )
        return cursor.rowcount > 0

    def close(self) -> None:
        self._db.close()
