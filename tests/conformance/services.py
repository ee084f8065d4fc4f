"""The real Redis and PostgreSQL the scale-out backends are tested against, one namespace per test.

Each test gets its own PostgreSQL schema and Redis key prefix (a random suffix), dropped when it
ends, so parallel runs do not meet and the servers stay tidy. A missing server skips the test
with the reason, or fails it under RAPPORT_REQUIRE_SERVICES=1 (see ``skip_or_fail``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

POSTGRES_URL = os.environ.get("RAPPORT_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1/test")
REDIS_URL = os.environ.get("RAPPORT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def postgres_missing() -> str | None:
    """Why PostgreSQL cannot be used, or None if it answers."""
    import psycopg  # noqa: PLC0415

    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        return f"PostgreSQL is not reachable at {POSTGRES_URL}: {error}".strip()
    return None


def redis_missing() -> str | None:
    """Why Redis cannot be used, or None if it answers."""
    import redis  # noqa: PLC0415

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return f"Redis is not reachable at {REDIS_URL}: {error}"
    return None


def scale_out_url(folder: Path, *, redis_profiles: bool, name: str = "") -> str:
    """A store URL in a fresh schema (and Redis prefix), its local files in ``folder``."""
    schema = f"t_{name}{secrets.token_hex(6)}"
    url = f"{POSTGRES_URL}?schema={schema}&local={folder / 'local.db'}"
    if redis_profiles:
        url += f"&profiles={REDIS_URL}&prefix=rapport-test:{schema}:"
    return url
