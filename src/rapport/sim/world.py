"""The world customers live in: cities, merchant categories, merchants, web pages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (name, lat, lon, country, UTC offset in hours)
CITIES: tuple[tuple[str, float, float, str, int], ...] = (
    ("London", 51.507, -0.128, "GB", 0),
    ("Manchester", 53.481, -2.243, "GB", 0),
    ("Dublin", 53.349, -6.260, "IE", 0),
    ("Lisbon", 38.722, -9.139, "PT", 0),
    ("Paris", 48.857, 2.352, "FR", 1),
    ("Lyon", 45.764, 4.836, "FR", 1),
    ("Berlin", 52.520, 13.405, "DE", 1),
    ("Munich", 48.135, 11.582, "DE", 1),
    ("Madrid", 40.417, -3.704, "ES", 1),
    ("Milan", 45.464, 9.190, "IT", 1),
    ("Amsterdam", 52.368, 4.904, "NL", 1),
    ("Warsaw", 52.230, 21.012, "PL", 1),
    ("Athens", 37.984, 23.728, "GR", 2),
    ("Helsinki", 60.170, 24.938, "FI", 2),
)
ABROAD: tuple[tuple[str, float, float, str, int], ...] = (
    ("New York", 40.713, -74.006, "US", -5),
    ("Lagos", 6.524, 3.379, "NG", 1),
    ("Bangkok", 13.756, 100.502, "TH", 7),
    ("Sao Paulo", -23.551, -46.633, "BR", -3),
)

# Spending categories: (name, representative MCCs, median amount, log-spread, card-present share)
CATEGORIES: tuple[tuple[str, tuple[str, ...], float, float, float], ...] = (
    ("groceries", ("5411", "5499"), 38.0, 0.7, 0.9),
    ("dining", ("5812", "5814"), 24.0, 0.6, 0.85),
    ("transport", ("4111", "4121"), 9.0, 0.6, 0.6),
    ("fuel", ("5541",), 55.0, 0.4, 0.95),
    ("retail", ("5311", "5651", "5732"), 60.0, 0.9, 0.5),
    ("entertainment", ("7832", "5815"), 18.0, 0.7, 0.3),
    ("health", ("5912", "8011"), 25.0, 0.7, 0.8),
    ("utilities", ("4900", "4814"), 70.0, 0.4, 0.0),
    ("travel", ("4511", "7011"), 220.0, 0.8, 0.3),
    ("gambling", ("7995",), 30.0, 0.9, 0.1),
    ("cash", ("6011",), 80.0, 0.5, 1.0),
)
CATEGORY_INDEX = {c[0]: i for i, c in enumerate(CATEGORIES)}

# Pages of the products customers hold: everyone has a current account, card holders a card
# (product pages of what they might want next are in rapport.sim.needs).
PAGES_EVERYDAY = ("/home", "/accounts", "/payments", "/statements", "/offers", "/settings")
PAGES_CARD_HOLDER = (*PAGES_EVERYDAY, "/cards")
PAGES_HARDSHIP = ("/help/hardship", "/help/debt-advice", "/help/payment-holiday")
PAGES_LOANS = ("/loans/personal", "/loans/payday", "/overdraft/increase")
PAGES_GAMBLING = ("/help/gambling-block",)


@dataclass(frozen=True)
class Merchants:
    """Merchants by category; each has an id, a home city and a terminal location."""

    ids: list[list[str]]
    """Merchant ids per category."""
    cities: list[np.ndarray]
    """City index per merchant, per category."""

    def count(self) -> int:
        return sum(len(m) for m in self.ids)


def build_merchants(rng: np.random.Generator, total: int) -> Merchants:
    """A world of ``total`` merchants spread over categories and cities."""
    weights = np.array([8, 8, 3, 3, 6, 3, 3, 2, 2, 1, 2], dtype=float)
    per_category = np.maximum(3, np.round(total * weights / weights.sum())).astype(int)
    ids: list[list[str]] = []
    cities: list[np.ndarray] = []
    for (name, *_), count in zip(CATEGORIES, per_category, strict=True):
        ids.append([f"m-{name}-{i:05d}" for i in range(count)])
        cities.append(rng.integers(0, len(CITIES), size=count))
    return Merchants(ids, cities)
