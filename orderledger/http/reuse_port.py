"""A listening socket of its own for each worker process, all on one port (SO_REUSEPORT).

uvicorn binds one socket in its supervisor and hands it to every worker. When connections
arrive together, the worker that wakes first accepts all of them (asyncio accepts up to the
backlog per wake-up): measured here, 32 connections opened at once all went to one of two
workers about half the time, which then served every request on one core while the other
idled. Here the supervisor's socket carries SO_REUSEPORT and, when uvicorn passes it to a
worker (by pickling), each worker opens its own socket on the same port instead, so the
kernel spreads new connections across the workers. Workers that uvicorn restarts get a new
socket the same way.
"""

from __future__ import annotations

import socket
from typing import Any


def bound(family: int, host: str, port: int, kind: type[socket.socket] = socket.socket) -> Any:
    sock = kind(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class ReusePortSocket(socket.socket):
    """The supervisor's socket: bound, never listening, so it receives no connection; it
    keeps the port and is the recipe for each worker's own socket."""

    def __reduce__(self) -> tuple[Any, ...]:
        host, port = self.getsockname()[:2]
        return (bound, (int(self.family), host, port))


def supervisor_socket(host: str, port: int) -> ReusePortSocket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock: ReusePortSocket = bound(family, host, port, ReusePortSocket)
    return sock
