"""Product interest: shares of page views per product family, exact in any arrival order."""

from __future__ import annotations

import math
import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport import Engine
from rapport.profiles.families.product_interest import PRODUCTS, page_products
from tests.profiles.samples import at, event

PAGES = (
    "/home",
    "/savings/compare-rates",
    "/investments/isa",
    "/insurance/travel",
    "/cards/rewards",
    "/budgeting/planner",
    "/mortgages/remortgage",
    "/help/payment-holiday",
    "/loans/personal",
)


def products_of(page: str) -> set[str]:
    return {p for p, flag in zip(PRODUCTS, page_products(page), strict=True) if flag}


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("/savings/bonus-saver", {"savings"}),
        ("/investments/isa", {"investing"}),
        ("/insurance/travel", {"insurance", "travel"}),
        ("/travel/abroad", {"travel"}),
        ("/cards/upgrade", {"card"}),
        ("/budgeting/spending-insights", {"budgeting"}),
        ("/Mortgages/Remortgage", {"mortgage"}),
        # Hardship help and borrowing are not product shopping (engagement counts them).
        ("/help/payment-holiday", set()),
        ("/loans/payday", set()),
        ("/home", set()),
        ("/discover", set()),  # "cover" is a stem, not any substring
    ],
)
def test_a_page_belongs_to_the_families_its_words_name(page: str, expected: set[str]) -> None:
    assert products_of(page) == expected


def _views(pages: list[str], times: list[float]) -> list[dict[str, object]]:
    return [
        event(
            f"p{i}",
            "page_view",
            {"session_id": f"s{i}", "page": page, "dwell_ms": 20_000},
            at(days),
        )
        for i, (page, days) in enumerate(zip(pages, times, strict=True))
    ]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(PAGES), st.floats(0.0, 1.9)), min_size=1, max_size=40),
    st.randoms(use_true_random=False),
)
def test_shares_equal_a_naive_recomputation_whatever_the_arrival_order(
    views: list[tuple[str, float]], shuffle: random.Random
) -> None:
    pages, times = [p for p, _ in views], [t for _, t in views]
    arrived = _views(pages, times)
    shuffle.shuffle(arrived)  # all within the default lateness bound (two days)
    engine = Engine("memory://")
    assert engine.ingest(arrived).accepted == len(arrived)
    features = engine.profile("c1").values()
    latest = max(times)
    weights = [2.0 ** (-(latest - t) / 30.0) for t in times]
    for product in PRODUCTS:
        expected = sum(w for w, p in zip(weights, pages, strict=True) if product in products_of(p))
        share = features[f"{product}_page_share_30d"]
        assert math.isclose(share, expected / sum(weights), rel_tol=1e-9, abs_tol=1e-12), product


def test_a_customer_shopping_for_travel_cover_shows_it() -> None:
    engine = Engine("memory://")
    pages = ["/home", "/insurance/travel", "/payments", "/travel/abroad", "/home"] * 4
    engine.ingest(_views(pages, [i * 0.5 for i in range(len(pages))]))
    features = engine.profile("c1").values()
    assert features["travel_page_share_30d"] > 0.35
    assert features["insurance_page_share_30d"] > 0.15
    assert features["savings_page_share_30d"] == 0.0


def test_classifying_a_page_is_cheap() -> None:
    """A bank has a few hundred pages; each path is classified once, then looked up."""
    page_products.cache_clear()
    paths = [f"/section-{i % 300}/savings-{i % 7}" for i in range(30_000)]
    started = time.process_time()
    for path in paths:
        page_products(path)
    per_call = (time.process_time() - started) / len(paths)
    assert per_call < 20e-6
