"""Storage backends behind narrow protocols, picked by URL."""

from __future__ import annotations

from pathlib import Path

from rapport.store.memory import open_memory
from rapport.store.protocols import (
    ConcurrentUpdateError,
    DeadLetter,
    DeadLetterStore,
    DuplicateEventError,
    EventLog,
    EventRecord,
    ProfileStore,
    StoredProfile,
    Stores,
)
from rapport.store.sqlite import open_sqlite
from rapport.store.urls import is_scale_out

DEFAULT_DB = "./rapport.db"


def open_stores(url: str | Path = DEFAULT_DB) -> Stores:
    """Open the stores a URL names: ``memory://``, ``sqlite:///PATH``, a plain file path, or
    ``postgresql://USER@HOST/DB[?profiles=redis://HOST:PORT/N&schema=...&local=PATH]``
    (see :mod:`rapport.store.urls`)."""
    text = str(url)
    if text == "memory://":
        return open_memory()
    if text.startswith("sqlite:///"):
        return open_sqlite(text.removeprefix("sqlite:///"))
    if is_scale_out(text):
        # Imported here: psycopg and redis load only for the deployments that use them.
        from rapport.store.postgres import open_postgres  # noqa: PLC0415

        return open_postgres(text)
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise ValueError(
            f"unknown store URL scheme {scheme!r}; use memory://, sqlite:///PATH or postgresql://"
        )
    return open_sqlite(text)


__all__ = [
    "DEFAULT_DB",
    "ConcurrentUpdateError",
    "DeadLetter",
    "DeadLetterStore",
    "DuplicateEventError",
    "EventLog",
    "EventRecord",
    "ProfileStore",
    "StoredProfile",
    "Stores",
    "open_stores",
]
