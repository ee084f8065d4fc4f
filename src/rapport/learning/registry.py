"""The model registry: every model a decision ever used, by version.

Kept beside the ledger (same SQLite file, its own table) because a ledger record is only
replayable while the model version it names can be loaded.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Protocol

from rapport.learning.artifact import Artifact
from rapport.store.connect import connect
from rapport.store.urls import local_url


class ModelRegistry(Protocol):
    def put(self, artifact: Artifact) -> str:
        """Store an artifact (idempotent: the same bytes are one version); returns it."""
        ...

    def get(self, version: str) -> Artifact | None: ...

    def versions(self, kind: str) -> list[str]:
        """A kind's versions, oldest first."""
        ...

    def close(self) -> None: ...


class MemoryRegistry:
    def __init__(self) -> None:
        self._artifacts: dict[str, Artifact] = {}

    def put(self, artifact: Artifact) -> str:
        self._artifacts.setdefault(artifact.version, artifact)
        return artifact.version

    def get(self, version: str) -> Artifact | None:
        return self._artifacts.get(version)

    def versions(self, kind: str) -> list[str]:
        return [v for v, a in self._artifacts.items() if a.kind == kind]

    def close(self) -> None:
        return None


class SqliteRegistry:
    def __init__(self, path: str | Path) -> None:
        self.connection = connect(path)
        self.connection.execute(
            """
            CREATE TABLE IF NOT EXISTS models (
                version TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                type TEXT NOT NULL,
                published_at REAL NOT NULL,
                payload BLOB NOT NULL,
                card TEXT NOT NULL
            )
            """
        )

    def put(self, artifact: Artifact) -> str:
        self.connection.execute(
            "INSERT OR IGNORE INTO models (version, kind, type, published_at, payload, card) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                artifact.version,
                artifact.kind,
                artifact.type,
                time.time(),
                artifact.payload,
                artifact.card_json(),
            ),
        )
        return artifact.version

    def get(self, version: str) -> Artifact | None:
        row = self.connection.execute(
            "SELECT kind, type, payload, card FROM models WHERE version = ?", (version,)
        ).fetchone()
        if row is None:
            return None
        return Artifact(str(row[0]), str(row[1]), bytes(row[2]), json.loads(row[3]))

    def versions(self, kind: str) -> list[str]:
        rows = self.connection.execute(
            "SELECT version FROM models WHERE kind = ? ORDER BY rowid", (kind,)
        )
        return [str(r[0]) for r in rows]

    def close(self) -> None:
        self.connection.close()


def open_registry(url: str) -> ModelRegistry:
    """The registry beside the stores a URL names (``memory://`` or a SQLite file)."""
    if url == "memory://":
        return MemoryRegistry()
    return SqliteRegistry(local_url(url).removeprefix("sqlite:///"))
