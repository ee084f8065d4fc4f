"""``rapport erase``: the right to erasure, from the command line."""

from __future__ import annotations

import getpass
from typing import Annotated, NoReturn

import typer

from rapport.cli.common import (
    DEFAULT_DB_VALUE,
    DbOption,
    JsonOption,
    console,
    emit_json,
    err_console,
)
from rapport.engine import Engine
from rapport.governance.erasure import AlreadyErasedError, UnknownCustomerError, erase_customer


def erase(
    customer_id: Annotated[str, typer.Argument(help="The customer to forget")],
    db: DbOption = DEFAULT_DB_VALUE,
    actor: Annotated[
        str | None, typer.Option(help="Who asks (recorded in the tombstone; default: OS user)")
    ] = None,
    vacuum: Annotated[
        bool, typer.Option(help="Also rewrite the whole store file (slow on a large log)")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Erase a customer: delete their profiles and dead letters, destroy their data key (their
    events and decisions become unreadable; the ledger still verifies), record a tombstone.

    Exits 1 if nothing is held about the customer, 2 if they were already erased.
    """
    who = actor or f"cli:{getpass.getuser()}"
    with Engine(db) as engine:
        try:
            report = erase_customer(engine, customer_id, who, vacuum=vacuum)
        except AlreadyErasedError as error:
            _fail(as_json, str(error), "already_erased", 2)
        except UnknownCustomerError as error:
            _fail(as_json, str(error), "unknown_customer", 1)
    if as_json:
        emit_json({"erased": True, **report.to_dict()})
        return
    tombstone = report.tombstone
    counts = ", ".join(
        f"{value} {name.replace('_', ' ')}" for name, value in tombstone.counts.items()
    )
    console.print(
        f"erased ({tombstone.erasure_id}, customer ref {tombstone.customer_ref[:12]}…, "
        f"{tombstone.erased_at}): {counts}"
    )
    if not report.wal_truncated:
        err_console.print(
            "[yellow]another process holds the store open: its WAL is emptied at that "
            "process's next checkpoint[/yellow]"
        )


def _fail(as_json: bool, message: str, code: str, exit_code: int) -> NoReturn:
    if as_json:
        emit_json({"erased": False, "code": code, "reason": message})
    else:
        err_console.print(f"[red]{message}[/red]")
    raise typer.Exit(exit_code)
