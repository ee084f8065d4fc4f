"""One suite, every backend: the behaviour the engine relies on from its stores."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.profiles.catalog import Entity
from rapport.store import (
    ConcurrentUpdateError,
    DeadLetter,
    DuplicateEventError,
    EventRecord,
    StoredProfile,
    Stores,
)
from rapport.store.protocols import DeadLetterStore, EventLog, ProfileStore


def record(
    event_id: str, customer: str = "c1", time: float = 1.0, merchant: str | None = None
) -> EventRecord:
    return EventRecord(
        event_id, "transaction", customer, time, f"d-{event_id}", b'{"x":1}', merchant
    )


def test_backends_implement_the_protocols(stores: Stores) -> None:
    assert isinstance(stores.profiles, ProfileStore)
    assert isinstance(stores.events, EventLog)
    assert isinstance(stores.dead_letters, DeadLetterStore)


def test_profile_round_trip_and_versions(stores: Stores) -> None:
    profiles = stores.profiles
    key = ("customer", "c1")
    assert profiles.get_many([key]) == {}
    profiles.put_many([(key, b"one", 0)])
    stored = profiles.get_many([key])[key]
    assert (stored.data, stored.version) == (b"one", 1)
    profiles.put_many([(key, b"two", 1)])
    stored = profiles.get_many([key])[key]
    assert (stored.data, stored.version) == (b"two", 2)
    assert type(stored.data) is bytes  # whatever a backend binds blobs as
    assert profiles.count() == 1


def test_entity_members_and_their_names_are_the_same_key(stores: Stores) -> None:
    profiles = stores.profiles
    profiles.put_many([((Entity.DEVICE, "d1"), b"by member", 0)])
    assert profiles.get_many([("device", "d1")])[("device", "d1")].data == b"by member"
    profiles.put_many([(("device", "d1"), b"by name", 1)])
    stored = profiles.get_many([(Entity.DEVICE, "d1")])[(Entity.DEVICE, "d1")]
    assert (stored.data, stored.version) == (b"by name", 2)


def test_stale_write_is_refused_and_changes_nothing(stores: Stores) -> None:
    profiles = stores.profiles
    a, b = ("customer", "a"), ("merchant", "b")
    profiles.put_many([(a, b"a1", 0)])
    with pytest.raises(ConcurrentUpdateError) as raised:
        # b is new (version 0 is right) but a was read before its first write: all or nothing.
        profiles.put_many([(b, b"b1", 0), (a, b"a-stale", 0)])
    assert a in [tuple(k) for k in raised.value.keys]
    assert profiles.get_many([a, b]) == {a: profiles.get_many([a])[a]}
    assert profiles.get_many([a])[a].data == b"a1"


def test_no_lost_update_between_two_writers(stores: Stores) -> None:
    profiles = stores.profiles
    key = ("customer", "shared")
    profiles.put_many([(key, b"0", 0)])
    first = profiles.get_many([key])[key]
    second = profiles.get_many([key])[key]
    profiles.put_many([(key, first.data + b"+a", first.version)])
    with pytest.raises(ConcurrentUpdateError):
        profiles.put_many([(key, second.data + b"+b", second.version)])
    retried = profiles.get_many([key])[key]
    profiles.put_many([(key, retried.data + b"+b", retried.version)])
    assert profiles.get_many([key])[key].data == b"0+a+b"


def test_entities_with_the_same_id_are_distinct(stores: Stores) -> None:
    stores.profiles.put_many([(("customer", "x"), b"c", 0), (("device", "x"), b"d", 0)])
    found = stores.profiles.get_many([("customer", "x"), ("device", "x"), ("merchant", "x")])
    assert {k: v.data for k, v in found.items()} == {("customer", "x"): b"c", ("device", "x"): b"d"}


def test_profile_delete(stores: Stores) -> None:
    key = ("customer", "gone")
    stores.profiles.put_many([(key, b"x", 0)])
    assert stores.profiles.delete(key) is True
    assert stores.profiles.delete(key) is False
    assert stores.profiles.get_many([key]) == {}


def test_many_keys_in_one_call(stores: Stores) -> None:
    keys = [("customer", f"c{i}") for i in range(2500)]
    stores.profiles.put_many([(k, k[1].encode(), 0) for k in keys])
    found = stores.profiles.get_many(keys)
    assert len(found) == 2500
    assert all(found[k].data == k[1].encode() for k in keys)


def test_event_log_keeps_arrival_order_and_looks_up(stores: Stores) -> None:
    log = stores.events
    log.append([record("e2", time=5.0), record("e1", time=1.0, merchant="m1")])
    log.append([record("e3", customer="c2", time=3.0)])
    assert [r.event_id for r in log.scan()] == ["e2", "e1", "e3"]
    assert [r.event_id for r in log.scan("c1")] == ["e2", "e1"]
    found = log.lookup(["e1", "missing"])
    assert list(found) == ["e1"]
    assert found["e1"] == record("e1", time=1.0, merchant="m1")
    assert type(found["e1"].body) is bytes
    assert log.count() == 3


def test_event_log_refuses_a_second_copy(stores: Stores) -> None:
    stores.events.append([record("e1")])
    with pytest.raises(DuplicateEventError, match="already"):
        stores.events.append([record("e9"), record("e1")])
    assert stores.events.count() == 1


def test_event_log_scans_past_page_boundaries(stores: Stores) -> None:
    stores.events.append([record(f"e{i:05d}", time=float(i)) for i in range(12_001)])
    ids = [r.event_id for r in stores.events.scan()]
    assert len(ids) == 12_001
    assert ids == sorted(ids)


def test_event_log_scans_one_customer_across_batches_and_pages(stores: Stores) -> None:
    """One customer's events, spread over batches shared with another customer, come back in
    arrival order past the page boundary, alone or filtered by type."""
    mine: list[str] = []
    for batch in range(6):
        records = []
        for i in range(2_001):
            customer = "c1" if i % 2 else "c2"
            event = record(f"e{batch}-{i:05d}", customer=customer, time=float(i))
            records.append(event)
            if customer == "c1":
                mine.append(event.event_id)
        stores.events.append(records)
    assert [r.event_id for r in stores.events.scan("c1")] == mine
    assert len(mine) > 5_000  # more than a page
    assert [r.event_id for r in stores.events.scan("c1", types={"transaction"})] == mine
    assert list(stores.events.scan("c1", types={"login"})) == []


_BATCHES = st.lists(
    st.lists(st.tuples(st.sampled_from(["c1", "c2", "c3"]), st.booleans()), max_size=8),
    max_size=6,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=_BATCHES)
def test_event_log_scans_by_customer_and_type_in_arrival_order(
    stores: Stores, batches: list[list[tuple[str, bool]]]
) -> None:
    tag = next(_EXAMPLES)  # fresh customers per example
    appended: list[EventRecord] = []
    for n, batch in enumerate(batches):
        records = [
            EventRecord(
                f"x{tag}-{n}-{i}",
                "login" if is_login else "transaction",
                f"{customer}-{tag}",
                float(i),
                "d",
                b"{}",
                None,
            )
            for i, (customer, is_login) in enumerate(batch)
        ]
        stores.events.append(records)
        appended += records
    for customer in ("c1", "c2", "c3"):
        wanted = [r for r in appended if r.customer_id == f"{customer}-{tag}"]
        assert list(stores.events.scan(f"{customer}-{tag}")) == wanted
        logins = [r for r in wanted if r.type == "login"]
        assert list(stores.events.scan(f"{customer}-{tag}", types={"login"})) == logins


def _write_everywhere_then_fail(stores: Stores) -> None:
    with stores.transaction():
        stores.events.append([record("e1")])
        stores.profiles.put_many([(("customer", "c1"), b"x", 0)])
        stores.dead_letters.put([DeadLetter(1.0, "invalid_field", "x", "bad", "{}")])
        raise RuntimeError("abort")


def test_transaction_rolls_back_every_store(stores: Stores) -> None:
    stores.profiles.put_many([(("customer", "c0"), b"before", 0)])
    with pytest.raises(RuntimeError, match="abort"):
        _write_everywhere_then_fail(stores)
    assert stores.events.count() == 0
    assert stores.profiles.count() == 1
    assert stores.profiles.get_many([("customer", "c0")])[("customer", "c0")].data == b"before"
    assert stores.dead_letters.count() == 0


def _update_then_append_a_logged_id(stores: Stores) -> None:
    with stores.transaction():
        stores.profiles.put_many([(("customer", "c1"), b"after", 1), (("device", "d1"), b"x", 0)])
        stores.events.append([record("e2"), record("e1")])


def test_a_refused_append_undoes_the_unit_it_ends(stores: Stores) -> None:
    """The engine writes profiles, then events, in one unit; it appends without looking the
    ids up first and counts on a refused append to leave the profiles as they were."""
    stores.events.append([record("e1")])
    stores.profiles.put_many([(("customer", "c1"), b"before", 0)])
    with pytest.raises(DuplicateEventError):
        _update_then_append_a_logged_id(stores)
    assert stores.profiles.get_many([("customer", "c1"), ("device", "d1")]) == {
        ("customer", "c1"): StoredProfile(b"before", 1)
    }
    assert [r.event_id for r in stores.events.scan()] == ["e1"]


def test_dead_letters_round_trip(stores: Stores) -> None:
    letters = [
        DeadLetter(
            10.0, "invalid_field", "payload.amount", "Expected `float` > 0.0", '{"a":-1}', "e1"
        ),
        DeadLetter(
            11.0,
            "malformed_json",
            "",
            "JSON is malformed",
            "{not json\udcff".encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
        ),
    ]
    stores.dead_letters.put(letters)
    assert stores.dead_letters.count() == 2
    assert stores.dead_letters.recent(10) == letters[::-1]
    assert stores.dead_letters.recent(1) == [letters[1]]


def test_event_log_scans_by_type(stores: Stores) -> None:
    stores.events.append([record("e1"), record("e2", customer="c2")])
    login = EventRecord("e3", "login", "c1", 2.0, "d-e3", b'{"y":2}')
    stores.events.append([login])
    assert [r.event_id for r in stores.events.scan(types={"login"})] == ["e3"]
    assert [r.event_id for r in stores.events.scan("c1", types={"transaction"})] == ["e1"]
    assert list(stores.events.scan(types=set())) == []


def test_an_erased_customers_events_no_longer_open(stores: Stores) -> None:
    stores.events.append([record("e1"), record("e2", customer="c2"), record("e3")])
    assert stores.keys.destroy(stores.keys.pseudonym("c1")) == 1
    assert [r.event_id for r in stores.events.scan()] == ["e2"]
    assert list(stores.events.scan("c1")) == []
    found = stores.events.lookup(["e1", "e2"])
    # Still known (a re-sent event stays a duplicate), but empty: nothing of it can be read.
    assert (found["e1"].customer_id, found["e1"].body, found["e1"].digest) == ("", b"", "d-e1")
    assert found["e2"] == record("e2", customer="c2")
    assert stores.events.count() == 3
    # The customer comes back: a new key, and only the new events read.
    stores.events.append([record("e4")])
    assert [r.event_id for r in stores.events.scan("c1")] == ["e4"]


def test_dead_letters_forget_the_letters_that_mention_an_identifier(stores: Stores) -> None:
    letters = [
        DeadLetter(1.0, "invalid_field", "x", "bad", '{"customer_id": "cust-1", "a": 1}'),
        DeadLetter(2.0, "invalid_field", "x", "bad", '{"customer_id": "cust-10"}'),
        DeadLetter(3.0, "malformed_json", "", "bad", "{customer_id: cust-1, oops"),
        DeadLetter(4.0, "too_late", "timestamp", "late", "{}", "ev-of-cust-1"),
        DeadLetter(5.0, "invalid_field", "x", "bad", '{"device_id": "phone-9"}'),
    ]
    stores.dead_letters.put(letters)
    assert stores.dead_letters.forget(["cust-1", "ev-of-cust-1", "phone-9"]) == 4
    assert stores.dead_letters.recent() == [letters[1]]
    assert stores.dead_letters.forget(["nobody"]) == 0


_EXAMPLES = itertools.count()
_STEPS = st.lists(st.tuples(st.sampled_from(["read", "write"]), st.integers(0, 2)), max_size=30)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=_STEPS)
def test_interleaved_writers_never_lose_an_update(stores: Stores, steps: list[Any]) -> None:
    """Three writers read and write one profile in any interleaving: a write lands exactly when
    nothing was written since its writer's read, and the stored value is the last that landed."""
    key = ("customer", f"p{next(_EXAMPLES)}")  # a fresh profile per example
    stores.profiles.put_many([(key, b"", 0)])
    stored = (b"", 1)
    read: dict[int, tuple[bytes, int]] = {}
    for step, writer in steps:
        if step == "read":
            row = stores.profiles.get_many([key])[key]
            read[writer] = (row.data, row.version)
            continue
        if writer not in read:
            continue
        data, version = read.pop(writer)
        new = data + str(writer).encode()
        if version == stored[1]:
            stores.profiles.put_many([(key, new, version)])
            stored = (new, version + 1)
        else:
            with pytest.raises(ConcurrentUpdateError):
                stores.profiles.put_many([(key, new, version)])
        row = stores.profiles.get_many([key])[key]
        assert (row.data, row.version) == stored
