"""Point-in-time training rows from an event file: what each decision knew, what it turned into.

The file is replayed through a fresh in-memory engine exactly as ``rapport replay`` does (events
in timestamp order, each triggered decision taken just before its event is applied). For every
decision of the kind being trained, a decision observer gathers the *candidate* inputs — every
numeric feature of the customer, merchant and device, every signal, the event's context and the
customer's declared attributes — the same way the decision service gathers what it records (six
significant digits), so that a model trained on these rows reads, live, the very values it
learned from. Labels come from the outcome events that later join those decisions through the
adaptive loop's own join (``rapport.learning.outcomes.join``):

- ``fraud``: 1 if a ``fraud_report`` confirmed the transaction, 0 if it was cleared or never
  reported (unreported transactions are taken as genuine, as a bank's own history would) —
  but only for screenings at least ``maturity_days`` older than the file's last event: a
  recent unreported one may still be reported, so the recent tail is left out (both classes,
  or the tail would look fraud-rich);
- ``credit_limit``: 1 if a later ``credit_outcome`` said delinquent or default, 0 if every one
  said current; a decision no outcome answered has no label and is left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from rapport.config import EngineConfig
from rapport.decisions.policy_inputs import closed_inputs
from rapport.decisions.record import Decision, Value
from rapport.decisions.service import Spaces, gather
from rapport.engine import Engine
from rapport.events.model import CustomerUpdateEvent
from rapport.events.validation import EventRejectedError, parse_event
from rapport.learning.outcomes import JoinedOutcome
from rapport.learning.training import TrainingTable

CHUNK = 2_000
EVENT_CONTEXT = ("amount", "channel", "direction", "hour", "country", "category", "mcc")
"""The event's own context a model may read (``event.*``; its type is the trigger's, constant)."""
UNREPORTED_IS_GENUINE = frozenset({"fraud"})
DEFAULT_MATURITY_DAYS = {"fraud": 14.0}
"""Kind -> days before the end of the history from which decisions are too recent to train on
(a fraud report typically comes within two weeks)."""
"""Kinds whose decisions no outcome answered are labelled 0 (no report: genuine)."""


def candidate_inputs(declared: Iterable[str] = ()) -> list[str]:
    """Every input a learned model may read, by name."""
    names = [f"{space}.{name}" for space, name in closed_inputs()]
    names += [f"event.{name}" for name in EVENT_CONTEXT]
    names += [f"declared.{name}" for name in sorted(set(declared))]
    return names


def declared_names(lines: Iterable[bytes]) -> set[str]:
    """The attribute names the file's ``customer_update`` events declare."""
    found: set[str] = set()
    for line in lines:
        if b"customer_update" not in line:
            continue
        try:
            event = parse_event(line)
        except EventRejectedError:
            continue
        if isinstance(event, CustomerUpdateEvent):
            found.update(event.payload.attributes)
    return found


def training_policy(kind: str, policy_path: str | None) -> str:
    """The policy with only ``kind``'s triggers and no online learning: the other kinds'
    decisions change no profile, and the rows must not depend on what a learner published."""
    text = (
        Path(policy_path).read_text()
        if policy_path
        else resources.files("rapport.decisions").joinpath("default_policy.yaml").read_text()
    )
    document = yaml.safe_load(text)
    triggers = document.get("triggers", {}) or {}
    document["triggers"] = {
        event_type: [kind] for event_type, kinds in triggers.items() if kind in (kinds or [])
    }
    document.pop("learning", None)
    return str(yaml.safe_dump(document, sort_keys=True))


def time_ordered(lines: Iterable[bytes]) -> list[bytes]:
    """Lines in event-time order, as ``rapport replay`` takes them (invalid ones first)."""
    keyed: list[tuple[float, int, bytes]] = []
    for index, line in enumerate(lines):
        try:
            when = parse_event(line).timestamp.timestamp()
        except EventRejectedError:
            when = float("-inf")
        keyed.append((when, index, line))
    keyed.sort()
    return [line for _, _, line in keyed]


@dataclass
class Collected:
    """What one replay gathered for a kind."""

    table: TrainingTable
    decisions: int = 0
    """Decisions of the kind taken during the replay."""
    unlabelled: int = 0
    """Decisions left out for want of a label."""
    immature: int = 0
    """Decisions left out because they are too recent for their label to be known."""
    events: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    """Joined outcome labels by value (``"1.0"``, ``"0.0"``)."""
    triggers: dict[str, str] = field(default_factory=dict)
    """Decision id -> the event that triggered it (to match a row with a replayed decision)."""


def collect(
    kind: str,
    lines: Iterable[bytes],
    policy_path: str | None = None,
    on_chunk: Callable[[int], None] | None = None,
    maturity_days: float | None = None,
) -> Collected:
    """Replay ``lines`` (v1 events) and return the point-in-time rows of ``kind``'s decisions."""
    ordered = time_ordered(lines)
    names = frozenset(candidate_inputs(declared_names(ordered)))
    rows: dict[str, tuple[float, dict[str, Value]]] = {}
    labels: dict[str, float] = {}
    collected = Collected(TrainingTable(kind), events=len(ordered))

    def on_decision(decision: Decision, spaces: Spaces) -> None:
        if decision.kind == kind and decision.decision_id not in rows:
            rows[decision.decision_id] = (_epoch(decision), gather(names, spaces))
            collected.triggers[decision.decision_id] = decision.trigger_event_id

    def on_outcome(outcome: JoinedOutcome) -> None:
        if outcome.decision.kind == kind and outcome.label is not None:
            key = str(outcome.label)
            collected.outcomes[key] = collected.outcomes.get(key, 0) + 1
            # Any bad outcome makes the decision's label bad (delinquent, then current again).
            previous = labels.get(outcome.decision.decision_id, 0.0)
            labels[outcome.decision.decision_id] = max(previous, outcome.label)

    with Engine("memory://", EngineConfig(store_url="memory://")) as engine:
        engine.use_policy(training_policy(kind, policy_path))
        engine.decisions.observers.append(on_decision)
        engine.learning.observers.append(on_outcome)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            engine.ingest_and_decide(chunk)
            if on_chunk is not None:
                on_chunk(len(chunk))
    collected.decisions = len(rows)
    if maturity_days is None:
        maturity_days = DEFAULT_MATURITY_DAYS.get(kind, 0.0)
    horizon = _last_time(ordered) - maturity_days * 86400.0
    for decision_id, (time, inputs) in sorted(rows.items(), key=lambda item: item[1][0]):
        if time > horizon:
            collected.immature += 1
            continue
        label = labels.get(decision_id)
        if label is None and kind in UNREPORTED_IS_GENUINE:
            label = 0.0
        if label is None:
            collected.unlabelled += 1
            continue
        collected.table.add(decision_id, time, _numeric_or_text(inputs), label)
    return collected


def _last_time(ordered: list[bytes]) -> float:
    for line in reversed(ordered):
        try:
            return parse_event(line).timestamp.timestamp()
        except EventRejectedError:
            continue
    return float("inf")


def _epoch(decision: Decision) -> float:
    return dt.datetime.fromisoformat(decision.event_time).timestamp()


def _numeric_or_text(inputs: Mapping[str, Value]) -> dict[str, Value]:
    """Drop inputs that are absent for this decision (None): the table stays compact."""
    return {name: value for name, value in inputs.items() if value is not None}
