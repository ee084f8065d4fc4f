"""The Statlog German Credit data (UCI, CC BY 4.0) as v1 events.

Each applicant becomes a customer: a ``customer_update`` (declared income from the job, and
the protected sex, age and marital status from attributes 9 and 13), three repayments whose
lateness follows the credit history (attribute 3), a card statement that triggers a credit-limit
review (utilisation from the instalment rate, attribute 8), and, once decided, a
``credit_outcome`` naming the decision: ``current`` for a good applicant, ``default`` for a bad
one (the class column).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

GERMAN_DIR = Path("/work/shared/data/german_credit")
GERMAN_DATA = GERMAN_DIR / "german.data"
START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
CARD_LIMIT = 1500.0

# Attribute 9: personal status and sex (german.doc).
SEX = {"A91": "male", "A92": "female", "A93": "male", "A94": "male", "A95": "female"}
MARITAL = {
    "A91": "divorced_or_separated",
    "A92": "divorced_separated_or_married",
    "A93": "single",
    "A94": "married_or_widowed",
    "A95": "single",
}
# Attribute 17: job -> a declared yearly income (the data has none; jobs order incomes).
INCOME = {"A171": 14_000, "A172": 22_000, "A173": 34_000, "A174": 52_000}
# Attribute 3: credit history -> days late on the card's repayments.
DAYS_LATE = {"A30": -2, "A31": -2, "A32": 0, "A33": 15, "A34": 35}


def read_german() -> pd.DataFrame:
    """The 1,000 applicants with named columns (``applicant`` is the row number)."""
    raw = pd.read_csv(GERMAN_DATA, sep=r"\s+", header=None)
    return pd.DataFrame(
        {
            "applicant": range(len(raw)),
            "customer_id": [f"gc-{i:04d}" for i in range(len(raw))],
            "history": raw[2],
            "duration": raw[1].astype(int),
            "amount": raw[4].astype(float),
            "installment_rate": raw[7].astype(int),
            "personal_status": raw[8],
            "sex": raw[8].map(SEX),
            "marital_status": raw[8].map(MARITAL),
            "age": raw[12].astype(int),
            "job": raw[16],
            "good": raw[20] == 1,
        }
    )


def _event(event_id: str, kind: str, customer: str, when: dt.datetime, payload: dict) -> bytes:  # type: ignore[type-arg]
    return json.dumps(
        {
            "event_id": event_id,
            "type": kind,
            "customer_id": customer,
            "timestamp": when.isoformat(),
            "payload": payload,
        }
    ).encode()


def applicant_events(applicants: pd.DataFrame) -> list[bytes]:
    """Everything before the credit review, in time order."""
    lines: list[tuple[dt.datetime, bytes]] = []
    for row in applicants.itertuples(index=False):
        base = START + dt.timedelta(seconds=int(row.applicant))
        customer, account = row.customer_id, f"card-{row.applicant:04d}"
        lines.append(
            (
                base,
                _event(
                    f"{customer}-profile",
                    "customer_update",
                    customer,
                    base,
                    {
                        "attributes": {
                            "declared_income": INCOME[row.job],
                            "products": "current,card",
                        },
                        "protected": {
                            "sex": row.sex,
                            "age": row.age,
                            "marital_status": row.marital_status,
                        },
                    },
                ),
            )
        )
        instalment = round(row.amount / max(1, row.duration), 2)
        for month in range(3):
            when = base + dt.timedelta(days=20 + 30 * month)
            lines.append(
                (
                    when,
                    _event(
                        f"{customer}-repay-{month}",
                        "repayment",
                        customer,
                        when,
                        {
                            "account_id": account,
                            "amount": instalment,
                            "days_late": DAYS_LATE[row.history],
                        },
                    ),
                )
            )
        when = base + dt.timedelta(days=90)
        utilisation = 0.4 + 0.1 * row.installment_rate
        lines.append(
            (
                when,
                _event(
                    f"{customer}-statement",
                    "statement",
                    customer,
                    when,
                    {
                        "account_id": account,
                        "balance": round(CARD_LIMIT * utilisation, 2),
                        "credit_limit": CARD_LIMIT,
                        "minimum_due": round(CARD_LIMIT * utilisation * 0.03, 2),
                    },
                ),
            )
        )
    return [line for _, line in sorted(lines, key=lambda pair: pair[0])]


def outcome_events(applicants: pd.DataFrame, decision_of: dict[str, str]) -> list[bytes]:
    """Each applicant's outcome, naming the credit decision taken at their statement."""
    lines = []
    for row in applicants.itertuples(index=False):
        when = START + dt.timedelta(days=180, seconds=int(row.applicant))
        lines.append(
            _event(
                f"{row.customer_id}-outcome",
                "credit_outcome",
                row.customer_id,
                when,
                {
                    "account_id": f"card-{row.applicant:04d}",
                    "status": "current" if row.good else "default",
                    "decision_id": decision_of[f"{row.customer_id}-statement"],
                },
            )
        )
    return lines
