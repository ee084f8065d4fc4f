"""Ingest of many batches with each batch's write overlapping the next batch's work.

``Engine.ingest`` reads a batch's ids and profiles, folds the batch into them, then writes the
result, one step after the other. Over a file of batches, the write of batch N (sealing its
events, the store's inserts and commit) runs in a second process, on the machine's second core,
while batch N+1 is parsed, read and folded. A thread would not do: the write binds each row's
values in Python, so it would wait for the interpreter lock the fold holds, row after row.

Batch N+1 must see batch N's effects whether or not they have landed: its reads take the
store's answer *overlaid* with batch N's pending writes (the profiles it will store, with the
versions they will have; the events it will log, with their digests and merchants). Batch N
changes only rows the overlay covers, so whichever side of batch N's write each read falls (even
part-way through it, as a Redis profile store can show), the fold starts from what the store
holds once batch N is written, and the verdicts, profiles and log are the ones one-by-one
ingestion gives (tests/test_ingest_pipeline.py checks it on files with duplicates, id
conflicts, late and invalid events, on SQLite and on PostgreSQL with Redis profiles).

A report is handed out only once its batch is written, so everything reported is stored. If a
write fails, nothing after it is written or reported. If it fails because another writer
updated one of its profiles meanwhile (:class:`ConcurrentUpdateError`), or because it was folded
without looking its ids up (as ``Engine.ingest`` folds while batches come with none logged) and
held a logged one (:class:`DuplicateEventError`), the batch is ingested again the one-by-one
way, which looks up and retries, and the next batch is folded again from what was stored.
Stores another process cannot open (``memory://``) are ingested one batch at a time.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec

from rapport.governance.protected import ProtectedUpdate
from rapport.profiles.admission import Candidate, Parsed, Route, Verdict
from rapport.results import IngestReport, collector_paused
from rapport.store import (
    ConcurrentUpdateError,
    DeadLetter,
    DuplicateEventError,
    Stores,
    open_stores,
)
from rapport.store.protocols import EventRecord, ProfileKey, StoredProfile

if TYPE_CHECKING:
    from rapport.engine import Engine
    from rapport.events.validation import RawEvent


@dataclass(slots=True)
class AdmittedBatch:
    """A batch parsed, with its protected values taken out, before any store is read."""

    raws: list[RawEvent]
    received_at: float
    parsed: Parsed
    protected: dict[int, ProtectedUpdate]

    @property
    def candidates(self) -> list[Candidate]:
        return self.parsed.candidates


@dataclass(slots=True)
class BatchInputs:
    """What a batch's fold starts from: the store's state, overlaid with any pending write."""

    known_digests: dict[str, str]
    """Ids of the batch's events already logged, with their digests."""
    merchants: dict[str, str | None]
    """The merchant of every transaction the batch names (its own, and fraud reports')."""
    routes: list[Route]
    stored: dict[ProfileKey, StoredProfile]
    """The profiles the batch touches that are stored (or pending)."""


@dataclass(slots=True)
class FoldedBatch:
    """A batch applied to its profiles in memory: what its write will store."""

    verdicts: list[Verdict]
    writes: list[tuple[ProfileKey, bytes, int]]
    records: list[EventRecord]
    letters: list[DeadLetter]

    def stored(self) -> dict[ProfileKey, StoredProfile]:
        """Each written profile as the store will hold it, version included."""
        return {key: StoredProfile(data, version + 1) for key, data, version in self.writes}

    def logged(self) -> dict[str, EventRecord]:
        """Each logged event by id, as a look-up of the log will return it."""
        return {record.event_id: record for record in self.records}


_WRITER_STORES: Stores | None = None


def _open_writer(url: str) -> None:
    global _WRITER_STORES  # noqa: PLW0603 - the writer process's own connection, opened once
    _WRITER_STORES = stores = open_stores(url)
    # Closed when the process ends (a pool's worker runs multiprocessing's finalizers, not
    # atexit's).
    multiprocessing.util.Finalize(None, stores.close, exitpriority=10)


# A folded batch goes to the writer as one MessagePack message: encoding it here costs about a
# third of pickling it (which a queue thread of this process would do, holding the interpreter
# lock the fold needs), and the writer, which has time to spare, decodes it.
_WriteMessage = tuple[list[tuple[ProfileKey, bytes, int]], list[EventRecord], list[DeadLetter]]
_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(_WriteMessage)


def _write(message: bytes) -> None:
    """In the writer process: store one folded batch as one unit of work."""
    assert _WRITER_STORES is not None, "the writer process opens its stores first"
    write_folded(_WRITER_STORES, *_DECODER.decode(message))


def logged_among_late(stores: Stores, folded: FoldedBatch) -> bool:
    """Whether an event the fold refused as too late is logged: a re-sent event is a
    duplicate however late, and only a write checks the ids of the events it appends (a fold
    that did not look the batch's ids up must then look these up)."""
    late = {d.event_id for d in folded.letters if d.code == "too_late" and d.event_id}
    return bool(late) and bool(stores.events.lookup(late))


def write_folded(
    stores: Stores,
    writes: list[tuple[ProfileKey, bytes, int]],
    records: list[EventRecord],
    letters: list[DeadLetter],
) -> None:
    with stores.transaction():
        stores.profiles.put_many(writes)
        stores.events.append(records)
        stores.dead_letters.put(letters)


def ingest_batches(engine: Engine, batches: Iterable[Iterable[RawEvent]]) -> Iterator[IngestReport]:
    """A report per batch, in order, each once its batch is written (see the module).

    The writer process is started the way ``multiprocessing`` starts ``spawn`` children, so a
    script that calls this needs the usual ``if __name__ == "__main__":`` guard.
    """
    url = engine.stores.url
    if url == "memory://" or url.endswith(":memory:"):
        for raws in batches:
            yield engine.ingest(raws)
        return
    context = multiprocessing.get_context("spawn")  # no copy of this process's connections
    with ProcessPoolExecutor(1, context, initializer=_open_writer, initargs=(url,)) as writer:
        # The batch folded and being written.
        writing: tuple[AdmittedBatch, FoldedBatch, Future[None]] | None = None
        for raws in batches:
            report: IngestReport | None = None
            with collector_paused():
                batch = engine.admit(raws)
                folded = engine.fold_admitted(batch, None if writing is None else writing[1])
                if writing is not None:
                    report, refolded = _settle(engine, *writing)
                    if refolded:  # the batch before went in another way: fold this one again
                        folded = engine.fold_batch(batch, engine.read_inputs(batch, None))
                message = _ENCODER.encode((folded.writes, folded.records, folded.letters))
                write = writer.submit(_write, message)
                writing = (batch, folded, write)
            if report is not None:
                yield report
        if writing is not None:
            with collector_paused():
                report, _ = _settle(engine, *writing)
            yield report


def _settle(
    engine: Engine, batch: AdmittedBatch, folded: FoldedBatch, write: Future[None]
) -> tuple[IngestReport, bool]:
    """Wait for a batch's write and settle it; whether it had to be ingested again because
    another writer got in between (the one-by-one way, which retries)."""
    try:
        write.result()
    except (ConcurrentUpdateError, DuplicateEventError):
        # A batch folded without looking its ids up held a logged one (or another writer got
        # in between): ingest it again the one-by-one way, which looks up and retries.
        engine.pipeline_refolds += 1
        return engine.ingest(batch.raws), True
    return engine.settle(batch, folded), False
