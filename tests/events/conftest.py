"""An engine on each embedded backend: the in-memory store and a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rapport import Engine


@pytest.fixture(params=["memory", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url: str | Path = "memory://" if request.param == "memory" else tmp_path / "r.db"
    with Engine(url) as opened:
        yield opened
