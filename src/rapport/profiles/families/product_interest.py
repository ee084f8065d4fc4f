"""Product interest: which product families a customer browses, as shares of their page views.

Someone comparing savings rates, reading about travel cover or looking at card rewards is telling
the bank what they are shopping for, usually before they answer any offer. A page belongs to a
product family when a word of its path starts with one of the family's stems (``/savings/isa``
counts for savings and for investing); a page may belong to none or to several.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from rapport.events.model import BaseEvent, PageViewEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_add, block_read, block_size, rates, ratio
from rapport.profiles.family import Family, FoldContext, Updater
from rapport.profiles.state import State

if TYPE_CHECKING:
    from rapport.profiles.native import Kernels

# Family -> word stems of its pages. Stems are prefixes of a path's words, chosen so that an
# everyday word does not match by accident (no "holiday": payment holidays are hardship help).
PRODUCT_STEMS: dict[str, tuple[str, ...]] = {
    "savings": ("saving", "deposit"),
    "investing": ("invest", "isa", "pension", "fund", "stocks", "shares", "wealth"),
    "insurance": ("insur", "cover", "protection"),
    "travel": ("travel", "abroad", "foreign", "currenc"),
    "card": ("card", "reward", "cashback"),
    "budgeting": ("budget", "money-management", "spending-insight"),
    "mortgage": ("mortgage", "remortgage", "home-buy"),
}
PRODUCTS = tuple(PRODUCT_STEMS)
FEATURES = tuple(f"{product}_page_share_30d" for product in PRODUCTS)
_RATES = rates(30 * DAY)
_STATS = 1 + len(PRODUCTS)  # every page view, then one count per product family
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@functools.lru_cache(maxsize=4096)
def page_products(page: str) -> tuple[float, ...]:
    """A page path's flags, one per product family (1.0 when the page belongs to it).

    Paths repeat endlessly (a bank has a few hundred pages), so each is classified once.
    """
    words = _WORD.findall(page.lower())
    parts = [p for w in words for p in (w, *w.split("-"))]
    return tuple(
        1.0 if any(p.startswith(stem) for p in parts for stem in PRODUCT_STEMS[product]) else 0.0
        for product in PRODUCTS
    )


class ProductInterest(Family):
    """Layout: one decayed block (30-day half-life): page views, then views per product family."""

    name = "product_interest"
    entity = Entity.CUSTOMER
    event_types = frozenset({"page_view"})

    size = block_size(_STATS, _RATES)

    def specs(self) -> list[FeatureSpec]:
        return [
            self.spec(
                name,
                f"Share of page views on {product} product pages, 30-day half-life",
                "fraction",
            )
            for name, product in zip(FEATURES, PRODUCTS, strict=True)
        ]

    def compiled(self, kernels: Kernels) -> Updater:
        groups = (_RATES, (float(_STATS),))
        return kernels.family_kernel(self.name, self.size, groups, (page_products,))

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        assert isinstance(event, PageViewEvent)
        block_add(state, offset, _RATES, (1.0, *page_products(event.payload.page)), ctx.t)

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        views, *by_product = block_read(state, offset, _RATES, _STATS, at)
        for name, count in zip(FEATURES, by_product, strict=True):
            out[name] = ratio(count, views)
