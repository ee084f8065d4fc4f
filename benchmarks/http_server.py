"""A server for the HTTP latency benchmark: Rapport's app, or a bare FastAPI endpoint beside it.

``python -m benchmarks.http_server rapport PORT DB KEYFILE [WORKERS]`` serves Rapport on a store
that already holds profiles (with WORKERS processes, default 1) and writes an API key to KEYFILE;
``... bare PORT`` serves one trivial endpoint the same way, the baseline.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI


def bare() -> FastAPI:
    app = FastAPI()

    @app.post("/v1/decisions/next_best_action")
    def decide() -> dict[str, str]:
        return {"action": "none"}

    return app


def main() -> None:
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "bare":
        uvicorn.run(bare(), host="127.0.0.1", port=port, log_level="warning", access_log=False)
        return
    from rapport import Engine  # noqa: PLC0415
    from rapport.api.keys import KeyStore  # noqa: PLC0415
    from rapport.api.server import ServeSettings, run, run_workers  # noqa: PLC0415

    db, key_file = sys.argv[3], Path(sys.argv[4])
    workers = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    keys = KeyStore(db)
    key_file.write_text(keys.create(["decide"])[1])
    # Exactly as `rapport serve [--workers N]` runs it.
    if workers == 1:
        run(Engine(db), keys, "127.0.0.1", port)
    else:
        keys.close()
        run_workers(ServeSettings(db=db), "127.0.0.1", port, workers)


if __name__ == "__main__":
    main()
