"""One engine's whole life on PostgreSQL + Redis gives what it gives on SQLite: the same
profiles, the same decisions, exact replays, and the same erasure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from rapport.decisions.record import Decision
from rapport.engine import Engine, UnknownEntityError
from rapport.governance.erasure import erase_customer
from rapport.governance.ledger import DecisionErasedError, verify
from rapport.store.postgres import drop_schema
from rapport.store.urls import parse_scale_out
from tests.conformance.backends import skip_or_fail
from tests.conformance.services import postgres_missing, redis_missing, scale_out_url
from tests.governance.erasure_samples import (
    ERASED,
    PERSONAL,
    bad_events,
    erased_history,
    other_history,
)

KEPT = "c-kept"


@pytest.fixture
def scale_out(tmp_path: Path) -> Iterator[str]:
    missing = postgres_missing() or redis_missing()
    if missing:
        skip_or_fail(missing)
    (tmp_path / "pg").mkdir()
    url = scale_out_url(tmp_path / "pg", redis_profiles=True, name="engine_")
    yield url
    drop_schema(url)


def _life(engine: Engine) -> tuple[list[Decision], dict[str, Any]]:
    """Ingest both histories with their triggered decisions, decide on request, replay every
    decision, erase one customer; returns the decisions and what was observed."""
    events = sorted([*erased_history(), *other_history()], key=lambda e: str(e["timestamp"]))
    report, decisions = engine.ingest_and_decide(events)
    rejected = engine.ingest(bad_events())
    for customer in (ERASED, KEPT):
        decisions.append(engine.decide("communication", customer, context={"purpose": "service"}))
        decisions.append(engine.decide("credit_limit", customer))
    for decision in decisions:
        recorded, again = engine.replay(decision.decision_id)
        assert again.outcome() == recorded.outcome() == decision.outcome()
    seen: dict[str, Any] = {
        "accepted": report.accepted,
        "rejected": rejected.rejected,
        "resent": engine.ingest(events[:50]).duplicates,
        "profiles": {
            c: {n: f.value for n, f in engine.profile(c).features.items()} for c in (ERASED, KEPT)
        },
        "signals": {c: engine.profile(c).signals for c in (ERASED, KEPT)},
        "dead_letters": len(engine.dead_letters()),
    }
    erasure = erase_customer(engine, ERASED, actor="test")
    seen["erased"] = erasure.tombstone.counts
    seen["verifies"] = verify(engine.decisions.ledger).ok
    for decision in decisions:
        if decision.customer_id == ERASED:
            with pytest.raises(DecisionErasedError):
                engine.replay(decision.decision_id)
        else:
            recorded, again = engine.replay(decision.decision_id)
            assert again.outcome() == recorded.outcome()
    with pytest.raises(UnknownEntityError):
        engine.profile(ERASED)
    seen["kept_after"] = engine.profile(KEPT).event_count
    return decisions, seen


def _comparable(decision: Decision) -> dict[str, object]:
    """A decision as both backends must give it (an on-request decision's id is its own)."""
    outcome = decision.outcome()
    outcome.pop("decision_id")
    return outcome


def test_postgres_and_redis_give_what_sqlite_gives(tmp_path: Path, scale_out: str) -> None:
    with Engine(tmp_path / "rapport.db") as engine:
        embedded, on_sqlite = _life(engine)
    with Engine(scale_out) as engine:
        assert type(engine.decisions.ledger).__name__ == "PostgresLedger"
        assert type(engine.stores.profiles.inner).__name__ == "RedisProfileStore"  # type: ignore[attr-defined]
        scaled, on_servers = _life(engine)
        assert engine.stores.profiles.count() > 0  # the merchants' profiles stay
    assert on_servers == on_sqlite
    assert on_sqlite["erased"]["decisions"] > 0
    assert on_sqlite["erased"]["dead_letters"] > 0
    assert [_comparable(d) for d in scaled] == [_comparable(d) for d in embedded]
    _assert_nothing_personal_on_the_servers(scale_out)
    with Engine(scale_out) as engine:  # reopened: the same deployment reads the same data
        assert engine.profile(KEPT).event_count == on_sqlite["kept_after"]
        assert verify(engine.decisions.ledger).ok


def _assert_nothing_personal_on_the_servers(url: str) -> None:
    """After the erasure no identifier of the erased customer is in any PostgreSQL row or any
    Redis key or value (the events and decisions stay, sealed)."""
    parsed = parse_scale_out(url)
    assert parsed.profiles is not None
    with psycopg.connect(parsed.postgres) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (parsed.schema,),
        ).fetchall()
        assert {"events", "dead_letters", "decisions"} <= {t for (t,) in tables}
        dumped = b"".join(
            str(row).encode()
            for (table,) in tables
            for row in connection.execute(f'SELECT * FROM "{parsed.schema}"."{table}"')
        )
    client = redis.Redis.from_url(parsed.profiles)
    names = list(client.scan_iter(match=f"{parsed.prefix}*"))
    assert names
    dumped += b"".join(names) + b"".join(v for v in client.mget(names) if isinstance(v, bytes))
    assert b"c-kept" not in dumped  # the kept customer's ids are sealed or pseudonymous too
    for identifier in PERSONAL:
        assert identifier.encode() not in dumped, identifier
