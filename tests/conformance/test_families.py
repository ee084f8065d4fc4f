"""One suite, every feature family: the contract a family must keep to join a layout."""

from __future__ import annotations

import inspect
import math
import pkgutil
from array import array
from importlib import import_module

import pytest

from rapport.events import parse_event
from rapport.profiles import build_layouts
from rapport.profiles import families as families_package
from rapport.profiles.families import default_families
from rapport.profiles.family import CLOCK_SIZE, Family, FoldContext
from rapport.profiles.state import State
from tests.profiles.samples import sample_events

FAMILIES = default_families()


def _discover() -> set[type[Family]]:
    found: set[type[Family]] = set()
    for module in pkgutil.iter_modules(families_package.__path__):
        loaded = import_module(f"{families_package.__name__}.{module.name}")
        for _, obj in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(obj, Family) and obj is not Family and obj.__module__ == loaded.__name__:
                found.add(obj)
    return found


def test_every_family_is_in_the_default_layouts() -> None:
    assert _discover() == {type(f) for f in FAMILIES}


def test_feature_names_are_unique_across_entities() -> None:
    names = [spec.name for layout in build_layouts().values() for spec in layout.specs]
    assert len(names) == len(set(names))


@pytest.fixture(params=FAMILIES, ids=lambda f: f.name)
def family(request: pytest.FixtureRequest) -> Family:
    chosen: Family = request.param
    return chosen


def test_specs_are_complete(family: Family) -> None:
    specs = family.specs()
    assert specs, "a family declares at least one feature"
    for spec in specs:
        assert spec.entity is family.entity
        assert spec.family == family.name
        assert spec.description
        assert spec.unit
        assert spec.name.isidentifier()
        assert spec.name.islower()
    if any(not s.order_independent for s in specs):
        assert len(family.late_events) > 40, "order-dependent features say how late events count"


def _state(family: Family) -> State:
    state = array("d", bytes(8 * (CLOCK_SIZE + family.size)))
    state[0] = -math.inf
    family.init(state, CLOCK_SIZE)
    return state


def test_read_gives_exactly_the_declared_features(family: Family) -> None:
    out: dict[str, float] = {}
    family.read(_state(family), CLOCK_SIZE, 1.7e9, out)
    assert set(out) == {s.name for s in family.specs()}
    assert all(math.isfinite(v) for v in out.values())


def test_updates_keep_the_size_and_finite_values(family: Family) -> None:
    state = _state(family)
    for raw in sample_events():
        event = parse_event(raw)
        kind = type(event).__struct_config__.tag
        if kind not in family.event_types:
            continue
        t = event.timestamp.timestamp()
        ctx = FoldContext(
            t=t, hour=event.timestamp.hour, weekday=event.timestamp.weekday(), merchant_id="m1"
        )
        family.update(state, CLOCK_SIZE, event, ctx)
        state[0] = max(state[0], t)
        state[1] = state[1] or t
        assert len(state) == CLOCK_SIZE + family.size
        out: dict[str, float] = {}
        family.read(state, CLOCK_SIZE, t + 3600.0, out)
        assert all(math.isfinite(v) for v in out.values()), out


def test_family_reacts_to_its_events(family: Family) -> None:
    """Some feature moves once the family's events arrive: no family is dead weight."""
    empty: dict[str, float] = {}
    family.read(_state(family), CLOCK_SIZE, 1.8e9, empty)
    state = _state(family)
    for raw in sample_events():
        event = parse_event(raw)
        if type(event).__struct_config__.tag in family.event_types:
            t = event.timestamp.timestamp()
            ctx = FoldContext(t=t, hour=3.0, weekday=2, merchant_id="m1")
            family.update(state, CLOCK_SIZE, event, ctx)
            state[1] = state[1] or t
    after: dict[str, float] = {}
    family.read(state, CLOCK_SIZE, 1.8e9, after)
    assert after != empty
