"""The feature catalog: every feature is declared once, with its entity, meaning and unit."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Entity(StrEnum):
    """The kinds of entity that carry a behavioral profile."""

    CUSTOMER = "customer"
    MERCHANT = "merchant"
    DEVICE = "device"


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One declared feature.

    ``order_independent`` marks a decayed statistic whose value does not depend on the order in
    which events inside the lateness bound arrive (checked by a property test); the others are
    order-dependent and their family documents how it treats a late event.
    """

    name: str
    entity: Entity
    description: str
    unit: str
    family: str
    order_independent: bool = True


@dataclass(frozen=True, slots=True)
class FeatureValue:
    """A feature's value at one moment, with what it means."""

    name: str
    value: float
    unit: str
    description: str
