"""How orderledger is served: uvicorn with its own HTTP/1.1 protocol, one socket per worker.

`orderledger serve` and the benchmark's baseline both start here, so both are served alike.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from orderledger.http import logs
from orderledger.http.nodelay import MAX_REQUEST_HEAD_BYTES
from orderledger.http.nodelay import PROTOCOL as NODELAY_PROTOCOL
from orderledger.http.reuse_port import supervisor_socket

WORKER_HEALTHCHECK_SECONDS = 30
# Where prometheus_client's multi-process mode keeps each process's figures (http/metrics.py).
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def url_of(sock: socket.socket) -> str:
    """The address a bound socket serves, as a client would write it (port 0 made real)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def run_uvicorn(
    factory: str,
    host: str,
    port: int,
    workers: int,
    log_config: dict[str, Any] | None = None,
    forwarded_allow_ips: str = "",
    announce: Callable[[str], None] = lambda url: None,
) -> None:
    """The server settings, shared with the benchmark's baseline so both are served alike.

    `log_config`: the dictConfig every worker applies (http/logs.py); `forwarded_allow_ips`:
    the proxies trusted to name the client in X-Forwarded-For (empty: none, and uvicorn's
    proxy-headers middleware is left out). The port is bound here, before any worker starts,
    and `announce` is given its URL once, whatever the number of workers (as gunicorn and
    uvicorn's own supervisor say where they listen when they bind); each worker takes
    requests once its app has started."""
    settings: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "log_config": log_config or logs.log_config(),
        "access_log": False,  # ours (http/observability.py) names the action and the account
        "proxy_headers": bool(forwarded_allow_ips),
        "forwarded_allow_ips": forwarded_allow_ips or None,
        "http": NODELAY_PROTOCOL,
        "h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES,
        # No WebSocket routes: an upgrade request is answered as plain HTTP, never handed to
        # a protocol that the lingering transport (nodelay) was not written for.
        "ws": "none",
        # uvicorn kills a worker that does not answer its supervisor's ping within this many
        # seconds (5 by default), and a worker still starting does not answer: on a busy
        # host a start took longer, and every worker was killed and started again, forever.
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
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


METRICS_PREFIX = "orderledger-metrics-"


def remove_orphans(parent: str) -> None:
    """The directories of servers that were killed before they could remove their own (each
    is named after its server's process id)."""
    for path in glob.glob(os.path.join(parent, f"{METRICS_PREFIX}*-*")):
        pid = os.path.basename(path).removeprefix(METRICS_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


@contextlib.contextmanager
def metrics_directory() -> Iterator[None]:
    """A fresh private directory where every worker of this server keeps its metrics
    (prometheus_client's multi-process mode), removed when the server stops. Set before
    any worker starts (they inherit it), whatever the environment said: figures left by an
    earlier server would be added to this one's."""
    remove_orphans(tempfile.gettempdir())
    directory = tempfile.mkdtemp(prefix=f"{METRICS_PREFIX}{os.getpid()}-")
    previous = os.environ.get(MULTIPROC_DIR)
    os.environ[MULTIPROC_DIR] = directory
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(MULTIPROC_DIR, None)
        else:
            os.environ[MULTIPROC_DIR] = previous
        shutil.rmtree(directory, ignore_errors=True)
