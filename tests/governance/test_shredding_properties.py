"""Properties of crypto-shredding: sealing round-trips and detects any alteration; whichever
customers are erased, the ledger's chain verifies and everyone else's decisions read the same."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.decisions.record import Decision, ReasonCode
from rapport.governance.ledger import DecisionLedger, MemoryLedger, SqliteLedger, verify
from rapport.store import open_stores
from rapport.store.crypto import (
    NONCE_BYTES,
    DataKey,
    EnvelopeError,
    Pseudonyms,
    new_key,
    nonce_pool,
    nonces,
    seal,
    seal_many,
    seal_with_nonce,
    unseal,
)
from rapport.store.keys import CustomerKeys, MemoryKeys, SqliteKeys
from rapport.store.protocols import EventRecord
from rapport.store.sealed import SealedEventLog

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.binary(max_size=4096), st.binary(max_size=64), st.data())
def test_seal_round_trips_and_any_altered_byte_fails(
    plaintext: bytes, context: bytes, data: st.DataObject
) -> None:
    key = DataKey.from_bytes(*new_key())
    envelope = seal(key, plaintext, context)
    assert unseal(key, envelope, context) == plaintext
    assert plaintext not in envelope[21:] or len(plaintext) < 8
    position = data.draw(st.integers(0, len(envelope) - 1))
    flipped = bytearray(envelope)
    flipped[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(EnvelopeError):
        unseal(key, bytes(flipped), context)
    with pytest.raises(EnvelopeError):
        unseal(key, envelope, context + b"elsewhere")
    other = DataKey.from_bytes(*new_key())
    with pytest.raises(EnvelopeError):
        unseal(other, envelope, context)


@PROPERTY
@given(st.integers(1, 3000))
def test_a_batch_of_nonces_is_fresh_and_each_seals_once(count: int) -> None:
    drawn = nonces(count)
    assert len(drawn) == count
    assert {len(n) for n in drawn} == {NONCE_BYTES}
    assert len(set(drawn)) == count  # 96 random bits each: a repeat would be a broken source
    assert set(drawn).isdisjoint(nonces(count))
    key, other = DataKey.from_bytes(*new_key()), DataKey.from_bytes(*new_key())
    items = [(key if i % 2 else other, b"body %d" % i, b"ctx %d" % i) for i in range(count)]
    envelopes = seal_many(items)
    assert len({envelope[9:21] for envelope in envelopes}) == count
    for (used, plaintext, context), envelope in zip(items, envelopes, strict=True):
        assert unseal(used, envelope, context) == plaintext


@PROPERTY
@given(st.binary(min_size=16, max_size=64), st.lists(st.text(max_size=40), max_size=5))
def test_pseudonyms_are_the_keyed_blake2b_existing_stores_hold(
    secret: bytes, identifiers: list[str]
) -> None:
    # Stored rows are found by these references: their definition must never drift.
    pseudonym = Pseudonyms(secret)
    for identifier in identifiers:
        expected = hashlib.blake2b(
            identifier.encode(), key=secret, digest_size=16, person=b"rapport-ref-v1"
        ).hexdigest()
        assert pseudonym(identifier) == expected
        assert pseudonym(identifier) == expected  # calling it leaves no trace in the next


def test_the_event_log_seals_each_event_under_its_own_nonce() -> None:
    stores = open_stores("memory://")
    records = [
        EventRecord(f"e{i}", "login", f"c{i % 3}", float(i), f"d{i}", b"{}", None)
        for i in range(500)
    ]
    with stores.transaction():
        stores.events.append(records)
    assert isinstance(stores.events, SealedEventLog)
    sealed = [r.body for r in stores.events.inner.scan(None, None)]  # the backend's rows
    assert len(sealed) == 500
    assert len({body[9:21] for body in sealed}) == 500
    assert [r.event_id for r in stores.events.scan()] == [r.event_id for r in records]


def _decision(n: int, customer: str, kind: str, action: str) -> Decision:
    return Decision(
        decision_id=f"dec-{n}",
        kind=kind,
        customer_id=customer,
        trigger_event_id=f"{customer}-event-{n}",
        event_time=f"2026-02-{1 + n % 27:02d}T10:00:00+00:00",
        inputs={"features.amount_z": n / 7.0, "event.channel": "web"},
        candidates=[],
        action=action,
        score=n / 100.0,
        propensity=1.0,
        reasons=[ReasonCode("R1", f"reason for {customer}", 0.5)],
        policy_version="p1",
        model_versions={kind: "m1"},
        seed=n,
    )


DECISIONS = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.sampled_from(["fraud", "communication", "credit_limit"]),
        st.sampled_from(["approve", "send", "hold"]),
    ),
    min_size=1,
    max_size=40,
)


def _ledger(backend: str, folder: Path) -> tuple[DecisionLedger, CustomerKeys]:
    if backend == "memory":
        keys: CustomerKeys = MemoryKeys()
        return MemoryLedger(keys), keys
    folder.mkdir(parents=True)
    keys = SqliteKeys(folder / "l.keys.db")
    return SqliteLedger(folder / "l.db", keys), keys


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@PROPERTY
@given(decisions=DECISIONS, erased=st.sets(st.integers(0, 5)))
def test_any_erasure_leaves_the_chain_whole(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    decisions: list[tuple[int, str, str]],
    erased: set[int],
) -> None:
    ledger, keys = _ledger(backend, tmp_path_factory.mktemp("shred") / "ledger")
    appended = [
        ledger.append(_decision(n, f"cust-{c}", kind, action))
        for n, (c, kind, action) in enumerate(decisions)
    ]
    for customer in sorted(erased):
        ledger.erase(f"cust-{customer}")
        keys.destroy(keys.pseudonym(f"cust-{customer}"))
    result = verify(ledger)
    assert result.ok, result
    assert result.records == len(decisions)
    for decision, (c, kind, action) in zip(appended, decisions, strict=True):
        if c in erased:
            assert ledger.get(decision.decision_id) is None
            assert ledger.erased(decision.decision_id)
            assert ledger.count(decision.customer_id, kind, action, 0.0) == 0
        else:
            assert ledger.get(decision.decision_id) == decision
            assert not ledger.erased(decision.decision_id)
    kept = [d for d, (c, _, _) in zip(appended, decisions, strict=True) if c not in erased]
    assert list(ledger.records()) == kept
    ledger.close()
    keys.close()


def test_an_envelope_carries_the_nonce_it_was_sealed_under() -> None:
    key = DataKey.from_bytes(*new_key())
    pool = nonce_pool(3)
    assert len(pool) == 3 * NONCE_BYTES
    for index in range(3):
        nonce = pool[index * NONCE_BYTES : (index + 1) * NONCE_BYTES]
        envelope = seal_with_nonce(key, nonce, b"body %d" % index, b"ctx")
        assert envelope[9:21] == nonce
        assert unseal(key, envelope, b"ctx") == b"body %d" % index


def test_a_sealed_batch_uses_each_nonce_once_and_every_record_opens() -> None:
    stores = open_stores("memory://")
    records = [
        EventRecord(f"e{i}", "login", f"c{i % 7}", float(i), f"d{i}", b"{}", None)
        for i in range(500)
    ]
    stores.events.append(records)
    assert isinstance(stores.events, SealedEventLog)
    sealed = list(stores.events.inner.scan())
    assert len({record.body[9:21] for record in sealed}) == len(records)
    assert list(stores.events.scan()) == records
