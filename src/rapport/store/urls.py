"""Store URLs: which backend holds what, and where the components without a server table live.

The forms (documented in ``docs/storage.md``):

- ``memory://``: everything in the process;
- ``sqlite:///PATH`` or a plain ``PATH``: everything in one SQLite file (and its key file);
- ``postgresql://USER@HOST[:PORT]/DB[?OPTIONS]``: the event log, the dead letters and the
  decision ledger in PostgreSQL; the profiles too, unless ``profiles=redis://HOST:PORT/N``
  puts them on Redis. Options:

  - ``profiles=redis://...``: profiles on Redis (compare-and-set per entity);
  - ``schema=NAME``: the PostgreSQL schema of Rapport's tables (default ``rapport``), which
    also namespaces the Redis keys (``rapport:NAME:`` unless ``prefix=`` says otherwise);
  - ``prefix=TEXT``: the Redis key prefix;
  - ``local=PATH``: the SQLite file of the components that have no PostgreSQL table yet (model
    registry, outcome log, governance audit log, shadow log, tombstones, API keys) and, beside
    it, the key file and the protected store (default ``./rapport.db``).

Components that keep SQLite files open them through :func:`local_url`, so that a scale-out URL
reaches them as the SQLite file named by ``local=``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit, urlunsplit

DEFAULT_LOCAL = "./rapport.db"
DEFAULT_SCHEMA = "rapport"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_OPTIONS = frozenset({"profiles", "schema", "prefix", "local"})
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class ScaleOutUrl:
    """A ``postgresql://`` store URL, taken apart."""

    postgres: str
    """The connection URL psycopg receives (without Rapport's options)."""
    schema: str
    profiles: str | None
    """The Redis URL of the profiles, or None for profiles in PostgreSQL."""
    prefix: str
    local: str
    """The SQLite file of the components still local (and of the key file beside it)."""


def is_scale_out(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


def parse_scale_out(url: str) -> ScaleOutUrl:
    parts = urlsplit(url)
    options: dict[str, str] = {}
    passed: list[tuple[str, str]] = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in _OPTIONS:
            options[name] = value
        else:
            passed.append((name, value))  # libpq's own options (sslmode, connect_timeout...)
    schema = options.get("schema", DEFAULT_SCHEMA)
    if not _IDENTIFIER.fullmatch(schema):
        raise ValueError(f"schema must be a lower-case SQL identifier, not {schema!r}")
    profiles = options.get("profiles") or None
    if profiles is not None and not profiles.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"profiles= must be a redis:// URL, not {profiles!r}")
    query = "&".join(f"{name}={value}" for name, value in passed)
    return ScaleOutUrl(
        postgres=urlunsplit((parts.scheme, parts.netloc, parts.path, query, "")),
        schema=schema,
        profiles=profiles,
        prefix=options.get("prefix", f"rapport:{schema}:"),
        local=options.get("local", DEFAULT_LOCAL),
    )


def local_url(url: str) -> str:
    """The URL of the SQLite file (or ``memory://``) where components without a server table
    keep their data for the stores ``url`` names: the ``local=`` file of a scale-out URL,
    else ``url`` itself."""
    if is_scale_out(url):
        return f"sqlite:///{parse_scale_out(url).local}"
    return url
