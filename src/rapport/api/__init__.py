"""The HTTP face: a thin FastAPI app over :class:`rapport.Engine`."""

from rapport.api.app import create_app

__all__ = ["create_app"]
