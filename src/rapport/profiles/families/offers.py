"""Responses to the bank's own offers and messages: rates, and response latency per channel."""

from __future__ import annotations

from rapport.events.model import BaseEvent, MessageEvent, OfferResponseEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_add, block_read, block_size, rates, ratio
from rapport.profiles.family import Family, FoldContext
from rapport.profiles.sketches import EMPTY, stable_hash
from rapport.profiles.state import State

_RATES = rates(90 * DAY)
_RESPONSES = ("accepted", "declined", "ignored", "clicked")
_MESSAGES = ("delivered", "opened", "clicked", "unsubscribed")
_STATS = len(_RESPONSES) + len(_MESSAGES)
CHANNEL_GROUPS = ("email", "sms", "push", "app", "other")
_CHANNEL_INDEX = {"email": 0, "sms": 1, "push": 2, "mobile": 3, "web": 3, "online": 3}
_CHANNEL_STATS = 3  # delivered, responded, response latency hours
_PENDING = 4  # deliveries remembered to measure latency: (decision hash, time, channel group)


def channel_group(channel: str | None) -> int:
    return _CHANNEL_INDEX.get(channel or "", len(CHANNEL_GROUPS) - 1)


class OfferResponses(Family):
    """Layout: pending deliveries, a response block, a per-channel block."""

    name = "offers"
    entity = Entity.CUSTOMER
    event_types = frozenset({"offer_response", "message_event"})
    late_events = (
        "Counts are exact decayed sums. Latency is measured from the delivery of the same "
        "decision to the first response after it; a response that arrives before its delivery "
        "is counted without a latency. The latest four deliveries are remembered."
    )

    _PENDING_AT = 0
    _BLOCK = 3 * _PENDING
    _CHANNELS = _BLOCK + block_size(_STATS, _RATES)
    size = _CHANNELS + block_size(_CHANNEL_STATS * len(CHANNEL_GROUPS), _RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        specs = [
            s("offers_answered_90d", "Offers the customer answered in any way, 90-day", "offers"),
            s("offer_acceptance_rate_90d", "Share of answered offers accepted, 90-day", "fraction"),
            s("offer_click_rate_90d", "Share of answered offers clicked, 90-day", "fraction"),
            s(
                "messages_delivered_90d",
                "Messages delivered, 90-day half-life decayed count",
                "messages",
            ),
            s("message_open_rate_90d", "Share of delivered messages opened, 90-day", "fraction"),
            s("unsubscribes_90d", "Unsubscribes, 90-day half-life decayed count", "events"),
        ]
        for group in CHANNEL_GROUPS:
            specs.append(
                s(
                    f"response_rate_{group}",
                    f"Responses per delivered {group} message, 90-day",
                    "ratio",
                    order_independent=False,
                )
            )
            specs.append(
                s(
                    f"response_latency_hours_{group}",
                    f"Mean hours from {group} delivery to response",
                    "hours",
                    order_independent=False,
                )
            )
        return specs

    def init(self, state: State, offset: int) -> None:
        for i in range(_PENDING):
            state[offset + 3 * i] = EMPTY

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        t = ctx.t
        counts = [0.0] * _STATS
        if isinstance(event, OfferResponseEvent):
            counts[_RESPONSES.index(event.payload.response)] = 1.0
            decision = event.payload.decision_id
            responded = event.payload.response in ("accepted", "clicked")
        elif isinstance(event, MessageEvent):
            status = event.payload.status
            counts[len(_RESPONSES) + _MESSAGES.index(status)] = 1.0
            decision = event.payload.decision_id
            responded = status in ("opened", "clicked")
            if status == "delivered":
                self._remember(
                    state, offset, stable_hash(decision), t, channel_group(event.channel)
                )
        else:
            return
        block_add(state, offset + self._BLOCK, _RATES, counts, t)
        if responded:
            self._respond(state, offset, stable_hash(decision), t)

    def _remember(self, state: State, offset: int, key: float, t: float, group: int) -> None:
        oldest, oldest_t = 0, float("inf")
        for i in range(_PENDING):
            slot = offset + 3 * i
            if state[slot] == EMPTY:
                oldest = i
                break
            if state[slot + 1] < oldest_t:
                oldest, oldest_t = i, state[slot + 1]
        slot = offset + 3 * oldest
        state[slot], state[slot + 1], state[slot + 2] = key, t, float(group)
        delivered = [0.0] * (_CHANNEL_STATS * len(CHANNEL_GROUPS))
        delivered[_CHANNEL_STATS * group] = 1.0
        block_add(state, offset + self._CHANNELS, _RATES, delivered, t)

    def _respond(self, state: State, offset: int, key: float, t: float) -> None:
        for i in range(_PENDING):
            slot = offset + 3 * i
            if state[slot] == key and t >= state[slot + 1]:
                group = int(state[slot + 2])
                latency_hours = (t - state[slot + 1]) / 3600.0
                response = [0.0] * (_CHANNEL_STATS * len(CHANNEL_GROUPS))
                response[_CHANNEL_STATS * group + 1] = 1.0
                response[_CHANNEL_STATS * group + 2] = latency_hours
                block_add(state, offset + self._CHANNELS, _RATES, response, t)
                state[slot] = EMPTY  # one latency per delivery: the first response
                return

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        accepted, declined, ignored, clicked, delivered, opened, _, unsubscribed = block_read(
            state, offset + self._BLOCK, _RATES, _STATS, at
        )
        answered = accepted + declined + ignored + clicked
        out["offers_answered_90d"] = answered
        out["offer_acceptance_rate_90d"] = ratio(accepted, answered)
        out["offer_click_rate_90d"] = ratio(clicked, answered)
        out["messages_delivered_90d"] = delivered
        out["message_open_rate_90d"] = min(1.0, ratio(opened, delivered))
        out["unsubscribes_90d"] = unsubscribed
        channels = block_read(
            state, offset + self._CHANNELS, _RATES, _CHANNEL_STATS * len(CHANNEL_GROUPS), at
        )
        for g, group in enumerate(CHANNEL_GROUPS):
            sent, answered_here, latency = channels[_CHANNEL_STATS * g : _CHANNEL_STATS * (g + 1)]
            out[f"response_rate_{group}"] = min(1.0, ratio(answered_here, sent))
            out[f"response_latency_hours_{group}"] = ratio(latency, answered_here)
