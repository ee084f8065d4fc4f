"""The compiled fold primitives fold exactly the bits of their Python references.

Every stored profile must be the same whether the C extension was built or not (a bank may run
a mixed fleet, and point-in-time replays must reproduce stored profiles), so each kernel is
checked bit for bit against its reference, and a whole ingest against a pure-Python one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from array import array
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.profiles.decay import block_add_reference, block_read_reference
from rapport.profiles.family import FoldContext
from rapport.profiles.native import Kernels, kernels
from rapport.profiles.sketches import RecencySet

ROOT = Path(__file__).resolve().parents[2]

needs_kernels = pytest.mark.skipif(kernels is None, reason="the C extension is not built")

values = st.floats(allow_nan=False, allow_infinity=False, width=64)
moments = st.floats(min_value=1.6e9, max_value=1.9e9, allow_nan=False)


def test_the_extension_is_built_where_ci_requires_it() -> None:
    """CI (RAPPORT_REQUIRE_NATIVE=1) must measure and test the compiled fold, not fall back."""
    if kernels is None:
        if os.environ.get("RAPPORT_REQUIRE_NATIVE") == "1":
            pytest.fail("rapport.profiles._kernels is not built (RAPPORT_REQUIRE_NATIVE=1)")
        pytest.skip("the C extension is not built: the Python references fold instead")
    assert os.environ.get("RAPPORT_PURE_PYTHON") != "1"
    # The typed interface names exactly what the module exports.
    exported = {name for name in dir(kernels) if not name.startswith("_")}
    assert exported == {name for name in vars(Kernels) if not name.startswith("_")}


@needs_kernels
@given(
    st.lists(st.floats(min_value=1e-9, max_value=1e-2), min_size=1, max_size=5),
    st.integers(1, 8).flatmap(
        lambda stats: st.lists(
            st.tuples(moments, st.lists(values, min_size=stats, max_size=stats)),
            min_size=1,
            max_size=12,
        )
    ),
    st.integers(0, 3),
    st.lists(values, min_size=0, max_size=3),
)
def test_block_add_matches_its_reference(
    rates: list[float],
    adds: list[tuple[float, list[float]]],
    offset: int,
    padding: list[float],
) -> None:
    """In and out of order, with whatever the block held, both fold the same bits."""
    stats = len(adds[0][1])
    size = offset + 1 + len(rates) * stats + len(padding)
    compiled, reference = array("d", bytes(8 * size)), array("d", bytes(8 * size))
    for values_ in (compiled, reference):
        values_[offset + 1 + len(rates) * stats :] = array("d", padding)
    decay_rates = tuple(rates)
    for t, contributions in adds:
        assert kernels is not None
        kernels.block_add(compiled, offset, decay_rates, contributions, t)
        block_add_reference(reference, offset, decay_rates, contributions, t)
        assert compiled.tobytes() == reference.tobytes()


@needs_kernels
@given(
    st.lists(st.floats(min_value=1e-9, max_value=1e-2), min_size=1, max_size=5),
    st.integers(0, 6),
    st.lists(values, min_size=40, max_size=40),
    st.integers(0, 3),
    st.floats(allow_infinity=False, width=64),
)
def test_block_read_matches_its_reference(
    rates: list[float], stats: int, stored: list[float], offset: int, at: float
) -> None:
    """Before, at and after the block's reference time (and at NaN): the same bits."""
    state = array("d", stored)
    assert kernels is not None
    compiled = kernels.block_read(state, offset, tuple(rates), stats, at)
    reference = block_read_reference(state, offset, tuple(rates), stats, at)
    assert array("d", compiled).tobytes() == array("d", reference).tobytes()
    assert state.tobytes() == array("d", stored).tobytes()


@needs_kernels
@given(
    st.integers(1, 8),
    st.sampled_from([3600.0, 86400.0, 90 * 86400.0]),
    st.lists(
        st.tuples(
            st.integers(0, 12).map(float),
            # Steps up to a few hundred half-lives apart, back and forth, so that weights
            # rebase, late sightings land and full sets evict.
            st.floats(min_value=-3e6, max_value=3e8, allow_nan=False),
        ),
        min_size=1,
        max_size=40,
    ),
)
def test_recency_observe_matches_its_reference(
    capacity: int, half_life: float, sightings: list[tuple[float, float]]
) -> None:
    recency = RecencySet(capacity, half_life)
    compiled, reference = array("d", bytes(8 * recency.size)), array("d", bytes(8 * recency.size))
    recency.init(compiled, 0)
    recency.init(reference, 0)
    t = 1.7e9
    for key, step in sightings:
        t += step
        assert kernels is not None
        known = kernels.recency_observe(compiled, 0, capacity, recency.rate, key, t)
        assert known == recency.observe_reference(reference, 0, key, t)
        assert compiled.tobytes() == reference.tobytes()


