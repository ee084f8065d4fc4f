"""Each family with a compiled update (rapport.profiles._kernels) folds the bits its Python
reference folds, on random histories and on a long seeded stream; so does the whole compiled
fold (its per-event shell included) against the Python one.

A last-bit difference is rare (libm's pow and a compiler's x * x differ on about one square in a
thousand), and a sum of many events mostly rounds it away: besides the property test, a seeded
stream of 20,000 events over 5,000 customers (few events each, so that a difference in one
contribution shows) with varied amounts, places and times (late ones included) goes through
both.
"""

from __future__ import annotations

import datetime as dt
import random
from array import array
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from rapport.events.model import BaseEvent
from rapport.profiles.admission import Admission, parse_batch
from rapport.profiles.families import default_families
from rapport.profiles.family import CLOCK_SIZE, FoldContext, Updater
from rapport.profiles.fold import ProfileFold, build_layouts
from rapport.profiles.native import kernels
from rapport.profiles.state import State
from rapport.store.protocols import ProfileKey
from tests.strategies import histories

pytestmark = pytest.mark.skipif(kernels is None, reason="the C extension is not built")

LATENESS = 2 * 86400.0
EXAMPLES = Path(__file__).resolve().parents[2] / "examples/events.jsonl"


def compiled_families() -> list[str]:
    assert kernels is not None
    return [f.name for f in default_families() if f.compiled(kernels) is not None]


def through_python(update: Updater) -> Updater:
    def call(state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        update(state, offset, event, ctx)

    return call


def fold(
    events: list[Any], reference: bool, kernels_from_python: bool = False
) -> dict[ProfileKey, dict[str, bytes]]:
    """Each touched entity's state, family by family, folded with the families' kernels or with
    their Python updates only. ``kernels_from_python``: each kernel is called as a Python
    callable (as code outside fold_event would), not straight from fold_event."""
    chosen = None if reference else kernels
    profile_fold = ProfileFold(build_layouts(kernels=chosen), kernels=chosen)
    if kernels_from_python:
        for plan in profile_fold.plans.values():
            for entity, updaters in plan.items():
                plan[entity] = tuple((through_python(u), offset) for u, offset in updaters)
    parsed = parse_batch(events, 0.0)
    states: dict[ProfileKey, Any] = {}
    merchants = dict(parsed.merchants)
    Admission(profile_fold, LATENESS).run(
        parsed.candidates, {}, merchants, states, profile_fold.new_state, 0.0
    )
    out: dict[ProfileKey, dict[str, bytes]] = {}
    for key, state in states.items():
        layout = profile_fold.layout_of(key)
        out[key] = {
            family.name: state[offset : offset + family.size].tobytes()
            for family, offset in zip(layout.families, layout.offsets, strict=True)
        }
        out[key]["clock"] = state[:CLOCK_SIZE].tobytes()
    return out


def assert_same_bits(events: list[Any]) -> None:
    reference = fold(events, reference=True)
    for kernels_from_python in (False, True):
        compiled = fold(events, reference=False, kernels_from_python=kernels_from_python)
        assert compiled.keys() == reference.keys()
        for key, families in compiled.items():
            for name, values in families.items():
                assert values == reference[key][name], f"{name} differs for {key}"


def test_the_hot_families_have_kernels() -> None:
    hot = {"activity", "spending", "habits", "geo", "novelty", "rhythm_change", "device_usage"}
    hot |= {"merchant_traffic", "merchant_risk", "balance", "income", "categories"}
    hot |= {"engagement", "product_interest"}
    assert hot <= set(compiled_families())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(max_events=80))
def test_kernels_fold_the_bits_of_their_references(events: list[Any]) -> None:
    assert_same_bits(events)


def _seeded_stream(count: int, customers: int, seed: int) -> list[dict[str, Any]]:
    """Transactions, logins and page views with varied amounts, places and local times; about
    one in twenty arrives up to a day late. Even-numbered customers spend about seven times
    more in the stream's second half (a change of rhythm for the detector to find)."""
    rng = random.Random(seed)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    events: list[dict[str, Any]] = []
    when = start
    for index in range(count):
        when += dt.timedelta(seconds=rng.expovariate(1 / 900))
        at = when - dt.timedelta(seconds=rng.uniform(0, 86_400)) if rng.random() < 0.05 else when
        zone = dt.timezone(dt.timedelta(hours=rng.randint(-8, 9)))
        event: dict[str, Any] = {
            "event_id": f"s{index}",
            "customer_id": f"c{rng.randrange(customers)}",
            "timestamp": at.astimezone(zone).isoformat(),
            "device_id": f"d{rng.randrange(customers)}",
            "location": {
                "lat": round(rng.uniform(-60, 70), 6),
                "lon": round(rng.uniform(-179, 179), 6),
                "country": rng.choice(["FR", "DE", "GB", "US", "ES"]),
            },
        }
        customer = int(event["customer_id"][1:])
        scale = 2.0 if index > count // 2 and customer % 2 == 0 else 0.0
        kind = rng.choice(["transaction"] * 4 + ["login", "page_view"])
        if kind == "login" and rng.random() < 0.3:
            kind = "statement"
        event["type"] = kind
        if kind == "transaction":
            debit = rng.random() < 0.85
            event["payload"] = {
                "amount": round(rng.lognormvariate(3.5 + scale, 1.4), 2) or 0.01,
                "currency": "EUR",
                "direction": "debit" if debit else "credit",
                "balance_after": round(rng.uniform(-2_000, 30_000), 2),
                **(
                    {
                        "merchant_id": f"m{rng.randrange(customers)}",
                        **rng.choice(
                            [
                                {"mcc": "5411"},
                                {"mcc": "5812"},
                                {"mcc": "4111"},
                                {"category": "Rent"},
                            ]
                        ),
                    }
                    if debit
                    else {"category": rng.choice(["Salary", "pension", "transfer"])}
                ),
            }
        elif kind == "statement":
            event["payload"] = {
                "account_id": "card",
                "balance": round(rng.uniform(-500, 5_000), 2),
                "credit_limit": rng.choice([0.0, 1_000.0, 5_000.0]),
            }
        elif kind == "login":
            event["payload"] = {"success": rng.random() < 0.9}
        else:
            event["payload"] = {"session_id": "s", "page": "/home", "dwell_ms": 1000}
        events.append(event)
    return events


@pytest.mark.parametrize(
    "customers",
    [
        5_000,  # a few events each: a contribution's last bit shows in the sums
        20,  # a thousand each, over seven months: full sets evict, rhythm alarms go off
    ],
)
def test_kernels_fold_the_bits_of_their_references_on_a_long_stream(customers: int) -> None:
    events = _seeded_stream(20_000, customers, seed=7)
    assert_same_bits(events)
    if customers == 20:  # the detector's alarm path ran
        alarms = [
            array("d", families["rhythm_change"])[-1]
            for families in fold(events, reference=False).values()
            if "rhythm_change" in families
        ]
        assert sum(alarms) > 0


def test_kernels_fold_the_bits_of_their_references_on_the_example_file() -> None:
    # Raw lines: the file holds a few malformed ones on purpose (the demo's dead letters).
    assert_same_bits([line for line in EXAMPLES.read_bytes().splitlines() if line])
