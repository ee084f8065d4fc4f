"""The decision endpoints' fast path: a well-formed, authorised request skips the framework.

``POST /v1/decisions/{kind}`` is the hot path of a live deployment. Through FastAPI a request
pays for routing over every route, dependency resolution and pydantic validation: together
about as much CPU as taking the decision itself. This ASGI middleware answers the requests it
can judge completely — a JSON body that decodes into exactly the fields of
:class:`~rapport.api.schemas.DecisionRequest`, with a key holding the ``decide`` scope — and
hands every other request, byte for byte, to the FastAPI app behind it. So the app stays the
one authority on what an error looks like (field paths, 401 and 403), and OpenAPI still
describes these routes; the fast path must only never accept what the app would refuse, which
``tests/api/test_fast_path.py`` checks against the app itself.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rapport.api.routes_decisions import ON_REQUEST, decide_on_request
from rapport.api.schemas import DecisionRequest
from rapport.api.service import Service, key_refusal
from rapport.decisions.record import encode

MAX_BODY_BYTES = 64 * 1024
"""A larger body is the app's to judge."""

_Bounded = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class _Body(msgspec.Struct, forbid_unknown_fields=True):
    """DecisionRequest's fields and bounds; ``context`` values are checked one by one, since
    msgspec would turn an integer into a float where pydantic's smart union may not."""

    customer_id: _Bounded
    request_id: _Bounded | None = None
    at: str | None = None
    context: dict[str, object] = msgspec.field(default_factory=dict)


_decode = msgspec.json.Decoder(_Body).decode
_CONTEXT_TYPES = (str, float, bool, type(None))
_JSON = b"application/json"


class DecisionFastPath:
    """ASGI middleware in front of the app (``app.add_middleware(DecisionFastPath, ...)``)."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.service = service
        self._kinds = {f"/v1/decisions/{kind}": kind for kind in ON_REQUEST}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = self._kinds.get(scope.get("path", "")) if scope["type"] == "http" else None
        if kind is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body, whole = await _read_body(receive)
        request = self._judge(scope, body) if whole and len(body) <= MAX_BODY_BYTES else None
        if request is None:
            await self.app(scope, _replaying(body, whole, receive), send)
            return
        try:
            decision = decide_on_request(self.service, kind, request)
        except HTTPException as error:
            await _respond(send, error.status_code, msgspec.json.encode({"detail": error.detail}))
            return
        await _respond(send, 200, encode(decision))

    def _judge(self, scope: Scope, body: bytes) -> DecisionRequest | None:
        """The request, if it is well-formed and authorised; None for the app to answer."""
        # The first of a repeated header counts, as for the app (Starlette's ``Headers.get``).
        headers = dict(reversed(scope["headers"]))
        content_type = headers.get(b"content-type", b"")
        if content_type != _JSON and not content_type.startswith(_JSON + b";"):
            return None
        api_key, authorization = headers.get(b"x-api-key"), headers.get(b"authorization")
        refusal = key_refusal(
            self.service.keys,
            None if api_key is None else api_key.decode("latin-1"),
            None if authorization is None else authorization.decode("latin-1"),
            "decide",
        )
        if refusal is not None:
            return None
        try:
            parsed = _decode(body)
        except msgspec.DecodeError:
            return None
        context = parsed.context
        if not all(type(value) in _CONTEXT_TYPES for value in context.values()):
            return None
        return DecisionRequest.model_construct(
            customer_id=parsed.customer_id,
            request_id=parsed.request_id,
            at=parsed.at,
            context=context,
        )


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The body, and whether it is whole (reading stops past the size bound, or when the
    client goes away)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY_BYTES:
            return b"".join(chunks), False


def _replaying(body: bytes, whole: bool, receive: Receive) -> Receive:
    """``receive`` for the app: what was already read, then the rest of the connection."""
    replayed = False

    async def again() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": not whole}

    return again


async def _respond(send: Send, status: int, payload: bytes) -> None:
    headers = [(b"content-type", _JSON), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
