"""Run the app under uvicorn, as ``rapport serve`` does (and the benchmark, to measure it)."""

from __future__ import annotations

import gc

import uvicorn

from rapport.api.app import create_app
from rapport.api.keys import KeyStore
from rapport.engine import Engine
from rapport.store.checkpoint import Checkpointer, sqlite_path


def run(engine: Engine, keys: KeyStore, host: str, port: int) -> None:
    app = create_app(engine, keys)
    # Everything built so far lives as long as the process: move it out of the collector's
    # generations so that its passes stop rescanning it under load (fewer latency spikes).
    gc.collect()
    gc.freeze()
    path = sqlite_path(engine.stores.url)
    checkpointer = Checkpointer(path) if path is not None else None
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        if checkpointer is not None:
            checkpointer.close()
