"""Typed engine configuration."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EngineConfig(BaseModel):
    """How an engine ingests and stores; every field has a safe default."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    store_url: str = "./rapport.db"
    """Where profiles, the event log and dead letters live: a SQLite file path,
    ``sqlite:///PATH``, ``memory://`` or ``postgresql://USER@HOST/DB`` (optionally
    ``?profiles=redis://HOST:PORT/N``; see docs/storage.md)."""

    allowed_lateness_seconds: float = Field(default=48 * 3600.0, ge=0.0, le=90 * 86400.0)
    """How far behind its customer's latest event an event may arrive and still be applied.
    Decayed statistics are exact for any event within the bound; a later one is dead-lettered
    with reason ``too_late``."""

    policy_path: str | None = None
    """The decision policy (YAML); None uses the default policy that ships with Rapport."""

    max_conflict_retries: int = Field(default=5, ge=0, le=100)
    """How often a batch is re-applied when another writer changed its profiles meanwhile."""
