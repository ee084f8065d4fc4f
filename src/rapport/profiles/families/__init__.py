"""Feature families, one concept per module; :func:`default_families` lists them in layout order."""

from __future__ import annotations

from rapport.profiles.families.activity import ActivityRhythm
from rapport.profiles.families.balance import Balance
from rapport.profiles.families.categories import CategoryShares
from rapport.profiles.families.customer_facts import CustomerFacts
from rapport.profiles.families.declared import DeclaredAttributes
from rapport.profiles.families.device import DeviceUsage
from rapport.profiles.families.engagement import Engagement
from rapport.profiles.families.geo import Geography
from rapport.profiles.families.habits import TimeHabits
from rapport.profiles.families.income import Income
from rapport.profiles.families.merchant import MerchantRisk, MerchantTraffic
from rapport.profiles.families.novelty import Novelty
from rapport.profiles.families.offers import OfferResponses
from rapport.profiles.families.product_interest import ProductInterest
from rapport.profiles.families.repayment import Repayment
from rapport.profiles.families.rhythm_change import RhythmChange
from rapport.profiles.families.spending import Spending
from rapport.profiles.family import Family


def default_families() -> list[Family]:
    """Every shipped family. Appending is safe; reordering changes the stored layout."""
    return [
        ActivityRhythm(),
        Spending(),
        TimeHabits(),
        CategoryShares(),
        Novelty(),
        Geography(),
        Income(),
        Balance(),
        Repayment(),
        Engagement(),
        OfferResponses(),
        CustomerFacts(),
        RhythmChange(),
        MerchantTraffic(),
        MerchantRisk(),
        DeviceUsage(),
        DeclaredAttributes(),
        ProductInterest(),
    ]


__all__ = ["default_families"]
