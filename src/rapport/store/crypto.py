"""Envelope encryption and keyed pseudonyms: the two primitives of crypto-shredding.

A customer's personal data is stored *sealed* under that customer's own data key (AES-256-GCM
from the ``cryptography`` package; no home-made cipher), and every column that must stay
searchable (the customer of an event or a decision, an event id, a profile key) holds a keyed
pseudonym instead of the identifier. Destroying the data key makes every sealed byte of the
customer unreadable at once, wherever a copy of it went (WAL, backups, replicas), while hashes
over the sealed bytes, and so the decision ledger's chain, still verify.

Envelope layout (bytes)::

    version (1) | key id (8) | nonce (12) | AES-GCM ciphertext + tag (len(plaintext) + 16)

The key id is random, not derived from the customer: it names which key to ask the key table
for without saying whose it is. A new key (a customer who comes back after an erasure) gets a
new id, so data sealed under the destroyed key stays unreadable instead of failing to decrypt
under the wrong key.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENVELOPE_VERSION = 1
KEY_BYTES = 32
KEY_ID_BYTES = 8
NONCE_BYTES = 12
_HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES
_VERSION_BYTE = bytes([ENVELOPE_VERSION])


class KeyDestroyedError(LookupError):
    """Data sealed under a key that no longer exists: its customer was erased."""


class EnvelopeError(ValueError):
    """Bytes that are not an envelope, or that fail authentication (altered or misplaced)."""


@dataclass(frozen=True, slots=True)
class DataKey:
    """One customer's data key, ready to seal and open."""

    key_id: bytes
    cipher: AESGCM

    @classmethod
    def from_bytes(cls, key_id: bytes, key: bytes) -> DataKey:
        return cls(key_id, AESGCM(key))


def new_key() -> tuple[bytes, bytes]:
    """A fresh (key id, 256-bit key) from the operating system's random source."""
    return os.urandom(KEY_ID_BYTES), AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(key: DataKey, plaintext: bytes, context: bytes) -> bytes:
    """Encrypt and authenticate ``plaintext``; ``context`` (e.g. the row's pseudonymous id) is
    authenticated too, so a sealed body moved to another row no longer opens."""
    return seal_with_nonce(key, os.urandom(NONCE_BYTES), plaintext, context)


def seal_with_nonce(key: DataKey, nonce: bytes, plaintext: bytes, context: bytes) -> bytes:
    """:func:`seal` under a nonce the caller drew from :func:`nonce_pool` (or :func:`nonces`)
    for this envelope alone: a nonce used twice under one key breaks AES-GCM."""
    return b"".join(
        (_VERSION_BYTE, key.key_id, nonce, key.cipher.encrypt(nonce, plaintext, context))
    )


def seal_many(items: Sequence[tuple[DataKey, bytes, bytes]]) -> list[bytes]:
    """:func:`seal` each (key, plaintext, context), with the nonces of :func:`nonces`."""
    return [
        seal_with_nonce(key, nonce, plaintext, context)
        for (key, plaintext, context), nonce in zip(items, nonces(len(items)), strict=True)
    ]


def nonce_pool(count: int) -> bytes:
    """The bytes of ``count`` fresh random nonces, :data:`NONCE_BYTES` each, from one read of
    the operating system's random source (see :func:`nonces`)."""
    return os.urandom(NONCE_BYTES * count)


def nonces(count: int) -> list[bytes]:
    """``count`` fresh random nonces from one read of the operating system's random source.

    One read per batch instead of one per envelope (a system call each). The nonces are as
    random as separate reads (a repeat between two is as unlikely), and they live only in the
    caller's frame: nothing is pooled, so no forked process can ever hand out the same ones.
    """
    pool = nonce_pool(count)
    return [pool[i : i + NONCE_BYTES] for i in range(0, len(pool), NONCE_BYTES)]


def key_id_of(envelope: bytes) -> bytes:
    """The id of the key an envelope was sealed under."""
    if len(envelope) < _HEADER_BYTES + 16 or envelope[0] != ENVELOPE_VERSION:
        raise EnvelopeError("not a sealed envelope (wrong version or too short)")
    return envelope[1 : 1 + KEY_ID_BYTES]


def unseal(key: DataKey, envelope: bytes, context: bytes) -> bytes:
    if key_id_of(envelope) != key.key_id:
        raise EnvelopeError("the envelope was sealed under another key")
    nonce = envelope[1 + KEY_ID_BYTES : _HEADER_BYTES]
    try:
        return key.cipher.decrypt(nonce, envelope[_HEADER_BYTES:], context)
    except InvalidTag:
        raise EnvelopeError("the envelope does not authenticate (altered or misplaced)") from None


class Pseudonyms:
    """Keyed pseudonyms: the same identifier always maps to the same reference, and without
    the deployment's secret no one can compute (or test a guess against) a reference.

    BLAKE2b in keyed mode is a PRF (a MAC), like HMAC-SHA256 but about four times faster here,
    which matters on the ingest path (one per event id, per customer and per device). 128 bits
    make a collision between two identifiers negligible for any bank's lifetime of events.
    """

    __slots__ = ("_keyed",)

    PERSON = b"rapport-ref-v1"

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the pseudonym secret must be at least 16 bytes")
        # The hash with its key already absorbed: each pseudonym copies it and absorbs only the
        # identifier, instead of keying a new hash every time (the same digest, in half the time).
        self._keyed = hashlib.blake2b(key=secret, digest_size=16, person=self.PERSON)

    def __call__(self, identifier: str) -> str:
        keyed = self._keyed.copy()
        keyed.update(identifier.encode())
        return keyed.hexdigest()
