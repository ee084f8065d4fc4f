"""The in-process core every face (CLI, HTTP, workers) stands on."""

from __future__ import annotations

import datetime as dt
import operator
import threading
import time
from array import array
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType

import msgspec

from rapport.config import EngineConfig
from rapport.decisions.policy import parse_policy
from rapport.decisions.record import Decision
from rapport.decisions.service import DecisionService
from rapport.events.model import EVENT_TYPES, CustomerUpdateEvent, TransactionEvent
from rapport.events.validation import EventRejectedError, RawEvent, parse_event
from rapport.governance.audit_log import open_audit_log
from rapport.governance.ledger import DecisionErasedError, open_ledger
from rapport.governance.promotion import active_policy
from rapport.governance.protected import ProtectedStore, open_protected_store, take_protected
from rapport.ingest_pipeline import (
    AdmittedBatch,
    BatchInputs,
    FoldedBatch,
    ingest_batches,
    logged_among_late,
    write_folded,
)
from rapport.learning.challenger import Challenger
from rapport.learning.loop import AdaptiveLoop
from rapport.learning.monitors import Monitors
from rapport.learning.outcomes import OUTCOME_TYPES, open_outcome_log
from rapport.learning.registry import open_registry
from rapport.learning.shadow import Shadow, open_shadow_log
from rapport.profile_reads import profile_of, state_at
from rapport.profiles.admission import (
    Admission,
    Verdict,
    parse_batch,
)
from rapport.profiles.catalog import Entity
from rapport.profiles.families.declared import declared_view
from rapport.profiles.fold import ProfileFold, event_type
from rapport.profiles.state import State
from rapport.results import (
    IngestReport,
    Preview,
    Profile,
    TimeLike,
    UnknownEntityError,
    collector_paused,
    event_context,
)
from rapport.signals import signal_scores
from rapport.store import (
    ConcurrentUpdateError,
    DeadLetter,
    DuplicateEventError,
    Stores,
    open_stores,
)
from rapport.store.protocols import ProfileKey

_OUTCOME_EVENTS = frozenset(EVENT_TYPES[kind] for kind in OUTCOME_TYPES)
_index = operator.attrgetter("index")

__all__ = ["Engine", "IngestReport", "Preview", "Profile", "TimeLike", "UnknownEntityError"]


