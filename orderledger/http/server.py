"""How orderledger is served: uvicorn with its own HTTP/1.1 protocol, one socket per worker.

`orderledger serve` and the benchmark's baseline both start here, so both are served alike.
"""

from __future__ import annotations

import contextlib
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from orderledger.http.nodelay import MAX_REQUEST_HEAD_BYTES
from orderledger.http.nodelay import PROTOCOL as NODELAY_PROTOCOL
from orderledger.http.reuse_port import supervisor_socket


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
