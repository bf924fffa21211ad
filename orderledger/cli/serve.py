"""`orderledger serve`: the API and the live projector, in one or more worker processes."""

from __future__ import annotations

import argparse

import uvicorn

from orderledger.http.nodelay import PROTOCOL as NODELAY_PROTOCOL
from orderledger.storage.settings import Settings


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "serve",
        help="serve /api/v2 and keep the read models current",
        description="Serve /api/v2 on the configured store (ORDERLEDGER_DATABASE_URL, else "
        "embedded SQLite under ./var). Every worker runs a projector; one leads at a time.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.set_defaults(run=serve)


def serve(args: argparse.Namespace) -> int:
    print(f"orderledger on {Settings.from_env().describe()}", flush=True)
    run_uvicorn("orderledger.http.app:create_app", args.host, args.port, args.workers)
    return 0


def run_uvicorn(factory: str, host: str, port: int, workers: int) -> None:
    """The server settings, shared with the benchmark's baseline so both are served alike."""
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=max(workers, 1),
        log_level="info",
        access_log=False,
        http=NODELAY_PROTOCOL,
    )
