"""Storage backends behind narrow protocols, picked by URL."""

from __future__ import annotations

from pathlib import Path

from rapport.store.memory import open_memory
from rapport.store.protocols import (
    ConcurrentUpdateError,
    DeadLetter,
    DeadLetterStore,
    EventLog,
    EventRecord,
    ProfileStore,
    StoredProfile,
    Stores,
)
from rapport.store.sqlite import open_sqlite

DEFAULT_DB = "./rapport.db"


def open_stores(url: str | Path = DEFAULT_DB) -> Stores:
    """Open the stores a URL names: ``memory://``, ``sqlite:///PATH`` or a plain file path."""
    text = str(url)
    if text == "memory://":
        return open_memory()
    if text.startswith("sqlite:///"):
        return open_sqlite(text.removeprefix("sqlite:///"))
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise ValueError(f"unknown store URL scheme {scheme!r}; use memory:// or sqlite:///PATH")
    return open_sqlite(text)


__all__ = [
    "DEFAULT_DB",
    "ConcurrentUpdateError",
    "DeadLetter",
    "DeadLetterStore",
    "EventLog",
    "EventRecord",
    "ProfileStore",
    "StoredProfile",
    "Stores",
    "open_stores",
]
