"""Every ModelRegistry keeps artifacts by version; draws follow their distribution."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.learning.artifact import Artifact
from rapport.learning.model import draw
from rapport.learning.registry import MemoryRegistry, ModelRegistry, SqliteRegistry


@pytest.fixture(params=["memory", "sqlite"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ModelRegistry]:
    opened: ModelRegistry = (
        MemoryRegistry() if request.param == "memory" else SqliteRegistry(tmp_path / "r.db")
    )
    yield opened
    opened.close()


def test_same_bytes_are_one_version_and_round_trip(registry: ModelRegistry) -> None:
    first = Artifact("fraud", "lightgbm", b"tree-1", {"auc": 0.9})
    version = registry.put(first)
    assert registry.put(Artifact("fraud", "lightgbm", b"tree-1", {"auc": 0.9})) == version
    registry.put(Artifact("fraud", "lightgbm", b"tree-2"))
    registry.put(Artifact("credit_limit", "lightgbm", b"tree-3"))
    got = registry.get(version)
    assert got is not None
    assert (got.kind, got.type, got.payload, dict(got.card)) == (
        "fraud",
        "lightgbm",
        b"tree-1",
        {"auc": 0.9},
    )
    assert len(registry.versions("fraud")) == 2
    assert registry.versions("fraud")[0] == version
    assert registry.get("lightgbm-nope") is None


def test_a_version_names_the_type_and_changes_with_the_bytes() -> None:
    a = Artifact("fraud", "lightgbm", b"x")
    assert a.version.startswith("lightgbm-")
    assert a.version != Artifact("fraud", "lightgbm", b"y").version
    assert a.version != Artifact("fraud", "other", b"x").version


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.01, 1.0), min_size=1, max_size=6))
def test_draws_follow_the_distribution(weights: list[float]) -> None:
    total = sum(weights)
    pmf = [w / total for w in weights]
    n = 4000
    counts = [0] * len(pmf)
    for seed in range(n):
        counts[draw(pmf, seed * 7919 + 13)] += 1
    for p, c in zip(pmf, counts, strict=True):
        # Five standard errors: a wrong draw (e.g. always the mode) fails by far more.
        assert abs(c / n - p) <= 5 * (p * (1 - p) / n) ** 0.5 + 1e-9


def test_a_draw_is_deterministic() -> None:
    assert draw([0.2, 0.3, 0.5], 12345) == draw([0.2, 0.3, 0.5], 12345)
