"""Typed configuration of the simulated bank."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class SimConfig(BaseModel):
    """Size, seed and the rates that shape the simulated bank's world."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    customers: int = Field(default=1_000, ge=1, le=1_000_000)
    """How many customers the bank has."""

    days: int = Field(default=60, ge=1, le=3_650)
    """How many days of history to simulate."""

    seed: int = Field(default=7, ge=0)
    """Seed of every random draw: the same seed gives the same bytes."""

    start: dt.date = dt.date(2026, 1, 5)
    """First simulated day (customers' local calendar)."""

    merchants: int = Field(default=0, ge=0)
    """Merchants in the world; 0 sizes it from the customer count."""

    card_fraud_rate: float = Field(default=0.0015, ge=0.0, le=0.05)
    """Daily probability that a customer's card is compromised."""

    takeover_rate: float = Field(default=0.0002, ge=0.0, le=0.05)
    """Daily probability of an account takeover."""

    card_testing_rate: float = Field(default=0.0004, ge=0.0, le=0.05)
    """Daily probability that a card is tested with a burst of small amounts."""

    terminal_compromise_rate: float = Field(default=0.0015, ge=0.0, le=0.2)
    """Daily probability that a given merchant's terminal is compromised."""

    fraud_report_delay_days: tuple[float, float] = (1.0, 12.0)
    """Range of days between a fraudulent transaction and its confirmed report."""

    life_event_rate: float = Field(default=0.35, ge=0.0, le=1.0)
    """Share of customers who live through a life event during a year."""

    campaign_rate: float = Field(default=0.05, ge=0.0, le=1.0)
    """Open loop: daily probability that the bank's own campaign contacts a customer."""
