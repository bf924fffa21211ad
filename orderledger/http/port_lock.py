"""One deployment per port.

Each worker listens on a socket of its own with SO_REUSEPORT (see reuse_port), and the kernel
lets any process of the same user join such a port: a second `serve` on a taken port would
start without a word and take a share of the first one's connections, answered from another
store. So `serve` holds a lock per port for its whole life (a second `serve` cannot take it),
and, holding it, checks that nothing listens there yet (a plain bind fails while any socket
listens on the port: another program, or the workers of a server whose supervisor is gone).

The lock is a Unix socket bound to a name in Linux's abstract namespace: only one socket can
hold a name, the kernel frees it when the process ends however it ends (nothing is left on
disk), and the namespace is the network namespace's, the same as the port's.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


class PortTaken(Exception):
    def __init__(self, port: int) -> None:
        super().__init__(f"port {port} is already in use (another server listens on it)")


def lock_name(port: int) -> str:
    return f"\0orderledger-serve-port-{port}"


def ensure_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR, as every server sets, so that connections of a previous run still in
        # TIME_WAIT do not count; a listening socket on the port still does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortTaken(port) from error


@contextmanager
def claimed_port(host: str, port: int) -> Iterator[None]:
    """Hold the port for this deployment, or raise PortTaken. Port 0 (any free port) is
    never shared, so it needs no lock."""
    if port == 0:
        yield
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as lock:
        try:
            lock.bind(lock_name(port))
        except OSError as error:  # EADDRINUSE: another serve holds it
            raise PortTaken(port) from error
        ensure_free(host, port)
        yield
