"""Merchant (terminal) profiles: traffic, card-testing patterns and confirmed-fraud risk.

A confirmed fraud raises its merchant's risk at the time the report arrives, not at the time of
the transaction: that is when the bank learns it, so a replay never knows it earlier.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rapport.events.model import BaseEvent, FraudReportEvent, TransactionEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, HOUR, block_add, block_read, block_size, rates, ratio
from rapport.profiles.family import FIRST_EVENT, Family, FoldContext, Updater
from rapport.profiles.state import State

if TYPE_CHECKING:
    from rapport.profiles.native import Kernels

_TRAFFIC_RATES = rates(HOUR, DAY, 30 * DAY)
_TRAFFIC_STATS = 4  # transactions, amount, log amount, small amounts
_RISK_RATES = rates(30 * DAY, 90 * DAY)
_RISK_STATS = 3  # transactions, confirmed frauds, cleared reports
SMALL_AMOUNT = 5.0
# Beta prior on a merchant's fraud rate: mean 0.2%, worth 100 transactions of evidence, so one
# report on a quiet merchant moves it a lot and on a busy one only a little.
PRIOR_FRAUD_RATE = 0.002
PRIOR_STRENGTH = 100.0


class MerchantTraffic(Family):
    """Layout: one traffic block."""

    name = "merchant_traffic"
    entity = Entity.MERCHANT
    event_types = frozenset({"transaction"})

    size = block_size(_TRAFFIC_STATS, _TRAFFIC_RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            s("merchant_txn_1h", "Transactions at the merchant, 1-hour half-life", "transactions"),
            s("merchant_txn_1d", "Transactions at the merchant, 1-day half-life", "transactions"),
            s("merchant_txn_30d", "Transactions at the merchant, 30-day half-life", "transactions"),
            s(
                "merchant_typical_amount_30d",
                "Geometric-mean amount at the merchant, 30-day",
                "currency",
            ),
            s(
                "merchant_small_share_1h",
                f"Share of amounts up to {SMALL_AMOUNT:g} in the last hour (card testing)",
                "fraction",
            ),
            s(
                "merchant_velocity_ratio",
                "Transactions per hour now vs the monthly average",
                "ratio",
            ),
            s("merchant_age_days", "Days since the merchant's first transaction", "days"),
        ]

    def compiled(self, kernels: Kernels) -> Updater:
        return kernels.family_kernel(self.name, self.size, (_TRAFFIC_RATES, (SMALL_AMOUNT,)))

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        assert isinstance(event, TransactionEvent)
        amount = event.payload.amount
        small = 1.0 if amount <= SMALL_AMOUNT else 0.0
        block_add(state, offset, _TRAFFIC_RATES, (1.0, amount, math.log1p(amount), small), ctx.t)

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        n1h, _, _, small1h, n1d, _, _, _, n30, _, log30, _ = block_read(
            state, offset, _TRAFFIC_RATES, _TRAFFIC_STATS, at
        )
        out["merchant_txn_1h"] = n1h
        out["merchant_txn_1d"] = n1d
        out["merchant_txn_30d"] = n30
        out["merchant_typical_amount_30d"] = math.expm1(ratio(log30, n30))
        out["merchant_small_share_1h"] = ratio(small1h, n1h)
        out["merchant_velocity_ratio"] = ratio(n1h, n30 / (30 * 24.0))
        out["merchant_age_days"] = max(0.0, at - state[FIRST_EVENT]) / DAY


class MerchantRisk(Family):
    """Layout: last confirmed fraud time, one risk block."""

    name = "merchant_risk"
    entity = Entity.MERCHANT
    event_types = frozenset({"transaction", "fraud_report"})

    _FRAUD_T, _BLOCK = 0, 1
    size = _BLOCK + block_size(_RISK_STATS, _RISK_RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            s(
                "merchant_fraud_risk",
                "Estimated share of the merchant's transactions that are fraud "
                "(Beta posterior mean, 90-day)",
                "probability",
            ),
            s(
                "merchant_confirmed_frauds_30d",
                "Confirmed frauds at the merchant, 30-day half-life",
                "reports",
            ),
            s(
                "merchant_confirmed_frauds_90d",
                "Confirmed frauds at the merchant, 90-day half-life",
                "reports",
            ),
            s(
                "merchant_cleared_reports_90d",
                "Fraud suspicions at the merchant cleared as genuine, 90-day",
                "reports",
            ),
            s(
                "merchant_days_since_fraud",
                "Days since the latest confirmed fraud report (0 = never)",
                "days",
            ),
        ]

    def compiled(self, kernels: Kernels) -> Updater:
        classes = (TransactionEvent, FraudReportEvent)
        return kernels.family_kernel(self.name, self.size, (_RISK_RATES,), classes)

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        t = ctx.t
        if isinstance(event, TransactionEvent):
            block_add(state, offset + self._BLOCK, _RISK_RATES, (1.0, 0.0, 0.0), t)
        elif isinstance(event, FraudReportEvent):
            fraud = event.payload.is_fraud
            contributions = (0.0, 1.0, 0.0) if fraud else (0.0, 0.0, 1.0)
            block_add(state, offset + self._BLOCK, _RISK_RATES, contributions, t)
            if fraud:
                state[offset + self._FRAUD_T] = max(state[offset + self._FRAUD_T], t)

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        _, f30, _, n90, f90, c90 = block_read(
            state, offset + self._BLOCK, _RISK_RATES, _RISK_STATS, at
        )
        fraud_t = state[offset + self._FRAUD_T]
        alpha = PRIOR_FRAUD_RATE * PRIOR_STRENGTH
        out["merchant_fraud_risk"] = (f90 + alpha) / (max(n90, f90) + PRIOR_STRENGTH)
        out["merchant_confirmed_frauds_30d"] = f30
        out["merchant_confirmed_frauds_90d"] = f90
        out["merchant_cleared_reports_90d"] = c90
        out["merchant_days_since_fraud"] = (at - fraud_t) / DAY if fraud_t > 0 else 0.0
