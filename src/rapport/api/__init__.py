"""The HTTP face: a thin FastAPI app over :class:`rapport.Engine`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rapport.api.app import create_app
else:

    def __getattr__(name: str) -> object:
        # FastAPI is imported on first use: every CLI command imports this package (API keys
        # live here), and only `rapport serve` needs the app.
        if name == "create_app":
            from rapport.api.app import create_app  # noqa: PLC0415

            return create_app
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["create_app"]
