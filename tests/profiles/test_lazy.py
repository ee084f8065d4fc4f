"""Lazy reads give exactly what a full read gives, feature by feature and signal by signal."""

from __future__ import annotations

import io
from array import array

import pytest

from rapport import Engine
from rapport.profiles.catalog import Entity
from rapport.signals import compute_signals, signal_scores
from rapport.sim import SimConfig, SimulatedBank

CUSTOMERS: list[str] = []


@pytest.fixture(scope="module")
def engine() -> Engine:
    out = io.BytesIO()
    bank = SimulatedBank(SimConfig(customers=60, days=45, seed=4242))
    bank.run(out)
    CUSTOMERS[:] = [c.customer_id for c in bank.customers]
    engine = Engine("memory://")
    engine.ingest(out.getvalue().splitlines())
    return engine


def _customers(engine: Engine) -> list[str]:
    return CUSTOMERS


def test_every_feature_and_signal_is_bit_identical(engine: Engine) -> None:
    layout = engine.fold.layouts[Entity.CUSTOMER]
    customers = _customers(engine)
    assert len(customers) >= 50
    for customer in customers:
        state, _ = engine._state_at(Entity.CUSTOMER, customer, None)
        for at in (None, layout.last_event_time(state) + 3 * 86400.0):
            full = layout.read(state, at)
            lazy = layout.read_lazily(array("d", state), at)
            when = layout.last_event_time(state) if at is None else at
            # Ask in reverse order, so that families are read in another order than read() does.
            for name in reversed(list(full)):
                assert lazy[name] == full[name], name
            assert dict(lazy) == full
            scores = signal_scores(layout.read_lazily(state, at), when)
            for name, value in compute_signals(full, when).items():
                assert scores[name] == value.score


def test_a_lazy_read_reads_only_the_families_asked_for(engine: Engine) -> None:
    layout = engine.fold.layouts[Entity.CUSTOMER]
    state, _ = engine._state_at(Entity.CUSTOMER, _customers(engine)[0], None)
    lazy = layout.read_lazily(state)
    family, _ = layout.owners["declared_income"]
    assert lazy.get("declared_income") is not None
    assert set(lazy) == {spec.name for spec in family.specs()}
    assert lazy.get("no_such_feature") is None
    with pytest.raises(KeyError):
        lazy["no_such_feature"]


def test_an_entity_without_events_reads_zeros() -> None:
    engine = Engine("memory://")
    layout = engine.fold.layouts[Entity.CUSTOMER]
    lazy = layout.read_lazily(layout.new_state(), 1.7e9)
    assert lazy["declared_income"] == 0.0
    assert all(value == 0.0 for value in lazy.values())
