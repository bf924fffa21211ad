"""How orderledger is served: uvicorn with its own HTTP/1.1 protocol, one socket per worker.

`orderledger serve` and the benchmark's baseline both start here, so both are served alike.
"""

from __future__ import annotations

import contextlib
import socket
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from orderledger.http.nodelay import MAX_REQUEST_HEAD_BYTES
from orderledger.http.nodelay import PROTOCOL as NODELAY_PROTOCOL
from orderledger.http.reuse_port import supervisor_socket


def url_of(sock: socket.socket) -> str:
    """The address a bound socket serves, as a client would write it (port 0 made real)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run_uvicorn(
    factory: str,
    host: str,
    port: int,
    workers: int,
    announce: Callable[[str], None] = lambda url: None,
) -> None:
    """The server settings, shared with the benchmark's baseline so both are served alike.

    The port is bound here, before any worker starts, and `announce` is given its URL once,
    whatever the number of workers (as gunicorn and uvicorn's own supervisor say where they
    listen when they bind); each worker takes requests once its app has started."""
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
    config = uvicorn.Config(factory, workers=workers, **settings)
    sock = supervisor_socket(host, port)
    announce(url_of(sock))
    if workers <= 1:
        server = uvicorn.Server(config)
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])  # the one worker listens on the socket itself
        if not server.started:  # its app failed to start: uvicorn.run's exit status
            sys.exit(STARTUP_FAILURE)
        return
    # uvicorn's own supervisor (it restarts a worker that dies), but each worker listens on
    # a socket of its own: see reuse_port.
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[sock]).run()
