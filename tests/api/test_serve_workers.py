"""``rapport serve --workers 2``: a real server with two worker processes on one port."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from rapport import Engine
from rapport.api.keys import KeyStore
from rapport.governance.ledger import verify
from tests.decisions.test_credit_and_offers import good_payer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    db = str(tmp_path / "r.db")
    with Engine(db) as engine:
        engine.ingest(good_payer())
    keys = KeyStore(db)
    secret = keys.create(["decide", "read"])[1]
    keys.close()
    port = _free_port()
    rapport = Path(sys.executable).parent / "rapport"
    server = subprocess.Popen(
        [str(rapport), "serve", "--db", db, "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            server.kill()
            pytest.fail(f"server did not start: {server.communicate()[1].decode()[-2000:]}")
        yield url, secret, db
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_two_workers_share_one_store_and_the_contact_cap(served: tuple[str, str, str]) -> None:
    url, secret, db = served
    headers = {"X-API-Key": secret}

    def ask(i: int) -> tuple[int, str]:
        kind = "communication" if i % 2 else "next_best_action"
        body = {"customer_id": "c1", "request_id": f"r{i}", "context": {"purpose": "service"}}
        if kind == "next_best_action":
            body.pop("context")
        response = httpx.post(f"{url}/v1/decisions/{kind}", json=body, headers=headers, timeout=30)
        return response.status_code, json.loads(response.text).get("action", "")

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, range(40)))
    assert {status for status, _ in answers} == {200}
    communication = [action for i, (_, action) in enumerate(answers) if i % 2]
    assert communication.count("send") == 3  # the weekly cap, across both workers
    with Engine(db) as engine:
        ledger = engine.decisions.ledger
        assert verify(ledger).ok
        assert verify(ledger).records == 40
