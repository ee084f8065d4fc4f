"""What the customer told the bank, and fraud confirmed on their account."""

from __future__ import annotations

from rapport.events.model import BaseEvent, CustomerUpdateEvent, FraudReportEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_add, block_read, block_size, rates
from rapport.profiles.family import Family, FoldContext
from rapport.profiles.state import State

_RATES = rates(90 * DAY, 365 * DAY)
_INCOME_KEYS = ("declared_income", "annual_income", "income")


class CustomerFacts(Family):
    """Layout: declared income, products held, their time, last confirmed fraud, fraud block.

    ``customer_update.protected`` never reaches a profile (DESIGN.md principle 7).
    """

    name = "customer_facts"
    entity = Entity.CUSTOMER
    event_types = frozenset({"customer_update", "fraud_report"})
    late_events = (
        "Fraud counts are exact decayed sums. Declared facts are those of the latest update in "
        "time, whatever the arrival order."
    )

    _INCOME, _PRODUCTS, _FACTS_T, _FRAUD_T, _BLOCK = 0, 1, 2, 3, 4
    size = _BLOCK + block_size(2, _RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            s(
                "declared_income",
                "Annual income the customer declared (0 = not declared)",
                "currency",
            ),
            s("products_held", "Products the customer holds, as last declared", "products"),
            s(
                "confirmed_frauds_90d",
                "Transactions confirmed as fraud, 90-day half-life",
                "reports",
            ),
            s(
                "confirmed_frauds_365d",
                "Transactions confirmed as fraud, 1-year half-life",
                "reports",
            ),
            s(
                "cleared_fraud_reports_90d",
                "Fraud suspicions cleared as genuine, 90-day",
                "reports",
            ),
            s(
                "days_since_confirmed_fraud",
                "Days since the latest confirmed fraud (0 = never)",
                "days",
            ),
        ]

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        t = ctx.t
        if isinstance(event, FraudReportEvent):
            fraud = event.payload.is_fraud
            block_add(
                state,
                offset + self._BLOCK,
                _RATES,
                (1.0 if fraud else 0.0, 0.0 if fraud else 1.0),
                t,
            )
            if fraud:
                state[offset + self._FRAUD_T] = max(state[offset + self._FRAUD_T], t)
        elif isinstance(event, CustomerUpdateEvent) and t >= state[offset + self._FACTS_T]:
            attributes = event.payload.attributes
            for key in _INCOME_KEYS:
                value = attributes.get(key)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    state[offset + self._INCOME] = float(value)
                    break
            products = attributes.get("products")
            if isinstance(products, str):
                state[offset + self._PRODUCTS] = float(
                    len([p for p in products.split(",") if p.strip()])
                )
            elif isinstance(products, int) and not isinstance(products, bool):
                state[offset + self._PRODUCTS] = float(products)
            state[offset + self._FACTS_T] = t

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        f90, c90, f365, _ = block_read(state, offset + self._BLOCK, _RATES, 2, at)
        fraud_t = state[offset + self._FRAUD_T]
        out["declared_income"] = state[offset + self._INCOME]
        out["products_held"] = state[offset + self._PRODUCTS]
        out["confirmed_frauds_90d"] = f90
        out["confirmed_frauds_365d"] = f365
        out["cleared_fraud_reports_90d"] = c90
        out["days_since_confirmed_fraud"] = (at - fraud_t) / DAY if fraud_t > 0 else 0.0
