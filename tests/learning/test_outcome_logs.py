"""Both outcome logs keep a batch of unjoined outcomes in order, and add to what they hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.learning.outcomes import MemoryOutcomeLog, OutcomeLog, SqliteOutcomeLog, Unjoined


@pytest.fixture(params=["memory", "sqlite"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> OutcomeLog:
    if request.param == "memory":
        return MemoryOutcomeLog()
    return SqliteOutcomeLog(tmp_path / "outcomes.db")


def _unjoined(n: int) -> Unjoined:
    return Unjoined(f"ev-{n}", "offer_response", f"cust-{n % 2}", f"no decision dec-{n}")


def test_a_batch_is_kept_in_order_and_added_to(log: OutcomeLog) -> None:
    log.report([_unjoined(3), _unjoined(1), _unjoined(2)])
    log.report([])
    log.report([_unjoined(7)])
    assert log.count() == 4
    assert log.unjoined() == [_unjoined(3), _unjoined(1), _unjoined(2), _unjoined(7)]
    assert log.unjoined(limit=2) == [_unjoined(2), _unjoined(7)]
