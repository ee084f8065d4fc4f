"""``DELETE /v1/customers/{id}``: the right to erasure over HTTP (scope ``admin``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException

from rapport.api.service import Service
from rapport.governance.erasure import AlreadyErasedError, UnknownCustomerError, erase_customer


def actor_of(
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> str:
    """Who erased: the id of the API key used (never the secret). Keys are made as
    ``rk_<key id>_<secret>`` (:meth:`rapport.api.keys.KeyStore.create`)."""
    secret = x_api_key or (authorization or "").removeprefix("Bearer ").strip()
    parts = secret.split("_", 2)
    if len(parts) == 3 and parts[0] == "rk" and parts[1].isalnum():
        return f"api:key-{parts[1]}"
    return "api:unknown-key"


def register(app: FastAPI, service: Service) -> None:
    engine, lock, require = service.engine, service.lock, service.require

    @app.delete(
        "/v1/customers/{customer_id}",
        dependencies=[Depends(require("admin"))],
        responses={404: {"description": "nothing is held"}, 410: {"description": "erased"}},
    )
    def erase(customer_id: str, actor: Annotated[str, Depends(actor_of)]) -> dict[str, Any]:
        """Erase a customer: their profiles and dead letters are deleted and their data key
        destroyed, so their events and decisions can never be read again, while the ledger's
        chain still verifies. Answers with the tombstone (the customer named by pseudonym)."""
        try:
            with lock:
                report = erase_customer(engine, customer_id, actor)
        except AlreadyErasedError as error:
            raise HTTPException(410, str(error)) from None
        except UnknownCustomerError as error:
            raise HTTPException(404, str(error)) from None
        return {"erased": True, **report.to_dict()}
