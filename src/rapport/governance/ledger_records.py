"""How the ledger stores a decision: a public header, a sealed body, and the chain over both.

A stored record is::

    header  decision_id, kind, action, event_time      (in clear: the ledger's own indexes)
    body    the decision's canonical JSON, deflated (against a preset dictionary of the names
            every record repeats: ``ledger_dictionary``), then sealed under the customer's
            data key
    chain   prev_hash, hash = sha256(prev_hash | header | body)

The chain hashes what is *stored* — the sealed bytes, not the plaintext — so destroying a
customer's key (erasure) leaves every hash intact: ``verify`` needs no key at all, and an
erased customer's records still prove that nothing was altered, removed or reordered. Tampering
with a decision still breaks the chain: changing the plaintext means re-sealing it, which
changes the sealed bytes. The header is hashed too, so the columns the ledger searches (the
contact cap counts actions) cannot be altered unseen either.

Deflating before sealing keeps records small (sealed bytes do not compress); the average stored
record stays under the 1 KiB budget. The customer's pseudonym and the trigger's pseudonym are
*not* in the hash: they are indexes that erasure detaches from the customer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import msgspec

from rapport.decisions.record import Decision, decode, encode
from rapport.governance.ledger_dictionary import deflate, inflate
from rapport.store.crypto import EnvelopeError, key_id_of, seal, unseal
from rapport.store.keys import CustomerKeys
from rapport.store.sealed import EntityPseudonyms

GENESIS = "0" * 64


class DecisionErasedError(LookupError):
    """The decision concerns a customer whose data was erased: it can no longer be read."""

    def __init__(self, decision_id: str) -> None:
        super().__init__(
            f"decision {decision_id!r} concerns an erased customer: its content was destroyed "
            "with the customer's key (the ledger chain still verifies), so it cannot be read "
            "or replayed"
        )
        self.decision_id = decision_id


class StoredDecision(msgspec.Struct, frozen=True, gc=False):
    """One ledger row as stored."""

    position: int
    decision_id: str
    kind: str
    action: str
    event_time: float
    """Event time, seconds since the epoch."""
    body: bytes
    """The decision, deflated and sealed under its customer's data key."""
    prev_hash: str
    hash: str


def chain_hash(
    prev_hash: str, decision_id: str, kind: str, action: str, event_time: float, body: bytes
) -> str:
    header = f"{decision_id}\n{kind}\n{action}\n{event_time!r}\n".encode()
    return hashlib.sha256(prev_hash.encode() + header + body).hexdigest()


def stored_hash(record: StoredDecision, prev_hash: str) -> str:
    return chain_hash(
        prev_hash, record.decision_id, record.kind, record.action, record.event_time, record.body
    )


@dataclass(frozen=True)
class Verification:
    ok: bool
    records: int
    broken_at: int | None = None
    """Position (1-based) of the first record that does not verify."""
    decision_id: str | None = None
    problem: str = ""


def verify_records(records: Iterable[StoredDecision]) -> Verification:
    """Walk stored records in chain order; report the first whose hash or link does not hold."""
    prev = GENESIS
    count = 0
    for record in records:
        count += 1
        where = (False, count, record.position, record.decision_id)
        try:
            key_id_of(record.body)
        except EnvelopeError as error:
            return Verification(*where, f"unreadable record: {error}")
        if record.prev_hash != prev:
            return Verification(
                *where,
                "its previous hash does not match the record before it "
                "(a record was removed or reordered)",
            )
        if stored_hash(record, prev) != record.hash:
            return Verification(*where, "its content does not match its hash")
        prev = record.hash
    return Verification(True, count)


class RecordSealer:
    """Seals decisions under their customer's key and opens them again; names the pseudonyms
    the ledger indexes by."""

    def __init__(self, open_keys: Callable[[], CustomerKeys]) -> None:
        # Opened on first use: verifying the chain needs no key, so ``rapport audit verify``
        # never touches (or creates) the key file.
        self._open_keys = open_keys
        self._keys: CustomerKeys | None = None
        self._customers: EntityPseudonyms | None = None

    @property
    def opened(self) -> bool:
        return self._keys is not None

    @property
    def keys(self) -> CustomerKeys:
        if self._keys is None:
            self._keys = self._open_keys()
        return self._keys

    def customer_ref(self, customer_id: str) -> str:
        if self._customers is None:
            self._customers = EntityPseudonyms(self.keys.pseudonym)
        return self._customers(customer_id)

    def trigger_ref(self, trigger_event_id: str) -> str:
        return self.keys.pseudonym(trigger_event_id)

    def seal(self, decision: Decision) -> bytes:
        ref = self.customer_ref(decision.customer_id)
        key = self.keys.for_writing([ref])[ref]
        plain = encode(msgspec.structs.replace(decision, prev_hash="", hash=""))
        return seal(key, deflate(plain), decision.decision_id.encode())

    def open(self, record: StoredDecision) -> Decision:
        """The decision a record holds; :class:`DecisionErasedError` if its key is destroyed."""
        key_id = key_id_of(record.body)
        key = self.keys.for_reading([key_id]).get(key_id)
        if key is None:
            raise DecisionErasedError(record.decision_id)
        plain = inflate(unseal(key, record.body, record.decision_id.encode()))
        return msgspec.structs.replace(decode(plain), prev_hash=record.prev_hash, hash=record.hash)

    def readable(self, record: StoredDecision) -> Decision | None:
        try:
            return self.open(record)
        except DecisionErasedError:
            return None

    def is_erased(self, record: StoredDecision) -> bool:
        key_id = key_id_of(record.body)
        return key_id not in self.keys.for_reading([key_id])
