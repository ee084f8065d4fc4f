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

from rapport.store import Stores
from rapport.store.memory import open_memory
from rapport.store.sqlite import open_sqlite

StoresFactory = Callable[[Path], Stores]

BACKENDS: dict[str, StoresFactory] = {
    "memory": lambda _tmp: open_memory(),
    "sqlite": lambda tmp: open_sqlite(tmp / "conformance.db"),
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
