"""The scale-out stores against the real servers: several processes, one engine's whole life.

Each test works in its own PostgreSQL schema and Redis key prefix, dropped at the end.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from pathlib import Path

import psycopg
import pytest
import redis

from rapport.decisions.record import Decision
from rapport.governance.ledger import open_ledger, verify
from rapport.store import ConcurrentUpdateError, EventRecord, Stores, open_stores
from rapport.store.postgres import drop_schema
from rapport.store.urls import local_url, parse_scale_out
from tests.conformance.backends import skip_or_fail
from tests.conformance.services import postgres_missing, redis_missing, scale_out_url

KEY = ("customer", "hammered")


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    missing = postgres_missing() or redis_missing()
    if missing:
        skip_or_fail(missing)
    made = scale_out_url(tmp_path, redis_profiles=True)
    yield made
    drop_schema(made)


@pytest.fixture(params=["redis", "postgres"])
def either_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Profiles on Redis, then in PostgreSQL."""
    on_redis = request.param == "redis"
    missing = postgres_missing() or (redis_missing() if on_redis else None)
    if missing:
        skip_or_fail(missing)
    made = scale_out_url(tmp_path, redis_profiles=on_redis)
    yield made
    drop_schema(made)


def test_the_url_names_each_part() -> None:
    parsed = parse_scale_out(
        "postgresql://root@db:5433/bank?sslmode=disable&profiles=redis://r:6379/2"
        "&schema=blue&local=/var/rapport/local.db"
    )
    assert parsed.postgres == "postgresql://root@db:5433/bank?sslmode=disable"
    assert (parsed.schema, parsed.profiles, parsed.prefix) == (
        "blue",
        "redis://r:6379/2",
        "rapport:blue:",
    )
    assert local_url("postgresql://h/db?local=/x/y.db") == "sqlite:////x/y.db"
    assert local_url("sqlite:///a.db") == "sqlite:///a.db"
    with pytest.raises(ValueError, match="schema"):
        parse_scale_out("postgresql://h/db?schema=Robert'); DROP TABLE x")
    with pytest.raises(ValueError, match="redis"):
        parse_scale_out("postgresql://h/db?profiles=http://r")


def _increment(url: str, times: int, start: Barrier) -> int:
    """Add 1 to the shared profile ``times`` times, re-reading on every conflict; returns the
    number of conflicts met."""
    stores = open_stores(url)
    conflicts = 0
    start.wait()
    try:
        for _ in range(times):
            while True:
                row = stores.profiles.get_many([KEY])[KEY]
                try:
                    stores.profiles.put_many([(KEY, str(int(row.data) + 1).encode(), row.version)])
                    break
                except ConcurrentUpdateError:
                    conflicts += 1
    finally:
        stores.close()
    return conflicts


def _increment_and_report(url: str, times: int, start: Barrier, out: dict[int, int]) -> None:
    out[multiprocessing.current_process().pid or 0] = _increment(url, times, start)


