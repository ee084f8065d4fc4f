"""Request bodies of the HTTP API (responses are the engine's own records, as JSON)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class DecisionRequest(BaseModel):
    """A decision asked for: about whom, as of when, and what the request says."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(min_length=1, max_length=128)
    request_id: str | None = Field(default=None, min_length=1, max_length=128)
    at: str | None = Field(default=None, description="RFC 3339 event time; default: latest")
    context: dict[str, str | float | bool | None] = Field(default_factory=dict)


class FraudRequest(BaseModel):
    """A transaction to screen before it is applied (a v1 ``transaction`` event)."""

    model_config = ConfigDict(extra="forbid")

    event: dict[str, Any]
