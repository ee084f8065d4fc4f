"""Where each customer's events are in the SQLite event log: one row per customer and batch.

A point-in-time read or an erasure scans one customer's events. An index on
``events (customer_id, seq)`` served that, at one B-tree insert per event on a random leaf: about
a seventh of SQLite ingest (docs/performance.md). A *posting* instead lists the sequence numbers
of one customer's events in one appended batch, so a 20,000-event batch over 2,000 customers
writes 2,000 postings rather than 20,000 index entries; a single-event batch writes one, as the
index did. A scan reads the customer's postings (one index range) and then the events by
sequence number (the table's own key).
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from collections.abc import Iterable

SCHEMA = """
CREATE TABLE IF NOT EXISTS customer_postings (
    customer_id TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    seqs BLOB NOT NULL,
    PRIMARY KEY (customer_id, first_seq)
) WITHOUT ROWID;
"""
"""``seqs``: the ascending sequence numbers of the customer's events in one batch, as
little-endian signed 64-bit integers; ``first_seq`` is the first of them."""


def _encode(seqs: array[int]) -> bytes:
    if sys.byteorder == "big":
        seqs = array("q", seqs)
        seqs.byteswap()
    return seqs.tobytes()


def _decode(blob: bytes) -> array[int]:
    seqs = array("q")
    seqs.frombytes(blob)
    if sys.byteorder == "big":
        seqs.byteswap()
    return seqs


def post(connection: sqlite3.Connection, events: Iterable[tuple[str, int]]) -> None:
    """Record where the given (customer, sequence number) events are, in ascending order."""
    by_customer: dict[str, array[int]] = {}
    for customer_id, seq in events:
        seqs = by_customer.get(customer_id)
        if seqs is None:
            seqs = by_customer[customer_id] = array("q")
        seqs.append(seq)
    connection.executemany(
        "INSERT INTO customer_postings (customer_id, first_seq, seqs) VALUES (?, ?, ?)",
        # bytearray: sqlite3 binds it as it is, bytes through its adapter (see sqlite._blob).
        [
            (customer_id, seqs[0], bytearray(_encode(seqs)))
            for customer_id, seqs in by_customer.items()
        ],
    )


def sequence_numbers(connection: sqlite3.Connection, customer_id: str, after: int) -> list[int]:
    """The customer's sequence numbers above ``after``, ascending."""
    found: list[int] = []
    for (blob,) in connection.execute(
        "SELECT seqs FROM customer_postings WHERE customer_id = ? ORDER BY first_seq",
        (customer_id,),
    ):
        seqs = _decode(blob)
        if seqs[-1] > after:
            found.extend(s for s in seqs if s > after)
    return found