def test_two_processes_hammering_one_profile_lose_no_update(either_url: str) -> None:
    url = either_url
    stores = open_stores(url)  # creates the schema and the key file before the workers start
    stores.profiles.put_many([(KEY, b"0", 0)])
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    with context.Manager() as manager:
        conflicts = manager.dict()
        workers = [
            context.Process(target=_increment_and_report, args=(url, 300, start, conflicts))
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert [w.exitcode for w in workers] == [0, 0]
        met = sum(conflicts.values())
    row = stores.profiles.get_many([KEY])[KEY]
    stores.close()
    assert int(row.data) == 600
    assert row.version == 601
    # Each failed compare-and-set was a lost update the version check prevented.
    assert met > 0


def test_a_profile_conflict_on_redis_rolls_the_postgres_unit_back(url: str) -> None:
    first, second = open_stores(url), open_stores(url)
    try:
        first.profiles.put_many([(KEY, b"a", 0)])
        seen = first.profiles.get_many([KEY])[KEY]
        second.profiles.put_many([(KEY, b"b", seen.version)])  # someone else got there first
        event = EventRecord("e1", "login", "c1", 1.0, "d", b"{}")
        with pytest.raises(ConcurrentUpdateError):
            _log_and_write(first, event, b"a2", seen.version)
        assert first.events.count() == 0
        assert first.profiles.get_many([KEY])[KEY].data == b"b"
        with first.transaction():
            first.events.append([event])
            first.profiles.put_many([(KEY, b"a3", seen.version + 1)])
        assert [r.event_id for r in second.events.scan()] == ["e1"]
        assert second.profiles.get_many([KEY])[KEY].data == b"a3"
    finally:
        first.close()
        second.close()


def _log_and_write(stores: Stores, event: EventRecord, data: bytes, version: int) -> None:
    with stores.transaction():
        stores.events.append([event])
        stores.profiles.put_many([(KEY, data, version)])


def _decision(name: str) -> Decision:
    return Decision(
        decision_id=name,
        kind="next_best_action",
        customer_id=f"cust-{name[-1]}",
        trigger_event_id=f"ev-{name}",
        event_time="2026-03-01T09:00:00+00:00",
        inputs={"x": 1.0},
        candidates=[],
        action="none",
        score=0.5,
        propensity=1.0,
        reasons=[],
        policy_version="p",
        model_versions={},
        seed=7,
    )


def _append(url: str, worker: int, start: Barrier) -> None:
    ledger = open_ledger(url)
    try:
        for n in range(60):
            if n % 10 == 0:
                # Both workers start every round of ten together: each round's appends race,
                # however the machine schedules two processes (on a busy core, one could
                # otherwise finish all sixty within its time slice).
                start.wait()
            ledger.append(_decision(f"w{worker}-{n}"))
            if n % 10 == 0:  # both workers take the same decision: stored once
                ledger.append(_decision(f"both-{n}"))
    finally:
        ledger.close()


@pytest.fixture(params=["sqlite", "postgres"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLite file (appends race on the chain head through the primary key), then a
    PostgreSQL schema (through the head row's lock)."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.db")
        return
    missing = postgres_missing()
    if missing:
        skip_or_fail(missing)
    made = scale_out_url(tmp_path, redis_profiles=False)
    yield made
    drop_schema(made)


def test_two_processes_appending_to_one_ledger_keep_one_chain(ledger_url: str) -> None:
    url = ledger_url
    ledger = open_ledger(url)
    ledger.append(_decision("first-0"))  # schema, key file and a first record before the race
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    workers = [context.Process(target=_append, args=(url, w, start)) for w in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    stored = list(ledger.scan())
    assert [r.position for r in stored] == list(range(1, 1 + 1 + 120 + 6))
    assert len({r.decision_id for r in stored}) == len(stored)
    assert verify(ledger).ok
    # The workers' records interleave: they really appended at the same time (each of the six
    # rounds holds both workers' records, so the owner changes at least once a round).
    owners = [r.decision_id[:2] for r in stored if r.decision_id.startswith("w")]
    assert sum(a != b for a, b in itertools.pairwise(owners)) >= 6
    decision = ledger.get("w1-59")
    assert decision is not None
    assert decision.outcome() == {**_decision("w1-59").outcome()}
    ledger.close()


def test_erasure_leaves_no_identifier_on_the_servers(url: str) -> None:
    """What the servers hold about a customer is sealed or pseudonymous; after erasure, the
    profile is gone from Redis and the dead letters from PostgreSQL."""
    stores = open_stores(url)
    secret = "zq-person-4821"
    stores.events.append([EventRecord("zq-ev-1", "login", secret, 1.0, "d", b'{"a":1}')])
    stores.profiles.put_many([(("customer", secret), b"state", 0)])
    parsed = parse_scale_out(url)
    assert parsed.profiles is not None
    client = redis.Redis.from_url(parsed.profiles)
    with psycopg.connect(parsed.postgres) as connection:
        connection.execute(f'SET search_path TO "{parsed.schema}"')
        rows = connection.execute("SELECT * FROM events").fetchall()
    assert rows
    assert not any(secret.encode() in str(row).encode() for row in rows)
    names = list(client.scan_iter(match=f"{parsed.prefix}*"))
    assert names
    assert not any(secret.encode() in name for name in names)
    stores.profiles.delete(("customer", secret))
    stores.keys.destroy(stores.keys.pseudonym(secret))
    assert list(stores.events.scan(secret)) == []
    assert stores.profiles.count() == 0
    stores.close()
