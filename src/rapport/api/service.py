"""What the routes share: the engine, one lock over it, the metrics, and the scope check."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from fastapi import HTTPException, Request, Response
from fastapi.security import APIKeyHeader

from rapport.api.keys import KeyStore
from rapport.api.metrics import Metrics
from rapport.decisions.record import Decision, encode
from rapport.engine import Engine


@dataclass
class Service:
    engine: Engine
    keys: KeyStore
    metrics: Metrics = field(default_factory=Metrics)
    # The engine's stores share one connection: one request at a time works on them.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def require(self, scope: str) -> Callable[..., Awaitable[None]]:
        """A dependency that lets a request through only with a key holding ``scope``."""
        return ScopedKey(self.keys, scope)


class ScopedKey(APIKeyHeader):
    """The scope check, as an OpenAPI security scheme (``X-API-Key``; ``Authorization: Bearer``
    is accepted too).

    It reads the headers itself, asynchronously: declared as FastAPI header parameters they cost
    a parameter-resolution pass per request, and a synchronous dependency a worker-thread round
    trip, each more than the check (scopes are cached).
    """

    def __init__(self, keys: KeyStore, scope: str) -> None:
        super().__init__(
            name="X-API-Key",
            auto_error=False,
            scheme_name="ApiKey",
            description="An API key (`rapport keys create --scope ...`); "
            "`Authorization: Bearer KEY` works too.",
        )
        self.keys = keys
        self.scope = scope

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        headers = request.headers
        refusal = key_refusal(
            self.keys, headers.get("x-api-key"), headers.get("authorization"), self.scope
        )
        if refusal is not None:
            raise refusal


def key_refusal(
    keys: KeyStore, api_key: str | None, authorization: str | None, scope: str
) -> HTTPException | None:
    """Why a request with these headers may not act within ``scope``, or None if it may."""
    secret = api_key or ((authorization or "").removeprefix("Bearer ").strip() or None)
    if secret is None:
        return HTTPException(401, "an API key is required (X-API-Key or Bearer)")
    scopes = keys.scopes(secret)
    if scopes is None:
        return HTTPException(401, "unknown or revoked API key")
    if scope not in scopes and "admin" not in scopes:
        return HTTPException(403, f"this key lacks the {scope!r} scope")
    return None


def decision_json(decision: Decision) -> dict[str, Any]:
    result: dict[str, Any] = msgspec.to_builtins(decision)
    return result


def decision_response(decision: Decision) -> Response:
    """A decision as a JSON response, encoded once by msgspec (FastAPI's generic encoder costs
    more than taking the decision)."""
    return Response(content=encode(decision), media_type="application/json")
