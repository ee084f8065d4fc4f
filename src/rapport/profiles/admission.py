"""Admission: decide each event's verdict (accepted, duplicate, rejected) and fold the accepted.

This is the one place that says what an event does to the profiles, shared by live ingestion
(:class:`rapport.Engine`) and backfill, so that the two can never disagree.
"""

from __future__ import annotations

import hashlib
import operator
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import msgspec

from rapport.events.model import BaseEvent, Event, FraudReportEvent, TransactionEvent
from rapport.events.validation import (
    MAX_EVENT_BYTES,
    EventRejectedError,
    RawEvent,
    Rejection,
    canonical_json,
    event_decoder,
    parse_event,
    raw_text,
)
from rapport.profiles import native
from rapport.profiles.catalog import Entity
from rapport.profiles.family import LAST_EVENT, FoldContext
from rapport.profiles.fold import EVENT_TYPE_OF, ProfileFold
from rapport.profiles.state import State
from rapport.store.protocols import DeadLetter, EventRecord, ProfileKey

Status = Literal["accepted", "duplicate", "rejected"]
Route = tuple[str | None, list[ProfileKey]]
"""An event's merchant (if any) and the profiles it updates."""

_index = operator.attrgetter("index")
_ENTITIES = (Entity.CUSTOMER, Entity.MERCHANT, Entity.DEVICE)


class Verdict(msgspec.Struct, frozen=True, gc=False):
    """What happened to one input, in input order.

    A frozen msgspec struct rather than a frozen dataclass: one is built per input, and it builds
    several times faster; holding only scalars, it never needs the garbage collector.
    """

    index: int
    status: Status
    event_id: str | None = None
    code: str | None = None
    field: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"index": self.index, "status": self.status}
        for name in ("event_id", "code", "field", "reason"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


class Candidate(msgspec.Struct, gc=False):
    """An input that passed validation, with what the log needs to keep it (a struct: one is
    built per event, in C)."""

    index: int
    raw: RawEvent
    event: Event
    body: bytes
    digest: str


@dataclass(slots=True)
class Parsed:
    """A parsed batch: its candidates and early refusals, and what later steps look up about
    the candidates, gathered while each event is at hand (one pass instead of one per step)."""

    candidates: list[Candidate] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    """The candidates' event ids."""
    merchants: dict[str, str | None] = field(default_factory=dict)
    """Each transaction's merchant, by event id."""
    referenced: set[str] = field(default_factory=set)
    """Transactions named by fraud reports, whose merchants the fold must know."""
    by_type: dict[type[BaseEvent], list[Candidate]] = field(default_factory=dict)
    """The candidates of each event class, in input order."""

    def of_types(self, classes: Iterable[type[BaseEvent]]) -> list[Candidate]:
        """The candidates of the given event classes, in input order."""
        chosen = [c for cls in classes for c in self.by_type.get(cls, ())]
        chosen.sort(key=_index)
        return chosen


def parse_batch(raws: Iterable[RawEvent], received_at: float | None = None) -> Parsed:
    """Validate every input: valid ones become candidates, invalid ones dead letters."""
    now = time.time() if received_at is None else received_at
    parsed = Parsed()
    decode, blake2b = event_decoder.decode, hashlib.blake2b
    candidates, ids, merchants = parsed.candidates, parsed.ids, parsed.merchants
    by_type = parsed.by_type
    for index, raw in enumerate(raws):
        try:
            # parse_event's path for the usual input, inline; anything else, and every error
            # (for its explanation), goes through parse_event itself.
            if type(raw) is bytes and len(raw) <= MAX_EVENT_BYTES:
                try:
                    event = decode(raw)
                except (msgspec.DecodeError, UnicodeDecodeError):
                    event = parse_event(raw)
            else:
                event = parse_event(raw)
        except EventRejectedError as error:
            parsed.verdicts.append(_reject(index, None, error.rejection))
            parsed.letters.append(_letter(now, raw, None, error.rejection))
            continue
        body = canonical_json(event)
        candidate = Candidate(index, raw, event, body, blake2b(body, digest_size=16).hexdigest())
        candidates.append(candidate)
        ids.add(event.event_id)
        if type(event) is TransactionEvent:
            merchants[event.event_id] = event.payload.merchant_id
        elif type(event) is FraudReportEvent:
            parsed.referenced.add(event.payload.transaction_event_id)
        cls = type(event)
        group = by_type.get(cls)
        if group is None:
            by_type[cls] = [candidate]
        else:
            group.append(candidate)
    return parsed


@dataclass(slots=True)
class _Run:
    """One batch's admission: what it reads and extends, and what it hands back."""

    known_digests: MutableMapping[str, str]
    merchants: MutableMapping[str, str | None]
    states: dict[ProfileKey, State]
    new_state: Callable[[ProfileKey], State]
    received_at: float
    before_apply: Callable[[Candidate, State], None] | None
    verdicts: list[Verdict] = field(default_factory=list)
    records: list[EventRecord] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)
    touched: set[ProfileKey] = field(default_factory=set)


