"""`orderledger serve`: the API and the live projector, in one or more worker processes."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from orderledger.bootstrap import backend_for
from orderledger.cli.common import CommandFailed
from orderledger.http.nodelay import MAX_REQUEST_HEAD_BYTES
from orderledger.http.nodelay import PROTOCOL as NODELAY_PROTOCOL
from orderledger.http.port_lock import PortTaken, claimed_port
from orderledger.http.reuse_port import supervisor_socket
from orderledger.storage.settings import Settings, SettingsError


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
    if args.workers < 1:
        raise CommandFailed("--workers must be at least 1")
    print(f"orderledger on {reachable_settings().describe()}", flush=True)
    try:
        with claimed_port(args.host, args.port):
            run_uvicorn("orderledger.http.app:create_app", args.host, args.port, args.workers)
    except PortTaken as error:
        raise CommandFailed(f"{error}; not starting") from error
    return 0


def reachable_settings() -> Settings:
    """The settings, once their database answers: a wrong one is one line here, before
    any worker starts (and fails with a traceback each)."""
    try:
        settings = Settings.from_env()
        backend_for(settings).check_reachable()
    except SettingsError as error:
        raise CommandFailed(str(error)) from error
    return settings


def run_uvicorn(factory: str, host: str, port: int, workers: int) -> None:
    """The server settings, shared with the benchmark's baseline so both are served alike."""
    settings: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "log_level": "info",
        "access_log": False,
        "http": NODELAY_PROTOCOL,
        "h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES,
        # No WebSocket routes: an upgrade request is answered as plain HTTP, never handed to
        # a protocol that the lingering transport (nodelay) was not written for.
        "ws": "none",
    }
    if workers <= 1:
        uvicorn.run(factory, **settings)
        return
    # uvicorn's own supervisor (it restarts a worker that dies), but each worker listens on
    # a socket of its own: see reuse_port.
    config = uvicorn.Config(factory, workers=workers, **settings)
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[supervisor_socket(host, port)]).run()
