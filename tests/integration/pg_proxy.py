"""A TCP proxy in front of the shared PostgreSQL, to take "the database" away from one server.

The shared server is never stopped or restarted (other test runs use it): a server under test
connects through this proxy instead, which can drop every connection and refuse new ones (as
a restart or an outage looks from the client), come back, or cut one connection just after
forwarding a COMMIT (the server commits; the client never hears so).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from orderledger.storage.settings import PostgresAddress, Settings

CHUNK = 65536


@dataclass
class CommitCut:
    """Cut the first connection that sends `marker` and then a COMMIT, after forwarding it."""

    marker: bytes
    done: threading.Event
    then_down: bool = False  # and go down at once: nothing can be asked of the database after


class PostgresProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.up = True
        self.closing = False
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.cut: CommitCut | None = None
        threading.Thread(target=self.accept, daemon=True, name="pg-proxy").start()

    def address(self, real: PostgresAddress) -> PostgresAddress:
        # without the URL as given, which would still name the real server
        return replace(real, host="127.0.0.1", port=self.port, given="")

    def settings(self, real: Settings) -> Settings:
        assert real.postgres is not None
        return replace(real, postgres=self.address(real.postgres))

    # ---- faults --------------------------------------------------------------------------

    def go_down(self) -> None:
        """Drop every connection and refuse new ones until `come_back`."""
        with self.lock:
            self.up = False
            sockets = list(self.open)
        for sock in sockets:
            abort(sock)

    def come_back(self) -> None:
        with self.lock:
            self.up = True

    def cut_at_commit(self, marker: bytes, then_down: bool = False) -> threading.Event:
        """Arm a one-shot cut; the event is set once a connection was cut. `then_down`: the
        proxy goes down at that moment too (`come_back` ends it), so the client cannot
        learn whether its COMMIT was carried out."""
        self.cut = CommitCut(marker, threading.Event(), then_down)
        return self.cut.done

    # ---- plumbing ------------------------------------------------------------------------

    def accept(self) -> None:
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                up = self.up
            if not up:
                abort(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                abort(client)
                continue
            for sock in (client, server):  # no delayed ACKs stalling each round trip
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.open |= {client, server}
            seen = threading.Event()
            threading.Thread(target=self.pump, args=(client, server, seen), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client, None), daemon=True).start()

    def pump(
        self, source: socket.socket, sink: socket.socket, seen: threading.Event | None
    ) -> None:
        """Copy one direction; `seen` is given for the client-to-server direction only."""
        later = 0.0
        try:
            while data := source.recv(CHUNK):
                sink.sendall(data)
                if seen is not None and self.should_cut(data, seen):
                    later = 0.5  # the server reads and commits before its side goes too
                    self.down_after_cut(source, sink)
                    break
        except OSError:
            pass
        abort(source)
        threading.Timer(later, abort, args=(sink,)).start()
        with self.lock:
            self.open -= {source, sink}

    def should_cut(self, data: bytes, seen: threading.Event) -> bool:
        cut = self.cut
        if cut is None or cut.done.is_set():
            return False
        at = data.find(cut.marker)
        if at >= 0:
            seen.set()
        if seen.is_set() and data.find(b"COMMIT", max(at, 0)) >= 0:
            cut.done.set()
            return True
        return False

    def down_after_cut(self, source: socket.socket, sink: socket.socket) -> None:
        """Every other connection dropped and new ones refused, if the cut says so; this
        connection's server side is left to read its COMMIT."""
        if self.cut is None or not self.cut.then_down:
            return
        with self.lock:
            self.up = False
            others = list(self.open - {source, sink})
        for sock in others:
            abort(sock)

    def close(self) -> None:
        self.closing = True
        # close() alone neither wakes a thread blocked in accept() nor stops the listening
        abort(self.listener)
        self.go_down()


def abort(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


@contextmanager
def postgres_proxy(real: PostgresAddress) -> Iterator[PostgresProxy]:
    proxy = PostgresProxy((real.host, real.port))
    try:
        yield proxy
    finally:
        proxy.close()
