"""The stores as the engine sees them, over backends that only ever hold sealed data.

Every backend (memory, SQLite, and any scale-out one) is wrapped the same way, so crypto-shredding
never depends on a backend getting it right, and the conformance suite checks the wrapped stores:

- **Event log.** Each event's text (with its id and customer id) is sealed under the customer's
  data key; the searchable columns hold keyed pseudonyms of the event id and the customer id.
  Type, event time and merchant stay in clear: the fold and the fraud-report join need them, and
  none identifies a person. The body's digest stays too: a 128-bit hash reveals nothing without
  the exact event in hand, and it keeps an erased customer's re-sent event a *duplicate* rather
  than letting it bring the data back.
- **Profiles.** Customer and device profiles are stored under pseudonyms of their ids (a device id
  identifies its owner as surely as a customer id does); merchants stay in clear. A profile holds
  decayed numbers and 32-bit hashes, never an identifier; erasure deletes it.
- **Dead letters** are rejected input, often unparseable, so they cannot be sealed under a
  customer's key: erasure deletes every dead letter that mentions one of the customer's
  identifiers instead (:meth:`DeadLetterStore.forget`).

Records of an erased customer stay in the log (sealed, so the log keeps its order and count)
but can no longer be opened: ``scan`` skips them and ``lookup`` returns them with an empty body
and customer (:data:`ERASED`), enough for idempotency.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from rapport.store.crypto import (
    NONCE_BYTES,
    DataKey,
    Pseudonyms,
    key_id_of,
    nonce_pool,
    seal_with_nonce,
    unseal,
)
from rapport.store.keys import CustomerKeys
from rapport.store.protocols import (
    ConcurrentUpdateError,
    EventLog,
    EventRecord,
    ProfileKey,
    ProfileStore,
    StoredProfile,
)

ERASED = ""
"""The customer id (and body) of an event whose customer was erased."""

PERSONAL_ENTITIES = frozenset({"customer", "device"})
"""Entities whose ids identify a person, stored under pseudonyms."""

_SCAN_CHUNK = 1000
_ENTITY_CACHE_LIMIT = 200_000
_LOOKED_UP_LIMIT = 100_000


class EntityPseudonyms:
    """Pseudonyms of entity ids, remembered: the same customers and devices come back batch
    after batch, and a dictionary hit costs a tenth of the keyed hash."""

    def __init__(self, pseudonym: Pseudonyms) -> None:
        self._pseudonym = pseudonym
        self._cache: dict[str, str] = {}

    def __call__(self, identifier: str) -> str:
        ref = self._cache.get(identifier)
        if ref is None:
            if len(self._cache) > _ENTITY_CACHE_LIMIT:
                self._cache.clear()
            ref = self._cache[identifier] = self._pseudonym(identifier)
        return ref


class SealedEventLog:
    def __init__(self, inner: EventLog, keys: CustomerKeys) -> None:
        self.inner = inner
        self._keys = keys
        self._customers = EntityPseudonyms(keys.pseudonym)
        # When ingest looks a batch's ids up before appending the new ones, the pseudonyms
        # looked up since the last append are kept for it (event ids never repeat: no
        # longer-lived cache).
        self._looked_up: dict[str, str] = {}

    def append(self, records: Sequence[EventRecord]) -> None:
        if not records:
            self.inner.append(records)
            return
        pseudonym, customer_ref = self._keys.pseudonym, self._customers
        looked_up = self._looked_up
        refs = {c: customer_ref(c) for c in {r.customer_id for r in records}}
        keys = self._keys.for_writing(set(refs.values()))
        key_of = {customer_id: keys[ref] for customer_id, ref in refs.items()}
        pool, size = nonce_pool(len(records)), NONCE_BYTES
        sealed: list[EventRecord] = []
        for index, r in enumerate(records):
            event_id, customer_id = r.event_id, r.customer_id
            event_ref = looked_up.get(event_id) or pseudonym(event_id)
            nonce = pool[index * size : index * size + size]
            plaintext = b"\0".join((event_id.encode(), customer_id.encode(), r.body))
            body = seal_with_nonce(key_of[customer_id], nonce, plaintext, event_ref.encode())
            ref = refs[customer_id]
            sealed.append(
                EventRecord(event_ref, r.type, ref, r.time, r.digest, body, r.merchant_id)
            )
        self._looked_up = {}
        self.inner.append(sealed)

    def lookup(self, event_ids: Collection[str]) -> dict[str, EventRecord]:
        pseudonym = self._keys.pseudonym
        looked_up = {event_id: pseudonym(event_id) for event_id in event_ids}
        if len(self._looked_up) > _LOOKED_UP_LIMIT:  # lookups with no append (reads) in between
            self._looked_up = {}
        self._looked_up.update(looked_up)
        by_ref = {ref: event_id for event_id, ref in looked_up.items()}
        stored = self.inner.lookup(by_ref)
        keys = self._keys.for_reading({key_id_of(r.body) for r in stored.values()})
        found: dict[str, EventRecord] = {}
        for ref, record in stored.items():
            opened = self._open(record, keys)
            found[by_ref[ref]] = opened or EventRecord(
                by_ref[ref],
                record.type,
                ERASED,
                record.time,
                record.digest,
                b"",
                record.merchant_id,
            )
        return found

    def scan(
        self, customer_id: str | None = None, types: Collection[str] | None = None
    ) -> Iterator[EventRecord]:
        ref = None if customer_id is None else self._customers(customer_id)
        chunk: list[EventRecord] = []
        for record in self.inner.scan(ref, types):
            chunk.append(record)
            if len(chunk) == _SCAN_CHUNK:
                yield from self._open_all(chunk)
                chunk = []
        yield from self._open_all(chunk)

    def _open_all(self, records: list[EventRecord]) -> Iterator[EventRecord]:
        keys = self._keys.for_reading({key_id_of(r.body) for r in records})
        for record in records:
            opened = self._open(record, keys)
            if opened is not None:
                yield opened

    @staticmethod
    def _open(record: EventRecord, keys: dict[bytes, DataKey]) -> EventRecord | None:
        key = keys.get(key_id_of(record.body))
        if key is None:
            return None
        plaintext = unseal(key, record.body, record.event_id.encode())
        event_id, customer_id, body = plaintext.split(b"\0", 2)
        return EventRecord(
            event_id.decode(),
            record.type,
            customer_id.decode(),
            record.time,
            record.digest,
            body,
            record.merchant_id,
        )

    def count(self) -> int:
        return self.inner.count()


class PseudonymousProfileStore:
    def __init__(self, inner: ProfileStore, keys: CustomerKeys) -> None:
        self.inner = inner
        self._pseudonym = EntityPseudonyms(keys.pseudonym)

    def _stored_key(self, key: ProfileKey) -> ProfileKey:
        entity, entity_id = key
        return (entity, self._pseudonym(entity_id)) if entity in PERSONAL_ENTITIES else key

    def get_many(self, keys: Collection[ProfileKey]) -> dict[ProfileKey, StoredProfile]:
        stored_key = self._stored_key
        originals = {stored_key(key): key for key in keys}
        return {originals[k]: row for k, row in self.inner.get_many(originals).items()}

    def put_many(self, items: Sequence[tuple[ProfileKey, bytes, int]]) -> None:
        stored_key = self._stored_key
        originals: dict[ProfileKey, ProfileKey] = {}
        stored: list[tuple[ProfileKey, bytes, int]] = []
        for key, data, version in items:
            inner_key = stored_key(key)
            originals[inner_key] = key
            stored.append((inner_key, data, version))
        try:
            self.inner.put_many(stored)
        except ConcurrentUpdateError as error:
            raise ConcurrentUpdateError([originals.get(k, k) for k in error.keys]) from None

    def delete(self, key: ProfileKey) -> bool:
        return self.inner.delete(self._stored_key(key))

    def count(self) -> int:
        return self.inner.count()
