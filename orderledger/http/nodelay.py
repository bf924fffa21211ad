"""uvicorn's HTTP/1.1 protocol with Nagle's algorithm off on every connection.

With more than one worker uvicorn binds the listening socket itself, without naming TCP as
its protocol, and asyncio then leaves TCP_NODELAY off on accepted connections. A response
goes out in two writes (head, then body), so the body waited for the client's delayed ACK:
about 40 ms on every keep-alive request after the first. One worker was not affected.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

PROTOCOL = "orderledger.http.nodelay:NoDelayH11Protocol"


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
