"""The v1 event contract: a typed envelope plus one typed payload per event type.

This module is the project's public contract (DESIGN.md, "Event vocabulary"). The structs are
msgspec structs rather than pydantic models because decoding sits on the ingest hot path, where
msgspec validates straight from JSON bytes several times faster; the rules are the same: strict
types, unknown fields rejected everywhere except inside ``extensions``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

SCHEMA_VERSION = 1

# Patterns end in \Z, not $: in Python's re, $ also matches before a final newline, which would
# let "evt-1\n" through as a second id that looks like the first.
IDENTIFIER_PATTERN = r"^[^\x00-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+\Z"
"""No whitespace (what ``\\s`` matches in a str pattern) and no C0 control character. The characters
are listed rather than written ``\\s``: a class of ranges is a bitmap to the regex engine, where
``\\s`` is a Unicode lookup per character, and every event checks several identifiers.
``tests/events/test_contract.py`` checks the two forms against each other on every code point."""
CURRENCY_PATTERN = r"^[A-Z]{3}\Z"
MCC_PATTERN = r"^[0-9]{4}\Z"
COUNTRY_PATTERN = r"^[A-Z]{2}\Z"
Identifier = Annotated[str, Meta(min_length=1, max_length=128, pattern=IDENTIFIER_PATTERN)]
Text = Annotated[str, Meta(min_length=1, max_length=256)]
Money = Annotated[float, Meta(gt=0, le=1e12)]
SignedMoney = Annotated[float, Meta(ge=-1e12, le=1e12)]
NonNegativeMoney = Annotated[float, Meta(ge=0, le=1e12)]
Currency = Annotated[str, Meta(pattern=CURRENCY_PATTERN)]
MerchantCategoryCode = Annotated[str, Meta(pattern=MCC_PATTERN)]
CountryCode = Annotated[str, Meta(pattern=COUNTRY_PATTERN)]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Timestamp = Annotated[dt.datetime, Meta(tz=True)]
Scalar = str | int | float | bool | None

Channel = Literal[
    "card_present", "online", "mobile", "web", "branch", "atm", "phone", "email", "sms", "push"
]

# Event time outside this window cannot be a real banking event; accepting it would poison every
# decayed statistic of the customer (a year-9999 event freezes the profile's clock).
EARLIEST_EVENT_TIME = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
LATEST_EVENT_TIME = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
_SAFE_FIRST_YEAR, _SAFE_LAST_YEAR = EARLIEST_EVENT_TIME.year + 1, LATEST_EVENT_TIME.year - 2


class _Strict(
    msgspec.Struct, forbid_unknown_fields=True, frozen=True, omit_defaults=True, gc=False
):
    """Base of every struct of the contract: unknown fields are an error.

    Untracked by the cyclic garbage collector (``gc=False``): a decoded event is a tree (frozen,
    built from JSON), never part of a cycle, and tracking it made every collection rescan each
    event still held; parsing outside a paused collector ran a third faster without it.
    """


class Location(_Strict, kw_only=True, frozen=True):
    """Where the event happened: a coordinate pair, a country, or both."""

    lat: Latitude | None = None
    lon: Longitude | None = None
    country: CountryCode | None = None

    def __post_init__(self) -> None:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon must be given together")
        if self.lat is None and self.country is None:
            raise ValueError("give lat and lon, or country, or both")


class TransactionPayload(_Strict, kw_only=True, frozen=True):
    amount: Money
    currency: Currency
    direction: Literal["debit", "credit"]
    merchant_id: Identifier | None = None
    mcc: MerchantCategoryCode | None = None
    category: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    counterparty: Identifier | None = None
    balance_after: SignedMoney | None = None


class LoginPayload(_Strict, kw_only=True, frozen=True):
    success: bool
    auth_method: Annotated[str, Meta(min_length=1, max_length=64)] | None = None


class PageViewPayload(_Strict, kw_only=True, frozen=True):
    session_id: Identifier
    page: Text
    dwell_ms: Annotated[int, Meta(ge=0, le=86_400_000)] | None = None


class StatementPayload(_Strict, kw_only=True, frozen=True):
    account_id: Identifier
    balance: SignedMoney
    credit_limit: NonNegativeMoney
    minimum_due: NonNegativeMoney | None = None
    due_date: dt.date | None = None


class RepaymentPayload(_Strict, kw_only=True, frozen=True):
    account_id: Identifier
    amount: Money
    due_date: dt.date | None = None
    days_late: Annotated[int, Meta(ge=-3650, le=3650)] | None = None


class OfferResponsePayload(_Strict, kw_only=True, frozen=True):
    decision_id: Identifier
    offer_id: Identifier
    response: Literal["accepted", "declined", "ignored", "clicked"]


class MessageEventPayload(_Strict, kw_only=True, frozen=True):
    decision_id: Identifier
    status: Literal["delivered", "opened", "clicked", "unsubscribed"]


class FraudReportPayload(_Strict, kw_only=True, frozen=True):
    transaction_event_id: Identifier
    is_fraud: bool


class CreditOutcomePayload(_Strict, kw_only=True, frozen=True):
    account_id: Identifier
    status: Literal["current", "delinquent", "default"]
    decision_id: Identifier | None = None


class CustomerUpdatePayload(_Strict, kw_only=True, frozen=True):
    attributes: Annotated[dict[Annotated[str, Meta(max_length=64)], Scalar], Meta(max_length=64)]
    protected: (
        Annotated[dict[Annotated[str, Meta(max_length=64)], Scalar], Meta(max_length=32)] | None
    ) = None


class BaseEvent(_Strict, kw_only=True, frozen=True, tag_field="type"):
    """The envelope every event shares. ``type`` is the tag that selects the subclass."""

    event_id: Identifier
    customer_id: Identifier
    timestamp: Timestamp
    channel: Channel | None = None
    device_id: Identifier | None = None
    location: Location | None = None
    extensions: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # Comparing aware datetimes converts both to UTC; a year well inside the range cannot
        # be outside it whatever its offset, and is all but every event.
        if _SAFE_FIRST_YEAR <= self.timestamp.year <= _SAFE_LAST_YEAR:
            return
        if not EARLIEST_EVENT_TIME <= self.timestamp < LATEST_EVENT_TIME:
            raise ValueError(
                f"timestamp: {self.timestamp.isoformat()} is outside the plausible range "
                f"[{EARLIEST_EVENT_TIME.year}, {LATEST_EVENT_TIME.year})"
            )

    @property
    def epoch(self) -> float:
        """Event time in seconds since the Unix epoch."""
        return self.timestamp.timestamp()


class TransactionEvent(BaseEvent, frozen=True, tag="transaction"):
    payload: TransactionPayload


class LoginEvent(BaseEvent, frozen=True, tag="login"):
    payload: LoginPayload


class PageViewEvent(BaseEvent, frozen=True, tag="page_view"):
    payload: PageViewPayload


class StatementEvent(BaseEvent, frozen=True, tag="statement"):
    payload: StatementPayload


class RepaymentEvent(BaseEvent, frozen=True, tag="repayment"):
    payload: RepaymentPayload


class OfferResponseEvent(BaseEvent, frozen=True, tag="offer_response"):
    payload: OfferResponsePayload


class MessageEvent(BaseEvent, frozen=True, tag="message_event"):
    payload: MessageEventPayload


class FraudReportEvent(BaseEvent, frozen=True, tag="fraud_report"):
    payload: FraudReportPayload


class CreditOutcomeEvent(BaseEvent, frozen=True, tag="credit_outcome"):
    payload: CreditOutcomePayload


class CustomerUpdateEvent(BaseEvent, frozen=True, tag="customer_update"):
    payload: CustomerUpdatePayload


Event = (
    TransactionEvent
    | LoginEvent
    | PageViewEvent
    | StatementEvent
    | RepaymentEvent
    | OfferResponseEvent
    | MessageEvent
    | FraudReportEvent
    | CreditOutcomeEvent
    | CustomerUpdateEvent
)

EVENT_TYPES: dict[str, type[BaseEvent]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
    for cls in (
        TransactionEvent,
        LoginEvent,
        PageViewEvent,
        StatementEvent,
        RepaymentEvent,
        OfferResponseEvent,
        MessageEvent,
        FraudReportEvent,
        CreditOutcomeEvent,
        CustomerUpdateEvent,
    )
}
