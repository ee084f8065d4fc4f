"""Every storage backend the conformance suites run against.

A new backend registers its factory here; the suites then run every check on it. Backends that
need a server skip with the reason when it is absent, unless RAPPORT_REQUIRE_SERVICES=1 (CI),
where its absence is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rapport.governance.ledger import DecisionLedger, MemoryLedger, SqliteLedger
from rapport.store import Stores
from rapport.store.memory import open_memory
from rapport.store.sqlite import open_sqlite
from tests.conformance.services import postgres_missing, redis_missing, scale_out_url

StoresFactory = Callable[[Path], Stores]


def _scale_out(redis_profiles: bool) -> StoresFactory:
    """Stores in a fresh PostgreSQL schema (profiles there or on Redis), dropped on close."""

    def factory(tmp: Path) -> Stores:
        missing = postgres_missing() or (redis_missing() if redis_profiles else None)
        if missing:
            skip_or_fail(missing)
        from rapport.store.postgres import drop_schema, open_postgres  # noqa: PLC0415

        url = scale_out_url(tmp, redis_profiles=redis_profiles)
        stores = open_postgres(url)
        close = stores.close

        def close_and_drop() -> None:
            close()
            drop_schema(url)

        stores.close = close_and_drop
        return stores

    return factory


BACKENDS: dict[str, StoresFactory] = {
    "memory": lambda _tmp: open_memory(),
    "sqlite": lambda tmp: open_sqlite(tmp / "conformance.db"),
    "postgres": _scale_out(redis_profiles=False),
    "postgres+redis": _scale_out(redis_profiles=True),
}


def services_required() -> bool:
    return os.environ.get("RAPPORT_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip a test whose server is missing, or fail when CI requires the services."""
    if services_required():
        pytest.fail(f"{reason} (RAPPORT_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture(params=sorted(BACKENDS))
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    opened = BACKENDS[request.param](tmp_path)
    yield opened
    opened.close()


LedgerFactory = Callable[[Path], DecisionLedger]


def _postgres_ledger(tmp: Path) -> DecisionLedger:
    """A ledger in a fresh PostgreSQL schema, dropped on close."""
    missing = postgres_missing()
    if missing:
        skip_or_fail(missing)
    from rapport.governance.ledger_postgres import PostgresLedger  # noqa: PLC0415
    from rapport.store.postgres import drop_schema  # noqa: PLC0415

    url = scale_out_url(tmp, redis_profiles=False)
    ledger = PostgresLedger(url)
    close = ledger.close

    def close_and_drop() -> None:
        close()
        drop_schema(url)

    ledger.close = close_and_drop  # type: ignore[method-assign]
    return ledger


LEDGERS: dict[str, LedgerFactory] = {
    "memory": lambda _tmp: MemoryLedger(),
    "sqlite": lambda tmp: SqliteLedger(tmp / "l.db"),
    "postgres": _postgres_ledger,
}


@pytest.fixture(params=sorted(LEDGERS))
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DecisionLedger]:
    opened = LEDGERS[request.param](tmp_path)
    yield opened
    opened.close()
