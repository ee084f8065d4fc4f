"""Device profiles: how busy a device is, how many customers and countries it serves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rapport.events.model import BaseEvent, LoginEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_add, block_read, block_size, rates
from rapport.profiles.family import FIRST_EVENT, Family, FoldContext, Updater
from rapport.profiles.sketches import RecencySet, stable_hash
from rapport.profiles.state import State

if TYPE_CHECKING:
    from rapport.profiles.native import Kernels

_RATES = rates(DAY, 30 * DAY)
_STATS = 3  # events, failed logins, events by a customer new to the device
_CUSTOMERS = RecencySet(capacity=8, half_life_seconds=30 * DAY)
_COUNTRIES = RecencySet(capacity=4, half_life_seconds=30 * DAY)


class DeviceUsage(Family):
    """Layout: customer recency set, country recency set, one block."""

    name = "device_usage"
    entity = Entity.DEVICE
    event_types = frozenset({"transaction", "login", "page_view"})
    late_events = (
        "Counts are exact decayed sums. A late event is judged new or known against everything "
        "seen so far; which customer leaves a full set depends on arrival order."
    )

    _CUST = 0
    _CTRY = _CUST + _CUSTOMERS.size
    _BLOCK = _CTRY + _COUNTRIES.size
    size = _BLOCK + block_size(_STATS, _RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            s("device_events_1d", "Actions from the device, 1-day half-life", "events"),
            s("device_events_30d", "Actions from the device, 30-day half-life", "events"),
            s(
                "device_failed_logins_1d",
                "Failed logins from the device, 1-day half-life",
                "logins",
            ),
            s(
                "device_new_customer_events_30d",
                "Actions by customers new to the device, 30-day",
                "events",
                order_independent=False,
            ),
            s(
                "device_customers",
                "Customers recently using the device (30-day familiarity)",
                "customers",
                order_independent=False,
            ),
            s(
                "device_countries",
                "Countries the device was recently used in",
                "countries",
                order_independent=False,
            ),
            s("device_age_days", "Days since the device was first seen", "days"),
        ]

    def init(self, state: State, offset: int) -> None:
        _CUSTOMERS.init(state, offset + self._CUST)
        _COUNTRIES.init(state, offset + self._CTRY)

    def compiled(self, kernels: Kernels) -> Updater:
        sets = (_CUSTOMERS.capacity, _CUSTOMERS.rate, _COUNTRIES.capacity, _COUNTRIES.rate)
        return kernels.family_kernel(self.name, self.size, (_RATES, sets), (LoginEvent,))

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        t = ctx.t
        known = _CUSTOMERS.observe(state, offset + self._CUST, stable_hash(event.customer_id), t)
        if event.location is not None and event.location.country is not None:
            _COUNTRIES.observe(state, offset + self._CTRY, stable_hash(event.location.country), t)
        failed = 1.0 if isinstance(event, LoginEvent) and not event.payload.success else 0.0
        block_add(state, offset + self._BLOCK, _RATES, (1.0, failed, 0.0 if known else 1.0), t)

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        e1, f1, _, e30, _, new30 = block_read(state, offset + self._BLOCK, _RATES, _STATS, at)
        out["device_events_1d"] = e1
        out["device_events_30d"] = e30
        out["device_failed_logins_1d"] = f1
        out["device_new_customer_events_30d"] = new30
        out["device_customers"] = _CUSTOMERS.familiar(state, offset + self._CUST, at, 0.1)
        out["device_countries"] = _COUNTRIES.familiar(state, offset + self._CTRY, at, 0.1)
        out["device_age_days"] = max(0.0, at - state[FIRST_EVENT]) / DAY
