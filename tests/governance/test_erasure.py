"""Right to erasure: an erased customer cannot be found in any store file, the ledger chain
still verifies, other customers' decisions still replay exactly, and an erased decision says so."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rapport.engine import Engine, UnknownEntityError
from rapport.governance.erasure import (
    AlreadyErasedError,
    UnknownCustomerError,
    erase_customer,
    tombstones_of,
)
from rapport.governance.ledger import DecisionErasedError, verify
from rapport.store.crypto import KEY_BYTES
from tests.governance.erasure_samples import (
    ERASED,
    PERSONAL,
    bad_events,
    erased_history,
    other_history,
)


def _populate(engine: Engine) -> tuple[list[str], list[str]]:
    """Both customers' histories with their decisions; returns (erased's, kept's) decision ids."""
    events = sorted([*erased_history(), *other_history()], key=lambda e: str(e["timestamp"]))
    report, decisions = engine.ingest_and_decide(events)
    assert report.rejected == 0
    engine.ingest(bad_events())
    for customer in (ERASED, "c-kept"):
        decisions.append(engine.decide("communication", customer, context={"purpose": "service"}))
        decisions.append(engine.decide("credit_limit", customer))
    mine = [d.decision_id for d in decisions if d.customer_id == ERASED]
    theirs = [d.decision_id for d in decisions if d.customer_id != ERASED]
    assert {d.kind for d in decisions if d.customer_id == ERASED} >= {
        "fraud",
        "credit_limit",
        "next_best_action",
        "communication",
    }
    return mine, theirs


def _store_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _assert_forgotten(folder: Path, secret_key: bytes, while_open: bool) -> None:
    """No identifier of the erased customer, and not their key, in any byte of any file."""
    files = _store_files(folder)
    assert {"rapport.db", "rapport.keys.db", "rapport.protected.db"} <= set(files)
    if while_open:
        assert "rapport.db-wal" in files
    for name, content in files.items():
        for identifier in PERSONAL:
            assert identifier.encode() not in content, (identifier, name)
        assert secret_key not in content, name


def test_an_erased_customer_is_in_no_store_file_and_the_chain_still_verifies(
    tmp_path: Path,
) -> None:
    db = tmp_path / "rapport.db"
    with Engine(db) as engine:
        mine, theirs = _populate(engine)
        assert engine.dead_letters()
        assert engine.protected.get_many([ERASED])
        key = engine.stores.keys.for_writing([engine.stores.keys.pseudonym(ERASED)])
        key_id = next(iter(key.values())).key_id
        with sqlite3.connect(tmp_path / "rapport.keys.db") as keys:
            (secret_key,) = keys.execute(
                "SELECT key FROM data_keys WHERE key_id = ?", (key_id,)
            ).fetchone()
        assert len(secret_key) == KEY_BYTES
        before = {d: engine.replay(d) for d in theirs}
        # Before erasure the raw files already hold none of the ids in the sealed stores; the
        # dead letters and protected store do hold them (in clear, by nature), so the check
        # below is not vacuous.
        raw = b"".join(_store_files(tmp_path).values())
        assert ERASED.encode() in raw

        report = erase_customer(engine, ERASED, actor="test-dpo")

        assert report.wal_truncated
        counts = report.tombstone.counts
        assert counts["decisions"] == len(mine)
        assert counts["keys_destroyed"] == 1
        assert counts["profiles"] == 2  # the customer and their phone
        assert counts["dead_letters"] == 2
        assert counts["protected_attributes"] == 2
        assert report.tombstone.customer_ref != ERASED
        assert verify(engine.decisions.ledger).ok
        for decision_id in mine:
            assert engine.decisions.ledger.get(decision_id) is None
            assert engine.decisions.ledger.erased(decision_id)
            with pytest.raises(DecisionErasedError, match="erased"):
                engine.replay(decision_id)
        for decision_id, (original, again) in before.items():
            now_original, now_again = engine.replay(decision_id)
            assert now_original == original
            assert now_again.outcome() == again.outcome() == original.outcome()
        with pytest.raises(UnknownEntityError):
            engine.profile(ERASED)
        assert engine.profile("c-kept").event_count > 40
        assert engine.stores.keys.for_reading([key_id]) == {}
        assert not engine.protected.get_many([ERASED])
        assert engine.monitors is not None
        audit = [r for r in engine.monitors.audit.scan() if r.act == "customer.erased"]
        assert [r.details["customer_ref"] for r in audit] == [report.tombstone.customer_ref]
        # While the engine still runs (its WAL and shared-memory files in place) ...
        _assert_forgotten(tmp_path, bytes(secret_key), while_open=True)
    # ... and once it is closed.
    _assert_forgotten(tmp_path, bytes(secret_key), while_open=False)
    # The other customer's events and decisions are sealed too ...
    with sqlite3.connect(db) as connection:
        for table in ("events", "decisions"):
            for row in connection.execute(f"SELECT * FROM {table}"):
                assert not any(b"kept-" in str(v).encode() for v in row), table
    with Engine(db) as engine:  # ... yet readable by the engine, after reopening too
        assert engine.profile("c-kept").event_count > 40
        assert verify(engine.decisions.ledger).ok
        assert all(engine.replay(d)[1].outcome() == engine.replay(d)[0].outcome() for d in theirs)


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_erasing_twice_or_a_stranger_says_so(store: str, tmp_path: Path) -> None:
    with Engine("memory://" if store == "memory" else tmp_path / "r.db") as engine:
        _populate(engine)
        with pytest.raises(UnknownCustomerError):
            erase_customer(engine, "nobody", actor="t")
        first = erase_customer(engine, ERASED, actor="t")
        with pytest.raises(AlreadyErasedError) as again:
            erase_customer(engine, ERASED, actor="t")
        assert again.value.tombstone == first.tombstone
        assert tombstones_of(engine).of(first.tombstone.customer_ref) == [first.tombstone]
        assert verify(engine.decisions.ledger).ok


def test_a_customer_who_comes_back_starts_afresh(tmp_path: Path) -> None:
    with Engine(tmp_path / "r.db") as engine:
        mine, _ = _populate(engine)
        erase_customer(engine, ERASED, actor="t")
        # A re-sent old event stays a duplicate: it does not bring the old data back.
        resent = engine.ingest(erased_history()[:3])
        assert resent.duplicates == 3
        fresh = engine.ingest(
            [{**e, "event_id": f"new-{i}"} for i, e in enumerate(erased_history()[:5])]
        )
        assert fresh.accepted == 5
        assert engine.profile(ERASED).event_count == 5
        assert [r.event_id for r in engine.stores.events.scan(ERASED)] == [
            f"new-{i}" for i in range(5)
        ]
        # The old decisions stay erased; the contact count starts from zero.
        assert all(engine.decisions.ledger.erased(d) for d in mine)
        assert engine.decisions.ledger.count(ERASED, "communication", "send", 0.0) == 0
        erase_customer(engine, ERASED, actor="t")
        assert len(tombstones_of(engine).all()) == 2
        assert verify(engine.decisions.ledger).ok