class Engine:
    """Rapport's facade: ``ingest`` events, read a ``profile``.

    ``store`` is a URL or path (see :func:`rapport.store.open_stores`) or already-open stores.
    """

    def __init__(
        self,
        store: str | Path | Stores | None = None,
        config: EngineConfig | None = None,
        challenger: Challenger | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        self._challenger = challenger
        self.shadow: Shadow | None = None
        """The challenger in shadow: it decides beside every decision, and only logs."""
        if isinstance(store, Stores):
            self.stores = store
        else:
            self.stores = open_stores(self.config.store_url if store is None else store)
        self.fold = ProfileFold()
        self._decisions: DecisionService | None = None
        self._loop: AdaptiveLoop | None = None
        self.monitors: Monitors | None = None
        """The drift monitors the policy's ``monitors:`` section configures."""
        self._decisions_lock = threading.Lock()
        self._protected: ProtectedStore | None = None
        self.admission = Admission(self.fold, self.config.allowed_lateness_seconds)
        self._assume_new = True
        """Whether the next batch is folded without looking its ids up (``fold_admitted``)."""
        self.pipeline_refolds = 0
        """Batches ``ingest_batches`` ingested again because another writer changed one of their
        profiles before they were written, or because the log refused one of their ids (see
        rapport.ingest_pipeline)."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._decisions is not None:
            self._decisions.ledger.close()
            self._decisions.registry.close()
        if self.monitors is not None:
            self.monitors.audit.close()
        if self.shadow is not None:
            self.shadow.log.close()
        if self._protected is not None:
            self._protected.close()
        self.stores.close()

    def ingest(self, events: Iterable[RawEvent]) -> IngestReport:
        """Validate, deduplicate and apply a batch of events; every input gets a verdict.

        Accepted events are logged and folded into their profiles; rejected ones are
        dead-lettered with the reason. The batch is written as one unit of work.
        """
        with collector_paused():
            batch = self.admit(events)
            conflicts = 0
            while True:
                optimistic = self._assume_new
                try:
                    folded = self.fold_admitted(batch)
                    self.write_folded(folded)
                    break
                except DuplicateEventError:
                    self._assume_new = False
                    if not optimistic:  # logged by another writer since the lookup
                        conflicts += 1
                        if conflicts > self.config.max_conflict_retries:
                            raise
                except ConcurrentUpdateError:
                    conflicts += 1
                    if conflicts > self.config.max_conflict_retries:
                        raise
            return self.settle(batch, folded)

    def ingest_batches(self, batches: Iterable[Iterable[RawEvent]]) -> Iterator[IngestReport]:
        """``ingest`` each batch in turn, each batch's write (in a second process) overlapping
        the next one's parse, reads and fold (rapport.ingest_pipeline): a report per batch,
        handed out once the batch is written. A script calling it needs the
        ``if __name__ == "__main__":`` guard that ``multiprocessing`` asks for."""
        return ingest_batches(self, batches)

    # The steps of ``ingest``, which ``ingest_batches`` interleaves across batches.

    def admit(self, events: Iterable[RawEvent]) -> AdmittedBatch:
        """Parse and validate a batch; take its protected values out (reads no store)."""
        received_at = time.time()
        raws = list(events)
        parsed = parse_batch(raws, received_at)
        # Principle 7: protected values leave the event here, before anything is logged.
        updates = parsed.by_type.get(CustomerUpdateEvent, [])
        protected = take_protected(updates, parsed.letters)
        return AdmittedBatch(raws, received_at, parsed, protected)

    def fold_admitted(
        self, batch: AdmittedBatch, pending: FoldedBatch | None = None
    ) -> FoldedBatch:
        """Read a batch's inputs and fold it (``read_inputs``, then ``fold_batch``).

        While batches come with none of their ids logged, the ids are not looked up: the log's
        refusal of a logged id (``DuplicateEventError`` at the write, which undoes it) is check
        enough. A refused batch is looked up and folded again, as is every batch after one that
        held a logged id, until one comes with none; events refused as too late are looked up
        before the write (a re-sent event is a duplicate however late)."""
        assume_new = self._assume_new
        while True:
            inputs = self.read_inputs(batch, pending, assume_new=assume_new)
            # Read before the fold, which adds the batch's own ids to them.
            logged = bool(inputs.known_digests)
            folded = self.fold_batch(batch, inputs)
            if assume_new and logged_among_late(self.stores, folded):
                assume_new = False
                continue
            self._assume_new = not logged
            return folded

    def read_inputs(
        self, batch: AdmittedBatch, pending: FoldedBatch | None = None, *, assume_new: bool = False
    ) -> BatchInputs:
        """The logged ids, merchants and stored profiles the batch's fold needs, as they will be
        once ``pending`` (a folded batch not yet written) is.

        With ``assume_new``, the batch's ids are not looked up: the fold takes them all as new,
        and if one is logged after all, the write refuses the batch (``DuplicateEventError``).
        """
        stores, candidates, parsed = self.stores, batch.candidates, batch.parsed
        ids, referenced = parsed.ids, parsed.referenced
        known = {} if assume_new else stores.events.lookup(ids)
        merchants = {
            event_id: record.merchant_id
            for event_id, record in stores.events.lookup(referenced).items()
        }
        if pending is not None:
            logged = pending.logged()
            known.update((i, logged[i]) for i in ids.intersection(logged))
            merchants.update((i, logged[i].merchant_id) for i in referenced.intersection(logged))
        merchants.update(parsed.merchants)
        wanted: set[ProfileKey] = set()
        routes = self.admission.routes(candidates, merchants, wanted)
        stored = stores.profiles.get_many(wanted)
        if pending is not None:
            written = pending.stored()
            stored.update((key, written[key]) for key in wanted.intersection(written))
        known_digests = {event_id: record.digest for event_id, record in known.items()}
        return BatchInputs(known_digests, merchants, routes, stored)

    def fold_batch(self, batch: AdmittedBatch, inputs: BatchInputs) -> FoldedBatch:
        """Apply the batch to its profiles in memory (touches no store). Uses ``inputs`` up:
        their ids and merchants grow with the batch's own."""
        fold = self.fold
        states: dict[ProfileKey, State] = {}
        versions: dict[ProfileKey, int] = {}
        for key, row in inputs.stored.items():
            states[key] = fold.layout_of(key).loads(row.data)
            versions[key] = row.version
        verdicts, records, letters, touched = self.admission.run(
            batch.candidates,
            inputs.known_digests,
            inputs.merchants,
            states,
            fold.new_state,
            batch.received_at,
            routes=inputs.routes,
        )
        writes = [
            (key, fold.layout_of(key).dumps(states[key]), versions.get(key, 0)) for key in touched
        ]
        return FoldedBatch(verdicts, writes, records, [*batch.parsed.letters, *letters])

    def write_folded(self, folded: FoldedBatch) -> None:
        """Store a folded batch as one unit of work."""
        write_folded(self.stores, folded.writes, folded.records, folded.letters)

    def settle(self, batch: AdmittedBatch, folded: FoldedBatch) -> IngestReport:
        """After the write: keep the accepted events' protected values, learn from outcomes."""
        outcomes = batch.parsed.of_types(_OUTCOME_EVENTS)
        if batch.protected or outcomes:
            accepted = {v.index for v in folded.verdicts if v.status == "accepted"}
            if batch.protected:
                self.protected.put_many(
                    update for index, update in batch.protected.items() if index in accepted
                )
            outcomes = [c for c in outcomes if c.index in accepted]
            if outcomes:
                self.learning.observe(c.event for c in outcomes)
        rejected_early = batch.parsed.verdicts
        # The fold's verdicts come in input order already; only early rejections interleave.
        verdicts = (
            sorted([*rejected_early, *folded.verdicts], key=_index)
            if rejected_early
            else folded.verdicts
        )
        return IngestReport(verdicts)

    @property
    def protected(self) -> ProtectedStore:
        """Protected attributes, in their own store: read by the fairness monitor only."""
        if self._protected is None:
            self._protected = open_protected_store(self.stores.url)
        return self._protected

    def profile(self, customer_id: str, at: TimeLike | None = None) -> Profile:
        """A customer's features as of event time ``at`` (default: their latest event).

        Reading before the latest event replays the customer's logged events up to ``at``.
        """
        return self.entity_profile(Entity.CUSTOMER, customer_id, at)

    def entity_profile(
        self, entity: Entity | str, entity_id: str, at: TimeLike | None = None
    ) -> Profile:
        kind = Entity(entity)
        state, when = self._state_at(kind, entity_id, at)
        return profile_of(self.fold, kind, entity_id, state, when)

    def _state_at(
        self, kind: Entity, entity_id: str, at: TimeLike | None
    ) -> tuple[State, float | None]:
        """The entity's state at ``at``, and ``at`` in epoch seconds (see profile_reads)."""
        return state_at(self.fold, self.stores, kind, entity_id, at)

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return self.stores.dead_letters.recent(limit)

    # --- decisions ------------------------------------------------------------------------

    @property
    def decisions(self) -> DecisionService:
        """The decision flow, with the configured policy and the ledger beside the stores."""
        with self._decisions_lock:  # concurrent first requests must share one service
            if self._decisions is None:
                # The configured file, else the store's latest promoted policy, else the default.
                policy = active_policy(self.stores.url, self.config.policy_path)
                url = self.stores.url
                # The stores' own key table: a key destroyed by an erasure is gone for both.
                ledger = open_ledger(url, self.stores.keys)
                self._decisions = DecisionService(policy, ledger, open_registry(url))
                self._loop = AdaptiveLoop(self._decisions, open_outcome_log(url))
                self.monitors = Monitors(self, open_audit_log(url))
                self._decisions.observers.append(self.monitors.observe_decision)
                self._loop.observers.append(self.monitors.observe_outcome)
                if self._challenger is not None:
                    self.shadow = Shadow(self._challenger, open_shadow_log(url))
                    self._decisions.observers.append(self.shadow.observe)
            return self._decisions

    @property
    def learning(self) -> AdaptiveLoop:
        """The adaptive loop: outcome join, online learners, publication of their models."""
        service = self.decisions
        assert self._loop is not None  # made with the decision service
        with self._decisions_lock:
            if self._loop.service is not service:
                self._loop = self._loop.rebind(service)
            return self._loop

    def preview(self, raw: RawEvent) -> Preview:
        """What the profiles say about an event before it is applied, and the event's own
        context (its deviation from habit, novelty, speed) as if it were, on scratch copies."""
        event = parse_event(raw)
        fold = self.fold
        merchant_id = self.admission.merchant_for(event, {})
        keys = fold.keys_for(event, merchant_id)
        stored = self.stores.profiles.get_many(keys)
        states = {
            key: fold.layout_of(key).loads(stored[key].data)
            if key in stored
            else fold.new_state(key)
            for key in keys
        }
        t = event.timestamp.timestamp()
        customer_key = keys[0]
        layout = fold.layout_of(customer_key)
        # Read lazily (a decision reads a few families), from copies of the states as they
        # were: the fold below changes the states themselves.
        before = layout.read_lazily(array("d", states[customer_key]), t)
        # A customer's first event is decided on too (a login can come before any payment):
        # the signals of an empty profile, as of any profile, not none (rules would read null).
        signals = signal_scores(before, t)
        others = {
            key[0]: fold.layout_of(key).read_lazily(array("d", states[key]), t) for key in keys[1:]
        }
        fold.apply(event, merchant_id, states, keys=keys)
        after = layout.read_lazily(states[customer_key], t)
        return Preview(
            event,
            after,
            others.get(Entity.MERCHANT, {}),
            others.get(Entity.DEVICE, {}),
            signals,
            declared_view(layout, states[customer_key]),
        )

    def decide_event(self, raw: RawEvent) -> list[Decision]:
        """Take the decisions the policy triggers on this event, before it is applied.

        The decisions read the customer's features as if the event were applied (so that they
        see its own context: its amount against the baseline, its novelty, the statement's
        utilisation), the merchant's and device's as they were, and the signals before it.
        """
        preview = self.preview(raw)
        event = preview.event
        kinds = self.decisions.policy.policy.triggers.get(event_type(event), [])
        if not kinds:
            return []
        spaces: dict[str, Mapping[str, object]] = {
            "features": preview.features,
            "merchant": preview.merchant,
            "device": preview.device,
            "signals": preview.signals,
            "event": event_context(event),
            "declared": preview.declared,
        }
        return [
            self.decisions.decide(
                kind, event.customer_id, event.event_id, event.timestamp.isoformat(), spaces
            )
            for kind in kinds
        ]

    def decide_transaction(self, raw: RawEvent) -> Decision:
        """Screen a transaction for fraud before it is applied (it is not applied here)."""
        event = parse_event(raw)
        if not isinstance(event, TransactionEvent):
            raise ValueError("fraud decisions are taken on transactions")
        decisions = [d for d in self.decide_event(raw) if d.kind == "fraud"]
        if not decisions:
            raise ValueError("the policy does not screen transactions for fraud")
        return decisions[0]

    def decide(
        self,
        kind: str,
        customer_id: str,
        at: TimeLike | None = None,
        request_id: str | None = None,
        context: Mapping[str, str | float | bool | None] | None = None,
    ) -> Decision:
        """Take a decision on request (credit limit review, next-best-action, a message, a
        price); ``context`` is what the request says (``purpose``, ``product``...)."""
        # Decisions read values and scores only: no per-feature records, no reason texts.
        state, at_epoch = self._state_at(Entity.CUSTOMER, customer_id, at)
        layout = self.fold.layouts[Entity.CUSTOMER]
        t = layout.last_event_time(state) if at_epoch is None else at_epoch
        values = layout.read_lazily(state, t)
        when = dt.datetime.fromtimestamp(t, dt.UTC).isoformat()
        spaces: dict[str, Mapping[str, object]] = {
            "features": values,
            "signals": signal_scores(values, t),
            "event": {"type": "request", **(context or {})},
            "declared": declared_view(layout, state),
        }
        trigger = request_id or f"request:{customer_id}:{when}"
        return self.decisions.decide(kind, customer_id, trigger, when, spaces)

    def ingest_and_decide(self, raws: Iterable[RawEvent]) -> tuple[IngestReport, list[Decision]]:
        """Ingest events in order; each decision an event triggers is taken just before that
        event is applied, on profiles holding everything before it."""
        triggers = self.decisions.policy.policy.triggers
        verdicts: list[Verdict] = []
        decisions: list[Decision] = []
        pending: list[RawEvent] = []

        def flush() -> None:
            offset = len(verdicts)
            report = self.ingest(pending)
            verdicts.extend(
                msgspec.structs.replace(v, index=offset + v.index) for v in report.verdicts
            )
            pending.clear()

        for raw in raws:
            try:
                kind = event_type(parse_event(raw))
            except EventRejectedError:
                kind = ""
            if triggers.get(kind):
                flush()
                decisions.extend(self.decide_event(raw))
            pending.append(raw)
        flush()
        return IngestReport(verdicts), decisions

    def use_policy(self, text: str) -> str:
        """Switch to a new policy (YAML); returns its version. The ledger keeps every version."""
        policy = parse_policy(text, "new policy")
        ledger = self.decisions.ledger
        current = self.decisions
        with self._decisions_lock:
            self._decisions = DecisionService(policy, ledger, current.registry, current.models)
            self._decisions.observers.extend(current.observers)
        return policy.version

    def replay(self, decision_id: str) -> tuple[Decision, Decision]:
        """A recorded decision beside the same decision re-run from its recorded inputs and
        versions; the two must be equal (``Decision.outcome``). An erased customer's decision
        raises :class:`DecisionErasedError` (a ``LookupError``)."""
        if self.decisions.ledger.erased(decision_id):
            raise DecisionErasedError(decision_id)
        return self.decisions.replay(decision_id)
