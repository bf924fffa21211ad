"""Tiny misbehaving upstreams on 127.0.0.1, each a real socket: one that refuses connections,
one whose backlog is full, one that takes the request and never answers, one that cuts the
connection, and one that answers whatever bytes a test gives it."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs

Behaviour = Callable[[socket.socket, bytes], None]


def read_request(connection: socket.socket) -> bytes:
    """The whole request (headers and a Content-Length body), or what came before a close."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def form_of(request: bytes) -> dict[str, str]:
    body = request.partition(b"\r\n\r\n")[2].decode()
    return {name: values[0] for name, values in parse_qs(body, keep_blank_values=True).items()}


class FakeUpstream:
    """A server whose every connection gets `behaviour(connection, request)`; it keeps the
    requests it read, so a test can count what was sent."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/api/v2"
        self.open: list[socket.socket] = []
        self.stopping = threading.Event()
        self.listener.settimeout(0.05)  # to notice close(): accept() is not woken by it
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # closed
            connection.settimeout(5)
            self.open.append(connection)
            with contextlib.suppress(OSError):
                request = read_request(connection)
                self.requests.append(request)
                self.behaviour(connection, request)

    def forms(self) -> list[dict[str, str]]:
        return [form_of(request) for request in self.requests]

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()
        for connection in self.open:
            connection.close()


@contextmanager
def fake_upstream(behaviour: Behaviour) -> Iterator[FakeUpstream]:
    server = FakeUpstream(behaviour)
    try:
        yield server
    finally:
        server.close()


def answering(
    status: int = 200,
    body: bytes = b"{}",
    headers: dict[str, str] | None = None,
    close_after: bool = True,
) -> Behaviour:
    """A complete HTTP answer, then the connection closed."""

    def answer(connection: socket.socket, request: bytes) -> None:
        lines = [f"HTTP/1.1 {status} Whatever", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if close_after:
            lines.append("Connection: close")
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        if close_after:
            connection.close()

    return answer


def never_answering(connection: socket.socket, request: bytes) -> None:
    """Takes the request, then says nothing (the connection stays open until close())."""


def cutting(connection: socket.socket, request: bytes) -> None:
    """Takes the request, then drops the connection without a word."""
    connection.close()


def cutting_mid_answer(connection: socket.socket, request: bytes) -> None:
    connection.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"order": ')
    connection.close()


@contextmanager
def refusing_address() -> Iterator[str]:
    """A port bound but not listening: every connection to it is refused."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound.getsockname()[1]}/api/v2"


@contextmanager
def full_backlog_address() -> Iterator[str]:
    """A listener that never accepts, its backlog filled: a new connection's handshake is not
    completed, so connecting times out before a byte of the request is sent."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        yield f"http://127.0.0.1:{port}/api/v2"
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