class Admission:
    """Applies candidates in order to in-memory states, with idempotency and the lateness bound.

    With the compiled kernels, a batch's new, timely events are admitted in C
    (``Kernels.admitter``), which hands every other candidate (a duplicate, an id conflict, a
    late event) back to :meth:`admit_one`, the reference, which words and dead-letters it.
    """

    def __init__(
        self, fold: ProfileFold, allowed_lateness_seconds: float, *, compiled: bool = True
    ) -> None:
        """``compiled=False`` admits every candidate through :meth:`admit_one` even where the
        fold has kernels (the tests compare the two paths on the same fold)."""
        self.fold = fold
        self._lateness = allowed_lateness_seconds
        kernels = fold.kernels
        self._route_classes = (TransactionEvent, FraudReportEvent, fold.device_classes)
        self.compiled_calls = 0
        """How many times :meth:`run` handed candidates to the compiled path."""
        self._admit: native.Admit | None = None
        if kernels is not None and compiled:
            self._admit = kernels.admitter(
                {cls: fold.plans[kind] for cls, kind in EVENT_TYPE_OF.items()},
                dict(EVENT_TYPE_OF),
                TransactionEvent,
                allowed_lateness_seconds,
                FoldContext,
                Verdict,
                EventRecord,
            )

    @property
    def lateness(self) -> float:
        """The lateness bound, seconds (fixed: the compiled path holds it too)."""
        return self._lateness

    def merchant_for(self, event: BaseEvent, merchants: Mapping[str, str | None]) -> str | None:
        if isinstance(event, TransactionEvent):
            return event.payload.merchant_id
        if isinstance(event, FraudReportEvent):
            return merchants.get(event.payload.transaction_event_id)
        return None

    def routes(
        self,
        candidates: Iterable[Candidate],
        merchants: Mapping[str, str | None],
        wanted: set[ProfileKey] | None = None,
    ) -> list[Route]:
        """Each candidate's merchant and the profiles it would update, in candidate order;
        every such profile's key is added to ``wanted``, if given.

        ``merchants`` must already name every transaction of the batch (``Parsed.merchants``):
        then admitting the candidates in order resolves the same
        merchants, so :meth:`run` can take these routes instead of working them out again.
        Compiled (``Kernels.routes``) when the extension is built; :meth:`routes_reference`
        otherwise.
        """
        kernels = self.fold.kernels
        if kernels is None or type(merchants) is not dict:
            return self.routes_reference(candidates, merchants, wanted)
        return kernels.routes(
            candidates if isinstance(candidates, list) else list(candidates),
            merchants,
            set() if wanted is None else wanted,
            self._route_classes,
            _ENTITIES,
        )

    def routes_reference(
        self,
        candidates: Iterable[Candidate],
        merchants: Mapping[str, str | None],
        wanted: set[ProfileKey] | None = None,
    ) -> list[Route]:
        """:meth:`routes`, in Python: ``merchant_for`` and ``ProfileFold.keys_for``."""
        routes: list[Route] = []
        for c in candidates:
            merchant = self.merchant_for(c.event, merchants)
            keys = self.fold.keys_for(c.event, merchant)
            if wanted is not None:
                wanted.update(keys)
            routes.append((merchant, keys))
        return routes

    def run(
        self,
        candidates: Iterable[Candidate],
        known_digests: MutableMapping[str, str],
        merchants: MutableMapping[str, str | None],
        states: dict[ProfileKey, State],
        new_state: Callable[[ProfileKey], State],
        received_at: float,
        before_apply: Callable[[Candidate, State], None] | None = None,
        routes: Sequence[Route] | None = None,
    ) -> tuple[list[Verdict], list[EventRecord], list[DeadLetter], set[ProfileKey]]:
        """Admit each candidate in order.

        ``known_digests`` maps event ids already accepted to their digests and is extended with
        each newly accepted event; ``states`` is read and updated in place. ``before_apply`` sees
        each accepted event with its customer's state just before the event is folded in.
        ``routes`` may pass :meth:`routes` of the same candidates and merchants.
        """
        run = _Run(known_digests, merchants, states, new_state, received_at, before_apply)
        batch = candidates if isinstance(candidates, list) else list(candidates)
        route_list = routes if routes is None or isinstance(routes, list) else list(routes)
        # The compiled path calls no hook and takes plain dicts only.
        admit = None if before_apply is not None else self._admit
        known = known_digests if type(known_digests) is dict else None
        merchant_of = merchants if type(merchants) is dict else None
        position, count = 0, len(batch)
        while position < count:
            if admit and route_list is not None and known is not None and merchant_of is not None:
                self.compiled_calls += 1
                position = admit(
                    batch,
                    position,
                    route_list,
                    known,
                    merchant_of,
                    states,
                    new_state,
                    run.verdicts,
                    run.records,
                    run.touched,
                )
                if position == count:
                    break
            route = None if route_list is None else route_list[position]
            self.admit_one(run, batch[position], route)
            position += 1
        return run.verdicts, run.records, run.letters, run.touched

    def admit_one(self, run: _Run, c: Candidate, route: Route | None) -> None:
        """Admit one candidate: refuse it (a duplicate, an id conflict, too late) or fold it."""
        event = c.event
        event_id = event.event_id
        previous = run.known_digests.get(event_id)
        if previous is not None:
            if previous == c.digest:
                run.verdicts.append(Verdict(c.index, "duplicate", event_id))
                return
            rejection = Rejection(
                "event_id_conflict",
                "event_id",
                "an event with this id and different content was already accepted",
            )
            run.verdicts.append(_reject(c.index, event_id, rejection))
            run.letters.append(_letter(run.received_at, c.raw, event_id, rejection))
            return
        fold, states = self.fold, run.states
        if route is None:
            merchant = self.merchant_for(event, run.merchants)
            keys = fold.keys_for(event, merchant)
        else:
            merchant, keys = route
        ctx = fold.context(event, merchant)
        t = ctx.t
        customer = keys[0]  # keys_for puts the customer first
        state = states.get(customer)
        if state is None:
            state = states[customer] = run.new_state(customer)
        watermark = state[LAST_EVENT]
        if watermark - t > self.lateness:
            rejection = Rejection(
                "too_late",
                "timestamp",
                f"{(watermark - t) / 3600:.1f} h behind the customer's latest event; "
                f"the lateness bound is {self.lateness / 3600:.1f} h",
            )
            run.verdicts.append(_reject(c.index, event_id, rejection))
            run.letters.append(_letter(run.received_at, c.raw, event_id, rejection))
            return
        if run.before_apply is not None:
            run.before_apply(c, state)
        for key in keys:
            if key not in states:
                states[key] = run.new_state(key)
        kind = EVENT_TYPE_OF[type(event)]
        # fold.apply, with its keys and context known
        fold.fold_event(fold.plans[kind], keys, states, event, ctx)
        run.touched.update(keys)
        run.known_digests[event_id] = c.digest
        if kind == "transaction":
            run.merchants[event_id] = merchant
        run.records.append(
            EventRecord(event_id, kind, event.customer_id, t, c.digest, c.body, merchant)
        )
        run.verdicts.append(Verdict(c.index, "accepted", event_id))


def _reject(index: int, event_id: str | None, rejection: Rejection) -> Verdict:
    return Verdict(index, "rejected", event_id, rejection.code, rejection.field, rejection.reason)


def _letter(now: float, raw: RawEvent, event_id: str | None, rejection: Rejection) -> DeadLetter:
    return DeadLetter(
        now, rejection.code, rejection.field, rejection.reason, raw_text(raw), event_id
    )
