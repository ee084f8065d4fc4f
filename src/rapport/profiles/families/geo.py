"""Geography: distance and implied travel speed from the last location, distance from home."""

from __future__ import annotations

import math

from rapport.events.model import BaseEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_add, block_read, block_size, rates
from rapport.profiles.family import Family, FoldContext, Updater
from rapport.profiles.native import Kernels
from rapport.profiles.state import State

EARTH_RADIUS_KM = 6371.0088
_RATES = rates(90 * DAY)
# Two events a few seconds apart would imply absurd speeds from GPS jitter alone.
_MIN_SPEED_INTERVAL_S = 60.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


class Geography(Family):
    """Layout: last lat, lon, time, distance, speed; a block of home-centroid unit vectors."""

    name = "geo"
    entity = Entity.CUSTOMER
    event_types = frozenset({"transaction", "login", "page_view"})
    late_events = (
        "The last location is the one with the latest timestamp, whatever the arrival order. "
        "A late event's location joins the home centroid (an exact decayed sum) but neither "
        "moves the last location nor sets the last distance and speed."
    )

    _LAT, _LON, _T, _DIST, _SPEED, _HOME = 0, 1, 2, 3, 4, 5
    size = _HOME + block_size(4, _RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            s(
                "last_distance_km",
                "Distance of the latest located action from the one before",
                "km",
                order_independent=False,
            ),
            s(
                "last_speed_kmh",
                "Travel speed implied by the last two located actions",
                "km/h",
                order_independent=False,
            ),
            s(
                "distance_from_home_km",
                "Distance of the latest location from the usual centre of activity",
                "km",
            ),
            s(
                "home_spread",
                "How scattered locations are around home (0 one place, 1 everywhere)",
                "fraction",
            ),
            s("hours_since_location", "Hours since the latest located action", "hours"),
        ]

    def compiled(self, kernels: Kernels) -> Updater:
        constants = (EARTH_RADIUS_KM, _MIN_SPEED_INTERVAL_S)
        return kernels.family_kernel(self.name, self.size, (_RATES, constants))

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        location = event.location
        if location is None or location.lat is None or location.lon is None:
            return
        lat, lon, t = location.lat, location.lon, ctx.t
        last_t = state[offset + self._T]
        # Equal timestamps: the larger coordinate pair wins, so the result is order-independent.
        newer = t > last_t or (
            t == last_t and (lat, lon) > (state[offset + self._LAT], state[offset + self._LON])
        )
        if newer:
            if last_t > 0:
                distance = haversine_km(
                    state[offset + self._LAT], state[offset + self._LON], lat, lon
                )
                hours = max(t - last_t, _MIN_SPEED_INTERVAL_S) / 3600.0
                state[offset + self._DIST] = distance
                state[offset + self._SPEED] = distance / hours
            state[offset + self._LAT] = lat
            state[offset + self._LON] = lon
            state[offset + self._T] = t
        phi, lam = math.radians(lat), math.radians(lon)
        vector = (1.0, math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))
        block_add(state, offset + self._HOME, _RATES, vector, t)

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        w, x, y, z = block_read(state, offset + self._HOME, _RATES, 4, at)
        last_t = state[offset + self._T]
        out["last_distance_km"] = state[offset + self._DIST]
        out["last_speed_kmh"] = state[offset + self._SPEED]
        if w > 1e-9 and last_t > 0:
            norm = math.sqrt(x * x + y * y + z * z)
            home_lat = math.degrees(math.atan2(z, math.hypot(x, y)))
            home_lon = math.degrees(math.atan2(y, x))
            out["distance_from_home_km"] = haversine_km(
                home_lat, home_lon, state[offset + self._LAT], state[offset + self._LON]
            )
            out["home_spread"] = max(0.0, 1.0 - norm / w)
            out["hours_since_location"] = max(0.0, at - last_t) / 3600.0
        else:
            out["distance_from_home_km"] = 0.0
            out["home_spread"] = 0.0
            out["hours_since_location"] = 0.0
