"""The compiled per-event shell (``event_clock``, ``fold_event``) does what its Python references
in rapport.profiles.fold do, to the bit: the clock every family reads, the late flag, the order
of the updates and the state's own clock."""

from __future__ import annotations

import datetime as dt
import struct
from array import array
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.events.model import BaseEvent
from rapport.profiles.family import CLOCK_SIZE, EVENT_COUNT, FIRST_EVENT, LAST_EVENT, FoldContext
from rapport.profiles.fold import Plan, event_clock_reference, fold_event_reference
from rapport.profiles.native import kernels
from rapport.store.protocols import ProfileKey

pytestmark = pytest.mark.skipif(kernels is None, reason="the C extension is not built")

offsets = st.timedeltas(
    min_value=dt.timedelta(hours=-23, minutes=-59), max_value=dt.timedelta(hours=23, minutes=59)
)
aware = st.builds(
    lambda moment, offset: moment.replace(tzinfo=dt.timezone(offset)), st.datetimes(), offsets
)


def bits(clock: tuple[float, float, int, float]) -> tuple[bytes, bytes, int, bytes]:
    t, hour, weekday, offset = clock
    assert type(weekday) is int
    return struct.pack("<d", t), struct.pack("<d", hour), weekday, struct.pack("<d", offset)


@given(aware)
def test_event_clock_matches_its_reference_on_fixed_offsets(moment: dt.datetime) -> None:
    assert kernels is not None
    assert bits(kernels.event_clock(moment)) == bits(event_clock_reference(moment))


@given(
    st.datetimes(
        timezones=st.sampled_from(["Europe/Paris", "America/New_York", "Asia/Kolkata"]).map(
            ZoneInfo
        )
    )
)
def test_event_clock_matches_its_reference_across_daylight_saving(moment: dt.datetime) -> None:
    # Zone rules (and the ``fold`` of a repeated hour) come from the timestamp's own utcoffset().
    assert kernels is not None
    assert bits(kernels.event_clock(moment)) == bits(event_clock_reference(moment))


@given(st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_event_clock_of_a_naive_timestamp_is_pythons(moment: dt.datetime) -> None:
    # Python reads a naive timestamp in the machine's zone: the kernel asks Python for it.
    assert kernels is not None
    assert bits(kernels.event_clock(moment)) == bits(event_clock_reference(moment))


def test_event_clock_remembers_zones_without_mixing_them_up() -> None:
    # The kernel keeps the offsets of the last few zone objects: more zones than it keeps, each
    # seen again and again in turns, must each still give its own offset.
    assert kernels is not None
    zones = [dt.timezone(dt.timedelta(minutes=15 * i)) for i in range(-40, 41, 3)]
    moment = dt.datetime(2026, 3, 29, 1, 30)
    for _ in range(3):
        for stride in (1, 7):
            for zone in zones[::stride]:
                aware = moment.replace(tzinfo=zone)
                assert bits(kernels.event_clock(aware)) == bits(event_clock_reference(aware))


def test_event_clock_covers_the_far_years() -> None:
    # Beyond 2**53 microseconds from the epoch, the kernel lets Python divide.
    assert kernels is not None
    for year in (1, 1677, 1970, 2286, 9999):
        moment = dt.datetime(year, 7, 1, 12, 30, 15, 999_999, tzinfo=dt.UTC)
        assert bits(kernels.event_clock(moment)) == bits(event_clock_reference(moment))


def test_event_clock_refuses_what_is_not_a_datetime() -> None:
    assert kernels is not None
    with pytest.raises(TypeError, match="datetime"):
        kernels.event_clock(dt.date(2026, 1, 1))  # type: ignore[arg-type]


SeenBy = list[tuple[str, int, bool, float]]


def recording_plan(seen: SeenBy, size: int) -> Plan:
    """Two families on the customer and one on the device; each records what it was called with
    and writes to its own float, so order and arguments both show in the state."""

    def family(name: str) -> Callable[[array[float], int, BaseEvent, FoldContext], None]:
        def update(state: array[float], offset: int, event: Any, ctx: FoldContext) -> None:
            seen.append((name, offset, ctx.late, ctx.t))
            state[offset] = state[offset] * 3.0 + ctx.t + len(seen)

        return update

    return {
        "customer": ((family("a"), CLOCK_SIZE), (family("b"), CLOCK_SIZE + 1)),
        "device": ((family("c"), size - 1),),
    }


clocks = st.tuples(
    st.floats(-1e10, 1e10) | st.just(-float("inf")),
    st.floats(-1e10, 1e10),
    st.integers(0, 5).map(float),
)


@given(st.floats(-1e10, 1e10), clocks, clocks, st.booleans())
def test_fold_event_matches_its_reference(
    t: float,
    customer_clock: tuple[float, float, float],
    device_clock: tuple[float, float, float],
    with_device: bool,
) -> None:
    assert kernels is not None
    size = CLOCK_SIZE + 3
    keys: list[ProfileKey] = [("customer", "c1")]
    if with_device:
        keys.append(("device", "d1"))
    results = []
    for fold_event in (kernels.fold_event, fold_event_reference):
        seen: SeenBy = []
        states = {
            ("customer", "c1"): array("d", [*customer_clock, 0.5, 0.25, 0.0]),
            ("device", "d1"): array("d", [*device_clock, 0.0, 0.0, 0.125]),
        }
        ctx = FoldContext(t, 0.0, 0)
        fold_event(recording_plan(seen, size), keys, states, None, ctx)  # type: ignore[arg-type]
        results.append((seen, {k: v.tobytes() for k, v in states.items()}, ctx.late))
    assert results[0] == results[1]
    seen, folded, _ = results[0]
    assert [name for name, *_ in seen] == ["a", "b", "c"][: 3 if with_device else 2]
    customer = array("d", folded[("customer", "c1")])
    assert customer[EVENT_COUNT] == customer_clock[2] + 1
    assert customer[LAST_EVENT] == max(customer_clock[0], t)
    assert seen[0][2] == (t < customer_clock[0])
    if customer_clock[2] == 0:
        assert customer[FIRST_EVENT] == t


def test_fold_event_raises_what_it_meets_and_lets_go_of_the_state() -> None:
    assert kernels is not None
    state = array("d", [0.0] * CLOCK_SIZE)
    states: dict[ProfileKey, array[float]] = {("customer", "c1"): state}
    ctx = FoldContext(1.0, 0.0, 0)

    def failing(state: array[float], offset: int, event: Any, ctx: FoldContext) -> None:
        raise RuntimeError("a family failed")

    with pytest.raises(RuntimeError, match="a family failed"):
        kernels.fold_event({"customer": ((failing, 0),)}, [("customer", "c1")], states, None, ctx)  # type: ignore[arg-type]
    state.append(0.0)  # the kernel released its view of the buffer, or this would fail
    with pytest.raises(KeyError):
        kernels.fold_event({}, [("customer", "unknown")], states, None, ctx)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="profile key"):
        kernels.fold_event({}, ["customer"], states, None, ctx)  # type: ignore[arg-type, list-item]
    with pytest.raises(TypeError, match="pair"):
        kernels.fold_event({"customer": ((failing,),)}, [("customer", "c1")], states, None, ctx)  # type: ignore[arg-type, dict-item]
