"""Merchant category codes (ISO 18245) grouped into the spend families profiles track."""

from __future__ import annotations

GROUPS = (
    "groceries",
    "dining",
    "transport",
    "fuel",
    "travel",
    "retail",
    "entertainment",
    "gambling",
    "cash",
    "utilities",
    "health",
    "transfers",
    "other",
)
GROUP_INDEX = {name: i for i, name in enumerate(GROUPS)}

_RANGES: tuple[tuple[int, int, str], ...] = (
    (3000, 3350, "travel"),  # airlines by carrier
    (3351, 3500, "travel"),  # car rental
    (3501, 3999, "travel"),  # lodging
    (4000, 4199, "transport"),
    (4200, 4299, "transport"),
    (4300, 4799, "travel"),
    (4800, 4828, "utilities"),
    (4829, 4829, "transfers"),
    (4830, 4999, "utilities"),
    (5000, 5399, "retail"),
    (5400, 5499, "groceries"),
    (5500, 5539, "transport"),
    (5540, 5549, "fuel"),
    (5550, 5799, "retail"),
    (5800, 5814, "dining"),
    (5815, 5818, "entertainment"),  # digital goods
    (5900, 5999, "retail"),
    (5912, 5912, "health"),
    (6010, 6011, "cash"),
    (6012, 6049, "transfers"),
    (6050, 6051, "transfers"),  # quasi-cash, crypto
    (6500, 6999, "transfers"),
    (7000, 7299, "travel"),
    (7800, 7801, "gambling"),  # government lotteries, online casinos
    (7802, 7802, "gambling"),
    (7300, 7999, "entertainment"),
    (7995, 7995, "gambling"),
    (8000, 8099, "health"),
    (9211, 9399, "utilities"),  # government services
)

_WORDS = {
    "grocer": "groceries",
    "supermarket": "groceries",
    "restaurant": "dining",
    "dining": "dining",
    "food": "dining",
    "transport": "transport",
    "taxi": "transport",
    "fuel": "fuel",
    "travel": "travel",
    "hotel": "travel",
    "airline": "travel",
    "retail": "retail",
    "shopping": "retail",
    "entertainment": "entertainment",
    "gambling": "gambling",
    "betting": "gambling",
    "casino": "gambling",
    "cash": "cash",
    "atm": "cash",
    "utilit": "utilities",
    "health": "health",
    "pharma": "health",
    "transfer": "transfers",
    "crypto": "transfers",
}


def _build_table() -> dict[int, int]:
    table: dict[int, int] = {}
    # Wider ranges first so that the specific codes listed after them win.
    for low, high, group in sorted(_RANGES, key=lambda r: r[0] - r[1]):
        for code in range(low, high + 1):
            table[code] = GROUP_INDEX[group]
    return table


_TABLE = _build_table()
_OTHER = GROUP_INDEX["other"]


def group_of(mcc: str | None, category: str | None) -> int:
    """The spend group of a transaction: from its MCC if given, else from its category words."""
    if mcc is not None:
        return _TABLE.get(int(mcc), _OTHER)
    if category is not None:
        lowered = category.lower()
        for word, group in _WORDS.items():
            if word in lowered:
                return GROUP_INDEX[group]
    return _OTHER
