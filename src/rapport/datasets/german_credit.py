"""The Statlog German Credit data (UCI, 1,000 applications) as v1 events.

Each applicant becomes a customer with three events:

1. ``customer_update``: the application's answers as declared ``attributes`` (read by decisions
   as ``declared.*``), and the applicant's sex, marital status, age and foreign-worker status in
   ``protected`` only — the engine takes those out at ingestion and no decision ever reads them
   (DESIGN.md principle 7);
2. ``statement`` one minute later, for the credit asked for (balance and limit = the amount): it
   triggers the ``credit_limit`` decision under the default policy;
3. ``credit_outcome`` a year later: ``default`` for a bad credit (class 2), ``current`` for a good
   one (class 1), joined by the engine to that decision.

Qualitative attributes are declared as their code's number within the attribute in the codebook
(``german.doc``: ``A11`` -> 1, ``A34`` -> 4, ``A410`` -> 10), so that ordered ones (savings,
employment, checking balance) keep their order; the numeric ones are declared as they are.
Applicants are spaced in time in a seeded random order, so that a time-ordered split is not the
file's order.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

DEFAULT_PATH = Path("/work/shared/data/german_credit/german.data")

# (attribute name, qualitative code prefix or None for a number), in the file's column order.
COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("checking_status", "A1"),
    ("duration_months", None),
    ("credit_history", "A3"),
    ("purpose", "A4"),
    ("credit_amount", None),
    ("savings", "A6"),
    ("employment_since", "A7"),
    ("installment_rate_pct", None),
    ("personal_status_sex", "A9"),
    ("other_debtors", "A10"),
    ("residence_since", None),
    ("property", "A12"),
    ("age_years", None),
    ("other_installment_plans", "A14"),
    ("housing", "A15"),
    ("existing_credits", None),
    ("job", "A17"),
    ("people_liable", None),
    ("telephone", "A19"),
    ("foreign_worker", "A20"),
)
PROTECTED = frozenset({"personal_status_sex", "age_years", "foreign_worker"})
"""Columns that become ``customer_update.protected`` values, never declared attributes."""
_SEX_AND_STATUS = {
    "A91": ("male", "divorced_or_separated"),
    "A92": ("female", "divorced_separated_or_married"),
    "A93": ("male", "single"),
    "A94": ("male", "married_or_widowed"),
    "A95": ("female", "single"),
}
CURRENCY = "EUR"  # the data are in Deutsche Mark; the v1 contract wants an ISO code today's


@dataclass(frozen=True)
class Applicant:
    index: int
    """Row number in the file (0-based)."""
    raw: dict[str, str]
    """Column name -> the value as written in the file (``A11``, ``24``...)."""
    bad: bool
    """Class 2 (a bad credit)."""

    @property
    def customer_id(self) -> str:
        return f"gc-{self.index:04d}"

    def declared(self) -> dict[str, float]:
        """The application's answers as declared attributes (protected ones excluded)."""
        values: dict[str, float] = {}
        for name, prefix in COLUMNS:
            if name in PROTECTED:
                continue
            text = self.raw[name]
            values[name] = float(text) if prefix is None else float(text[len(prefix) :])
        return values

    def protected(self) -> dict[str, str | int]:
        sex, status = _SEX_AND_STATUS[self.raw["personal_status_sex"]]
        return {
            "sex": sex,
            "marital_status": status,
            "age": int(self.raw["age_years"]),
            "foreign_worker": "yes" if self.raw["foreign_worker"] == "A201" else "no",
        }


def read_german(path: Path = DEFAULT_PATH) -> list[Applicant]:
    applicants = []
    for index, line in enumerate(path.read_text().splitlines()):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != len(COLUMNS) + 1:
            raise ValueError(f"{path}:{index + 1}: {len(fields)} fields, expected 21")
        raw = {name: value for (name, _), value in zip(COLUMNS, fields, strict=False)}
        applicants.append(Applicant(index, raw, fields[-1] == "2"))
    return applicants


def to_events(
    applicants: Sequence[Applicant],
    seed: int = 0,
    start: dt.datetime = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC),
    spacing: dt.timedelta = dt.timedelta(hours=6),
) -> list[dict[str, object]]:
    """v1 events for the applicants, in time order: three per applicant (see the module doc)."""
    order = list(applicants)
    random.Random(seed).shuffle(order)
    events: list[dict[str, object]] = []
    outcomes: list[dict[str, object]] = []
    for slot, applicant in enumerate(order):
        at = start + slot * spacing
        customer = applicant.customer_id
        account = f"acct-{customer}"
        amount = float(applicant.raw["credit_amount"])
        events.append(
            {
                "event_id": f"{customer}-application",
                "type": "customer_update",
                "customer_id": customer,
                "timestamp": at.isoformat(),
                "channel": "branch",
                "payload": {"attributes": applicant.declared(), "protected": applicant.protected()},
            }
        )
        events.append(
            {
                "event_id": f"{customer}-statement",
                "type": "statement",
                "customer_id": customer,
                "timestamp": (at + dt.timedelta(minutes=1)).isoformat(),
                "payload": {"account_id": account, "balance": amount, "credit_limit": amount},
            }
        )
        outcomes.append(
            {
                "event_id": f"{customer}-outcome",
                "type": "credit_outcome",
                "customer_id": customer,
                "timestamp": (at + dt.timedelta(days=365)).isoformat(),
                "payload": {
                    "account_id": account,
                    "status": "default" if applicant.bad else "current",
                },
            }
        )
    return events + outcomes


def applicant_frame(applicants: Sequence[Applicant]) -> pd.DataFrame:
    """One row per applicant, from the same mapping as the events: ``customer_id``, the
    protected ``sex``, ``marital_status``, ``age`` and ``foreign_worker`` exactly as
    ``customer_update.protected`` carries them, and ``good`` (class 1). For checking what the
    engine reports against the file, independently of the engine."""
    return pd.DataFrame(
        [{"customer_id": a.customer_id, **a.protected(), "good": not a.bad} for a in applicants]
    )


def write_events(events: Sequence[dict[str, object]], out: Path) -> None:
    out.write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in events))
