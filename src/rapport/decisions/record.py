"""A decision as the ledger keeps it: everything needed to replay it years later."""

from __future__ import annotations

import msgspec

Value = float | str | bool | None


class ReasonCode(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: str
    text: str
    weight: float


class CandidateVerdict(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    action: str
    eligible: bool
    why: str = ""


class Decision(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One decision. ``hash`` chains it to the record before it (``prev_hash``)."""

    decision_id: str
    kind: str
    customer_id: str
    trigger_event_id: str
    event_time: str
    inputs: dict[str, Value]
    """The values the decision used, by name (``features.x``, ``merchant.y``, ``event.z``)."""
    candidates: list[CandidateVerdict]
    action: str
    details: dict[str, Value] = {}
    """What the action carries, e.g. a new credit limit or an offer id."""
    score: float
    propensity: float
    """Probability with which the action was chosen (1.0 for a deterministic rule)."""
    reasons: list[ReasonCode]
    policy_version: str
    model_versions: dict[str, str]
    seed: int
    latency_ms: float = 0.0
    prev_hash: str = ""
    hash: str = ""

    def outcome(self) -> dict[str, object]:
        """What a replay must reproduce exactly: everything but timing and chaining."""
        return {
            f: getattr(self, f)
            for f in self.__struct_fields__
            if f not in {"latency_ms", "prev_hash", "hash"}
        }


_encoder = msgspec.json.Encoder(order="sorted")
_decoder = msgspec.json.Decoder(Decision)


def encode(decision: Decision) -> bytes:
    return _encoder.encode(decision)


def decode(data: bytes) -> Decision:
    return _decoder.decode(data)
