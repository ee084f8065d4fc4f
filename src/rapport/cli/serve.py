"""``rapport serve`` and ``rapport keys``: the HTTP service and its API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from rapport.api.keys import SCOPES, KeyStore, Scope
from rapport.cli.common import (
    DEFAULT_DB_VALUE,
    DbOption,
    JsonOption,
    console,
    emit_json,
    err_console,
)

keys_app = typer.Typer(
    help="Manage API keys (stored hashed beside the data).", no_args_is_help=True
)


def serve(
    db: DbOption = DEFAULT_DB_VALUE,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    policy: Annotated[str | None, typer.Option(help="Policy YAML (default: shipped)")] = None,
    challenger: Annotated[
        str | None,
        typer.Option(
            help="Challenger policy YAML run in shadow beside every decision (logged only)"
        ),
    ] = None,
    challenger_model: Annotated[
        list[str] | None,
        typer.Option(help="KIND=DIR or KIND=VERSION (from the registry), for the challenger"),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(help="KIND=DIR: decide KIND with the model `rapport train` wrote; repeat"),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes on one port (the stores keep them consistent)",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs)."""
    # Imported here so that every other command starts without loading the web stack.
    from rapport.api.server import (  # noqa: PLC0415
        ServeSettings,
        open_engine,
        run,
        run_workers,
    )
    from rapport.learning.model_dir import ModelDirError  # noqa: PLC0415

    settings = ServeSettings(
        db=db,
        policy=policy,
        challenger=challenger,
        challenger_models=challenger_model or [],
        models=model or [],
    )
    try:
        engine = open_engine(settings)
    except ModelDirError as error:
        raise typer.BadParameter(str(error), param_hint="--model") from None
    for kind in sorted(engine.decisions.models):
        console.print(f"{kind} decided by model {engine.decisions.model_version(kind)}")
    console.print(
        f"Rapport on http://{host}:{port} (OpenAPI at /docs), store {db}"
        + (f", {workers} workers" if workers > 1 else "")
    )
    if workers == 1:
        run(engine, KeyStore(db), host, port)
        return
    # The check above opened the store once (and reported bad options before any worker
    # started); each worker opens its own.
    engine.close()
    run_workers(settings, host, port, workers)


@keys_app.command("create")
def create(
    scope: Annotated[
        list[str], typer.Option("--scope", help=f"One of {', '.join(SCOPES)}; repeat")
    ],
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Create a key; its secret is printed once (with --json, for a provisioning script)."""
    unknown = [s for s in scope if s not in SCOPES]
    if unknown:
        err_console.print(f"[red]unknown scope(s) {unknown}; use {', '.join(SCOPES)}[/red]")
        raise typer.Exit(2)
    store = KeyStore(db)
    chosen: list[Scope] = [s for s in SCOPES if s in scope]
    key_id, secret = store.create(chosen)
    store.close()
    if as_json:
        emit_json({"key_id": key_id, "secret": secret, "scopes": chosen})
        return
    console.print(f"key id: {key_id}\nsecret (shown once): {secret}")


@keys_app.command("revoke")
def revoke(key_id: str, db: DbOption = DEFAULT_DB_VALUE) -> None:
    """Revoke a key at once."""
    store = KeyStore(db)
    done = store.revoke(key_id)
    store.close()
    if not done:
        err_console.print(f"[red]no active key {key_id}[/red]")
        raise typer.Exit(1)
    console.print(f"revoked {key_id}")
