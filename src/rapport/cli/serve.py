"""``rapport serve`` and ``rapport keys``: the HTTP service and its API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from rapport.api.keys import SCOPES, KeyStore, Scope
from rapport.cli.common import DEFAULT_DB_VALUE, DbOption, console, err_console

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
) -> None:
    """Serve the HTTP API (OpenAPI at /docs)."""
    # Imported here so that every other command starts without loading the web stack.
    from rapport.api.server import run  # noqa: PLC0415
    from rapport.config import EngineConfig  # noqa: PLC0415
    from rapport.engine import Engine  # noqa: PLC0415
    from rapport.learning.model_dir import ModelDirError, parse_model_option  # noqa: PLC0415
    from rapport.learning.shadow import challenger_from  # noqa: PLC0415

    try:
        artifacts = [parse_model_option(value) for value in model or []]
    except ModelDirError as error:
        raise typer.BadParameter(str(error), param_hint="--model") from None

    shadow = challenger_from(challenger, challenger_model or [], db) if challenger else None
    engine = Engine(db, EngineConfig(store_url=db, policy_path=policy), challenger=shadow)
    for artifact in artifacts:
        engine.decisions.use_model(artifact)
        console.print(f"{artifact.kind} decided by model {artifact.version}")
    console.print(f"Rapport on http://{host}:{port} (OpenAPI at /docs), store {db}")
    run(engine, KeyStore(db), host, port)


@keys_app.command("create")
def create(
    scope: Annotated[
        list[str], typer.Option("--scope", help=f"One of {', '.join(SCOPES)}; repeat")
    ],
    db: DbOption = DEFAULT_DB_VALUE,
) -> None:
    """Create a key; its secret is printed once."""
    unknown = [s for s in scope if s not in SCOPES]
    if unknown:
        err_console.print(f"[red]unknown scope(s) {unknown}; use {', '.join(SCOPES)}[/red]")
        raise typer.Exit(2)
    store = KeyStore(db)
    chosen: list[Scope] = [s for s in SCOPES if s in scope]
    key_id, secret = store.create(chosen)
    store.close()
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
