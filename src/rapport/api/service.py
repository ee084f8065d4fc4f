"""What the routes share: the engine, one lock over it, the metrics, and the scope check."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec
from fastapi import Header, HTTPException, Response

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
        """A dependency that lets a request through only with a key holding ``scope``.

        Asynchronous on purpose: a synchronous dependency costs a worker-thread round trip per
        request, more than the check itself (scopes are cached).
        """
        keys = self.keys

        async def check(
            authorization: Annotated[str | None, Header()] = None,
            x_api_key: Annotated[str | None, Header()] = None,
        ) -> None:
            secret = x_api_key or (authorization or "").removeprefix("Bearer ").strip() or None
            if secret is None:
                raise HTTPException(401, "an API key is required (X-API-Key or Bearer)")
            scopes = keys.scopes(secret)
            if scopes is None:
                raise HTTPException(401, "unknown or revoked API key")
            if scope not in scopes and "admin" not in scopes:
                raise HTTPException(403, f"this key lacks the {scope!r} scope")

        return check


def decision_json(decision: Decision) -> dict[str, Any]:
    result: dict[str, Any] = msgspec.to_builtins(decision)
    return result


def decision_response(decision: Decision) -> Response:
    """A decision as a JSON response, encoded once by msgspec (FastAPI's generic encoder costs
    more than taking the decision)."""
    return Response(content=encode(decision), media_type="application/json")