@needs_kernels
def test_kernels_refuse_what_is_not_a_state() -> None:
    assert kernels is not None
    with pytest.raises(TypeError, match="buffer of C doubles"):
        kernels.block_add(array("f", [0.0] * 4), 0, (0.1,), (1.0,), 1.0)
    with pytest.raises(IndexError):
        kernels.block_add(array("d", [0.0] * 2), 0, (0.1, 0.2), (1.0,), 1.0)
    with pytest.raises(IndexError):
        kernels.block_read(array("d", [0.0] * 4), 1, (0.1, 0.2), 2, 1.0)
    with pytest.raises(IndexError):
        kernels.recency_observe(array("d", [0.0] * 4), 2, 1, 0.1, 1.0, 1.0)
    with pytest.raises(IndexError):  # an offset so large that offset + span would wrap around
        kernels.block_add(array("d", [0.0] * 4), sys.maxsize, (0.1,), (1.0,), 1.0)
    with pytest.raises(ValueError, match="at most 64"):
        kernels.block_read(array("d", [0.0] * 200), 0, (0.1,), 65, 1.0)
    with pytest.raises(ValueError, match="at most 64"):
        kernels.block_add(array("d", [0.0] * 200), 0, (0.1,), [1.0] * 65, 1.0)
    # A family kernel checks its constants and the room it is given once, when it is made.
    sets = (2.5, 0.1, 1.0, 0.1, 1.0, 0.1)
    with pytest.raises(ValueError, match="capacity"):
        kernels.family_kernel("novelty", 99, ((0.1,), sets))
    with pytest.raises(ValueError, match="no family kernel"):
        kernels.family_kernel("astrology", 99, ((0.1,),))
    with pytest.raises(ValueError, match="takes 1 groups"):
        kernels.family_kernel("habits", 99, ((0.1,), (0.2,)))
    with pytest.raises(ValueError, match="habits folds 10 floats; the family has 9"):
        kernels.family_kernel("habits", 9, ((0.1,),))
    habits = kernels.family_kernel("habits", 10, ((0.1,),))
    ctx = FoldContext(1.0, 2.0, 3)
    with pytest.raises(IndexError):
        habits(array("d", [0.0] * 12), 3, None, ctx)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes 4 arguments"):
        habits(array("d", [0.0] * 12), 0, None)  # type: ignore[call-arg, arg-type]
    habits(array("d", [0.0] * 12), 2, None, ctx)  # type: ignore[arg-type]


_PROFILES_DIGEST = """
import hashlib, sys
from rapport import Engine
from rapport.profiles.native import Kernels, kernels
engine = Engine("memory://")
engine.ingest(open(sys.argv[1], "rb").read().splitlines())
rows = engine.stores.profiles.get_many(sorted(engine.stores.profiles._rows))
digest = hashlib.sha256()
for key in sorted(rows):
    digest.update(repr(key).encode() + rows[key].data)
    if key[0] == "customer":
        digest.update(repr(engine.profile(key[1]).features).encode())
print(kernels is not None, len(rows), digest.hexdigest())
"""


@needs_kernels
def test_a_whole_ingest_stores_and_reads_the_same_profiles_with_and_without_the_extension() -> None:
    def digest(pure_python: bool) -> list[str]:
        env = {**os.environ, "RAPPORT_PURE_PYTHON": "1" if pure_python else "0"}
        script = [sys.executable, "-c", _PROFILES_DIGEST, str(ROOT / "examples/events.jsonl")]
        out = subprocess.run(script, env=env, check=True, capture_output=True, text=True)
        return out.stdout.split()

    compiled, pure = digest(pure_python=False), digest(pure_python=True)
    assert (compiled[0], pure[0]) == ("True", "False")
    assert int(compiled[1]) > 100
    assert compiled[1:] == pure[1:]
