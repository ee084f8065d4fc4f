"""Turn raw input (a JSON line, bytes, or a dict) into a typed event or a precise rejection."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import msgspec

from rapport.events.model import (
    COUNTRY_PATTERN,
    CURRENCY_PATTERN,
    EVENT_TYPES,
    IDENTIFIER_PATTERN,
    MCC_PATTERN,
    BaseEvent,
    Event,
)

# The contract bounds one event's serialised size; a larger one is refused before it is parsed so
# that one bad producer cannot make the engine allocate without limit.
MAX_EVENT_BYTES = 16 * 1024

RawEvent = bytes | str | dict[str, Any]

event_decoder: msgspec.json.Decoder[Event] = msgspec.json.Decoder(Event)
"""The v1 contract's JSON decoder (``parse_event`` explains what it refuses)."""
_json_encoder = msgspec.json.Encoder()
_any_decoder = msgspec.json.Decoder()
_path_pattern = re.compile(
    r"^(?P<reason>.*?)(?: - at (?:`key` in )?`\$(?P<path>[^`]*)`)?\Z", re.DOTALL
)
# msgspec names a failed pattern by its regex; say what the pattern means instead.
_PATTERN_MEANINGS = {
    IDENTIFIER_PATTERN: "1 to 128 characters without spaces or control characters",
    CURRENCY_PATTERN: "a three-letter ISO 4217 currency code such as EUR",
    MCC_PATTERN: "a four-digit merchant category code such as 5411",
    COUNTRY_PATTERN: "a two-letter ISO 3166 country code such as FR",
}


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an event was refused: a stable code, the field path (dotted) and a readable reason."""

    code: str
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.code}: {where}{self.reason}"


class EventRejectedError(ValueError):
    """Raised by :func:`parse_event` with the rejection that explains it."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(str(rejection))
        self.rejection = rejection


def raw_text(raw: RawEvent) -> str:
    """The raw input as text, as kept in the dead-letter store."""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    if isinstance(raw, str):
        # A lone surrogate cannot be stored as UTF-8; keep it visible as an escape instead.
        return raw.encode("utf-8", "backslashreplace").decode()
    try:
        # The standard library writes NaN and Infinity as such, so the dead letter shows what
        # was actually sent (msgspec would write null).
        return json.dumps(raw, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, OverflowError):
        return repr(raw)


def parse_event(raw: RawEvent) -> Event:
    """Validate one raw event against the v1 contract, or raise :class:`EventRejectedError`."""
    if isinstance(raw, dict):
        return _convert(raw)
    try:
        data = raw.encode() if isinstance(raw, str) else raw
    except UnicodeEncodeError as error:
        raise EventRejectedError(
            Rejection("malformed_json", "", f"not valid text: {error}")
        ) from None
    if len(data) > MAX_EVENT_BYTES:
        raise EventRejectedError(
            Rejection(
                "too_large", "", f"event is {len(data)} bytes; the limit is {MAX_EVENT_BYTES}"
            )
        )
    try:
        return event_decoder.decode(data)
    except msgspec.ValidationError as error:
        raise EventRejectedError(_explain(str(error), data)) from None
    except UnicodeDecodeError as error:
        reason = f"not valid UTF-8: {error.reason} at byte {error.start}"
        raise EventRejectedError(Rejection("malformed_json", "", reason)) from None
    except msgspec.DecodeError as error:
        hint = ""
        if b"NaN" in data or b"Infinity" in data:
            hint = " (NaN and Infinity are not numbers in JSON)"
        raise EventRejectedError(Rejection("malformed_json", "", f"{error}{hint}")) from None


def _convert(obj: dict[str, Any]) -> Event:
    try:
        size = len(_json_encoder.encode(obj))
    except (TypeError, ValueError, OverflowError) as error:
        rejection = Rejection("malformed_json", "", f"not JSON-serialisable: {error}")
        raise EventRejectedError(rejection) from None
    if size > MAX_EVENT_BYTES:
        raise EventRejectedError(
            Rejection("too_large", "", f"event is {size} bytes; the limit is {MAX_EVENT_BYTES}")
        )
    try:
        event: Event = msgspec.convert(obj, Event, strict=True)
        return event
    except msgspec.ValidationError as error:
        raise EventRejectedError(_explain(str(error), obj)) from None


def _explain(message: str, source: bytes | dict[str, Any]) -> Rejection:
    match = _path_pattern.match(message)
    reason = match.group("reason") if match else message
    if " - at `key` in " in message:
        reason = f"a key is invalid: {reason}"
    path = (match.group("path") or "") if match else ""
    field = re.sub(
        r"\[(\d+|\.\.\.)\]", lambda m: "" if m.group(1) == "..." else f".{m.group(1)}", path
    )
    field = field.lstrip(".")
    for pattern, meaning in _PATTERN_MEANINGS.items():
        reason = reason.replace(f"matching regex {pattern!r}", f"that is {meaning}")
    if not field and reason.startswith("Expected `object`"):
        return Rejection("not_an_object", "", f"an event must be a JSON object; {reason}")
    # Cross-field checks (``__post_init__``) name their own field as "name: reason".
    own_field = re.match(r"^([a-z_]+): (.*)$", reason, re.DOTALL)
    if own_field:
        field, reason = _join(field, own_field.group(1)), own_field.group(2)
    if field == "type" or (not field and "type" in reason and "tag" in reason):
        return Rejection("unknown_event_type", "type", _type_reason(source, reason))
    if "missing required field" in reason.lower():
        return Rejection("missing_field", _join(field, _quoted(reason)), reason)
    if "unknown field" in reason.lower():
        return Rejection("unknown_field", _join(field, _quoted(reason)), reason)
    return Rejection("invalid_field", field, reason)


def _type_reason(source: bytes | dict[str, Any], fallback: str) -> str:
    obj: Any = source
    if isinstance(source, bytes):
        try:
            obj = _any_decoder.decode(source)
        except msgspec.DecodeError:
            return fallback
    if not isinstance(obj, dict):
        return "an event must be a JSON object"
    given = obj.get("type")
    if given is None:
        return "missing required field `type`"
    known = ", ".join(sorted(EVENT_TYPES))
    return f"unknown event type {given!r}; expected one of: {known}"


def _quoted(reason: str) -> str:
    found = re.search(r"`([^`]+)`", reason)
    return found.group(1) if found else ""


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix and name else prefix or name


def canonical_json(event: BaseEvent) -> bytes:
    """The event's canonical bytes, as stored in the event log and hashed for idempotency."""
    return _json_encoder.encode(event)
