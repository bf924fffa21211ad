"""uvicorn's HTTP/1.1 protocol as orderledger serves it: Nagle's algorithm off, a lingering
close, and a JSON answer to a request that is not HTTP.

Nagle: with more than one worker uvicorn binds the listening socket itself, without naming
TCP as its protocol, and asyncio then leaves TCP_NODELAY off on accepted connections. A
response goes out in two writes (head, then body), so the body waited for the client's
delayed ACK: about 40 ms on every keep-alive request after the first.

Lingering close: an answer may go out before the request's body was read (405, 404, 413),
or before the rest of a request h11 refuses (a head over the limit).
On a connection that stays open uvicorn reads the rest of the body and goes on; but when the
connection is to close after the answer (`Connection: close`, HTTP/1.0), closing a socket with
unread data makes the kernel send a reset, and a client still uploading (or not yet reading)
loses the answer. So such a connection sends the answer and a FIN, then reads and drops what
the client still sends, until it closes its side or goes quiet (bounded in time).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import h11
import msgspec
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE  # h11 exports it nowhere else
from uvicorn.protocols.http.h11_impl import H11Protocol

from orderledger.http.errors import INCORRECT_REQUEST

PROTOCOL = "orderledger.http.nodelay:NoDelayH11Protocol"
# Requests are read whole: a GET carries its fields in the query string, as large as a form.
MAX_REQUEST_HEAD_BYTES = 1 << 20
LINGER_IDLE_SECONDS = 2.0  # a client that sends nothing more for this long is closed on
LINGER_MAX_SECONDS = 30.0  # and none is read from for longer than this after its answer
TOO_LARGE = msgspec.json.encode(
    {"error": f"{INCORRECT_REQUEST}: request line or headers too large"}
)
MALFORMED = msgspec.json.encode({"error": f"{INCORRECT_REQUEST}: malformed HTTP request"})


class LingeringTransport(asyncio.Transport):
    """The connection's transport as uvicorn sees it: `close` lingers while the client is
    still sending a request body; everything else is the socket transport's own."""

    def __init__(self, transport: asyncio.Transport, protocol: NoDelayH11Protocol) -> None:
        super().__init__()
        self.inner = transport
        self.protocol = protocol

    def close(self) -> None:
        if self.protocol.body_still_coming() and not self.inner.is_closing():
            self.protocol.linger()
        else:
            self.inner.close()

    def is_closing(self) -> bool:
        return self.inner.is_closing() or self.protocol.lingering

    def write(self, data: bytes | bytearray | memoryview[Any]) -> None:
        self.inner.write(data)

    def writelines(self, list_of_data: Any) -> None:
        self.inner.writelines(list_of_data)

    def write_eof(self) -> None:
        self.inner.write_eof()

    def can_write_eof(self) -> bool:
        return self.inner.can_write_eof()

    def abort(self) -> None:
        self.inner.abort()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.inner.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self.inner.pause_reading()

    def resume_reading(self) -> None:
        self.inner.resume_reading()

    def is_reading(self) -> bool:
        return self.inner.is_reading()

    def get_write_buffer_size(self) -> int:
        return self.inner.get_write_buffer_size()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self.inner.set_write_buffer_limits(high, low)


class NoDelayH11Protocol(H11Protocol):
    lingering = False
    linger_timer: asyncio.TimerHandle | None = None
    linger_deadline = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self.socket_transport = transport
        self.transport = LingeringTransport(transport, self)

    def body_still_coming(self) -> bool:
        return self.conn.their_state is h11.SEND_BODY

    def linger(self) -> None:
        self.lingering = True
        inner = self.socket_transport
        if inner.can_write_eof():
            inner.write_eof()  # the FIN follows the answer: the client reads it whole
        inner.resume_reading()
        self.linger_deadline = self.loop.time() + LINGER_MAX_SECONDS
        self.wait_for_more()

    def wait_for_more(self) -> None:
        if self.linger_timer is not None:
            self.linger_timer.cancel()
        delay = min(LINGER_IDLE_SECONDS, self.linger_deadline - self.loop.time())
        self.linger_timer = self.loop.call_later(max(delay, 0.0), self.stop_lingering)

    def stop_lingering(self) -> None:
        self.socket_transport.close()

    def data_received(self, data: bytes) -> None:
        if self.lingering:  # the rest of a body nobody reads
            self.wait_for_more()
            return
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.linger_timer is not None:
            self.linger_timer.cancel()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """The protocol's error form for what h11 cannot parse (uvicorn's is text/plain)."""
        body = TOO_LARGE if self.head_too_large() else MALFORMED
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.linger()  # the rest of a head too large, say, is still coming: no reset

    def head_too_large(self) -> bool:
        limit = self.config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        return len(self.conn.trailing_data[0]) > limit
