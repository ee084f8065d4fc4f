"""Reading an entity's profile as of a moment of event time.

The stored state answers for the entity's latest event and any later moment (decayed to it); a
customer read at an earlier moment is replayed from the customer's logged events up to it.
Merchants and devices have no log of their own to replay, so they read at or after their
latest event only.
"""

from __future__ import annotations

import datetime as dt

from rapport.events.validation import parse_event
from rapport.profiles.catalog import Entity, FeatureValue
from rapport.profiles.family import EVENT_COUNT
from rapport.profiles.fold import ProfileFold
from rapport.profiles.state import State
from rapport.results import Profile, TimeLike, UnknownEntityError, epoch
from rapport.signals import compute_signals
from rapport.store import Stores
from rapport.store.protocols import ProfileKey


def state_at(
    fold: ProfileFold, stores: Stores, kind: Entity, entity_id: str, at: TimeLike | None
) -> tuple[State, float | None]:
    """An entity's state as it stood at ``at`` (replayed from the log if ``at`` is earlier
    than its latest event), and ``at`` as epoch seconds."""
    layout = fold.layouts[kind]
    row = stores.profiles.get_many([(str(kind), entity_id)]).get((str(kind), entity_id))
    if row is None:
        raise UnknownEntityError(f"no events have been accepted for {kind} {entity_id!r}")
    state = layout.loads(row.data)
    when = None if at is None else epoch(at)
    if when is not None and when < layout.last_event_time(state):
        if kind is not Entity.CUSTOMER:
            raise ValueError(f"{kind} profiles can only be read at or after their latest event")
        state = replay_customer(fold, stores, entity_id, when)
    return state, when


def replay_customer(fold: ProfileFold, stores: Stores, customer_id: str, until: float) -> State:
    """The customer's state folded from their logged events up to ``until``."""
    layout = fold.layouts[Entity.CUSTOMER]
    state = layout.new_state()
    key: ProfileKey = (Entity.CUSTOMER, customer_id)
    for record in stores.events.scan(customer_id):
        if record.time <= until:
            event = parse_event(record.body)
            fold.apply(event, record.merchant_id, {key: state}, only=Entity.CUSTOMER)
    return state


def profile_of(
    fold: ProfileFold, kind: Entity, entity_id: str, state: State, at: float | None
) -> Profile:
    """Named feature values (and, for a customer, signals) of ``state`` read at ``at``
    (default: its latest event)."""
    layout = fold.layouts[kind]
    count = int(state[EVENT_COUNT])
    when = layout.last_event_time(state) if at is None else at
    values = layout.read(state, when) if count else {}
    features = {
        spec.name: FeatureValue(
            spec.name, float(values.get(spec.name, 0.0)), spec.unit, spec.description
        )
        for spec in layout.specs
    }
    as_of = dt.datetime.fromtimestamp(when, dt.UTC) if count else None
    signals = compute_signals(values, when) if count and kind is Entity.CUSTOMER else {}
    return Profile(kind, entity_id, as_of, count, features, signals)
