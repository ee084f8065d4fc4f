"""Run the app under uvicorn, as ``rapport serve`` does (and the benchmark, to measure it).

One process, or several workers on one port (``--workers``): the API is stateless above its
stores, every worker opens the same store, and what must hold across them does at the store
(profiles by compare-and-set, the ledger's chain by the primary key on its position, the contact
cap by a guarded append). What stays per worker: its online learners learn from the outcomes it
receives (each publishes its versions to the shared registry, so every decision still replays),
its shadow challenger and its monitors.
"""

from __future__ import annotations

import gc
import os

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from rapport.api.app import create_app
from rapport.api.keys import KeyStore
from rapport.config import EngineConfig
from rapport.engine import Engine
from rapport.store.checkpoint import Checkpointer, sqlite_path

SETTINGS_VARIABLE = "RAPPORT_SERVE_SETTINGS"


class ServeSettings(BaseModel):
    """What every worker needs to open the same engine."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    db: str
    """The store: a SQLite path or a store URL."""
    policy: str | None = None
    """Policy YAML; None: the store's promoted policy, else the shipped default."""
    challenger: str | None = None
    """Challenger policy YAML run in shadow."""
    challenger_models: list[str] = []
    """KIND=DIR or KIND=VERSION for the challenger."""
    models: list[str] = []
    """KIND=DIR: decide KIND with a model `rapport train` wrote."""


def open_engine(settings: ServeSettings) -> Engine:
    from rapport.learning.model_dir import parse_model_option, use_models  # noqa: PLC0415
    from rapport.learning.shadow import challenger_from  # noqa: PLC0415

    artifacts = [parse_model_option(value) for value in settings.models]
    shadow = (
        challenger_from(settings.challenger, settings.challenger_models, settings.db)
        if settings.challenger
        else None
    )
    engine = Engine(
        settings.db,
        EngineConfig(store_url=settings.db, policy_path=settings.policy),
        challenger=shadow,
    )
    # Pinned: the kind's online learner stops, or its first publication would replace the model.
    use_models(engine, artifacts)
    return engine


def _serving_app(engine: Engine, keys: KeyStore) -> tuple[FastAPI, Checkpointer | None]:
    app = create_app(engine, keys)
    path = sqlite_path(engine.stores.url)
    checkpointer = Checkpointer(path) if path is not None else None
    # Everything built so far lives as long as the process: move it out of the collector's
    # generations so that its passes stop rescanning it under load (fewer latency spikes).
    gc.collect()
    gc.freeze()
    return app, checkpointer


def run(engine: Engine, keys: KeyStore, host: str, port: int) -> None:
    """Serve in this process."""
    app, checkpointer = _serving_app(engine, keys)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        if checkpointer is not None:
            checkpointer.close()


def run_workers(settings: ServeSettings, host: str, port: int, workers: int) -> None:
    """Serve with ``workers`` processes on one port (uvicorn's supervisor)."""
    os.environ[SETTINGS_VARIABLE] = settings.model_dump_json()
    uvicorn.run(
        "rapport.api.server:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
    )


def worker_app() -> FastAPI:
    """One worker's app (uvicorn calls this in each worker process)."""
    settings = ServeSettings.model_validate_json(os.environ[SETTINGS_VARIABLE])
    engine = open_engine(settings)
    # The checkpointer's thread is a daemon: it ends with the worker.
    app, _ = _serving_app(engine, KeyStore(settings.db))
    return app
