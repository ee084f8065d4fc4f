"""Novelty: is this merchant, device or country among the customer's familiar ones?"""

from __future__ import annotations

from rapport.events.model import BaseEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_add, block_read, block_size, rates, ratio
from rapport.profiles.family import Family, FoldContext, Updater
from rapport.profiles.native import Kernels
from rapport.profiles.sketches import RecencySet, stable_hash
from rapport.profiles.state import State

_RATES = rates(7 * DAY, 30 * DAY)
# Per half-life: merchant events, new merchants, device events, new devices, country events, new
# countries.
_STATS = 6
_MERCHANTS = RecencySet(capacity=24, half_life_seconds=90 * DAY)
_DEVICES = RecencySet(capacity=6, half_life_seconds=90 * DAY)
_COUNTRIES = RecencySet(capacity=6, half_life_seconds=180 * DAY)
_FAMILIAR_WEIGHT = 0.25
# The sets, in the order the compiled kernel takes them; NaN stands for "the event has none".
_KERNEL_SETS = tuple(
    x for s in (_MERCHANTS, _DEVICES, _COUNTRIES) for x in (float(s.capacity), s.rate)
)


class Novelty(Family):
    """Layout: three last-event flags, three recency sets, one block of novelty counts."""

    name = "novelty"
    entity = Entity.CUSTOMER
    event_types = frozenset({"transaction", "login", "page_view"})
    late_events = (
        "A late event is judged new or known against everything seen so far, later events "
        "included, so a merchant first used in a late event can count as known. Which identifier "
        "leaves a full set depends on arrival order. The last-event flags are the latest "
        "arrival's."
    )

    _FLAGS = 0
    _M = 3
    _D = _M + _MERCHANTS.size
    _C = _D + _DEVICES.size
    _BLOCK = _C + _COUNTRIES.size
    size = _BLOCK + block_size(_STATS, _RATES)

    def specs(self) -> list[FeatureSpec]:
        def s(name: str, description: str, unit: str) -> FeatureSpec:
            return self.spec(name, description, unit, order_independent=False)

        return [
            s(
                "last_merchant_is_new",
                "1 if the latest transaction's merchant was unfamiliar",
                "flag",
            ),
            s("last_device_is_new", "1 if the latest action's device was unfamiliar", "flag"),
            s(
                "last_country_is_new",
                "1 if the latest located action's country was unfamiliar",
                "flag",
            ),
            s(
                "new_merchant_share_7d",
                "Share of transactions at unfamiliar merchants, 7-day half-life",
                "fraction",
            ),
            s(
                "new_merchant_share_30d",
                "Share of transactions at unfamiliar merchants, 30-day half-life",
                "fraction",
            ),
            s(
                "new_devices_30d",
                "Unfamiliar devices first used, 30-day half-life decayed count",
                "devices",
            ),
            s(
                "new_countries_30d",
                "Unfamiliar countries first seen, 30-day half-life decayed count",
                "countries",
            ),
            s(
                "familiar_merchants",
                "Merchants the customer uses regularly (90-day familiarity)",
                "merchants",
            ),
            s(
                "familiar_devices",
                "Devices the customer uses regularly (90-day familiarity)",
                "devices",
            ),
            s("familiar_countries", "Countries the customer is regularly active in", "countries"),
        ]

    def init(self, state: State, offset: int) -> None:
        _MERCHANTS.init(state, offset + self._M)
        _DEVICES.init(state, offset + self._D)
        _COUNTRIES.init(state, offset + self._C)

    def compiled(self, kernels: Kernels) -> Updater:
        return kernels.family_kernel(self.name, self.size, (_RATES, _KERNEL_SETS))

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        t = ctx.t
        counts = [0.0] * _STATS
        if ctx.merchant_id is not None:
            known = _MERCHANTS.observe(state, offset + self._M, stable_hash(ctx.merchant_id), t)
            counts[0], counts[1] = 1.0, 0.0 if known else 1.0
            if not ctx.late:
                state[offset] = counts[1]
        if event.device_id is not None:
            known = _DEVICES.observe(state, offset + self._D, stable_hash(event.device_id), t)
            counts[2], counts[3] = 1.0, 0.0 if known else 1.0
            if not ctx.late:
                state[offset + 1] = counts[3]
        location = event.location
        if location is not None and location.country is not None:
            known = _COUNTRIES.observe(state, offset + self._C, stable_hash(location.country), t)
            counts[4], counts[5] = 1.0, 0.0 if known else 1.0
            if not ctx.late:
                state[offset + 2] = counts[5]
        if counts[0] or counts[2] or counts[4]:
            block_add(state, offset + self._BLOCK, _RATES, counts, t)

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        v7 = block_read(state, offset + self._BLOCK, _RATES, _STATS, at)
        v30 = v7[_STATS:]
        out["last_merchant_is_new"] = state[offset]
        out["last_device_is_new"] = state[offset + 1]
        out["last_country_is_new"] = state[offset + 2]
        out["new_merchant_share_7d"] = ratio(v7[1], v7[0])
        out["new_merchant_share_30d"] = ratio(v30[1], v30[0])
        out["new_devices_30d"] = v30[3]
        out["new_countries_30d"] = v30[5]
        out["familiar_merchants"] = _MERCHANTS.familiar(
            state, offset + self._M, at, _FAMILIAR_WEIGHT
        )
        out["familiar_devices"] = _DEVICES.familiar(state, offset + self._D, at, _FAMILIAR_WEIGHT)
        out["familiar_countries"] = _COUNTRIES.familiar(
            state, offset + self._C, at, _FAMILIAR_WEIGHT
        )
