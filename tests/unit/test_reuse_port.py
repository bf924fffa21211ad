"""Each worker gets a listening socket of its own on the supervisor's port."""

from __future__ import annotations

import io
import socket
from multiprocessing.reduction import ForkingPickler

from orderledger.bench.servers import listening
from orderledger.http.reuse_port import supervisor_socket


def as_a_worker_receives_it(sock: socket.socket) -> socket.socket:
    """What uvicorn's spawned worker unpickles from the socket it is handed."""
    buffer = io.BytesIO()
    ForkingPickler(buffer).dump(sock)
    received: socket.socket = ForkingPickler.loads(buffer.getvalue())
    return received


def test_every_worker_listens_on_its_own_socket_on_the_same_port() -> None:
    with supervisor_socket("127.0.0.1", 0) as parent:
        port = parent.getsockname()[1]
        first, second = as_a_worker_receives_it(parent), as_a_worker_receives_it(parent)
        with first, second:
            assert first.fileno() != second.fileno() != parent.fileno()
            for worker in (first, second):
                assert worker.getsockname() == ("127.0.0.1", port)
                assert worker.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
                worker.listen()  # both at once: the kernel spreads connections over them
            accepted = []
            for _ in range(16):
                client = socket.create_connection(("127.0.0.1", port))
                client.close()
            for worker in (first, second):
                worker.setblocking(False)
                while True:
                    try:
                        conn, _ = worker.accept()
                    except BlockingIOError:
                        break
                    conn.close()
                    accepted.append(worker)
            assert len(accepted) == 16
            assert accepted.count(first) > 0 and accepted.count(second) > 0


def test_the_bench_counts_each_workers_listening_socket_and_only_those() -> None:
    """The bench starts measuring only once every worker listens (see `servers.listening`);
    the supervisor's socket is bound but never listens."""
    with supervisor_socket("127.0.0.1", 0) as parent:
        port = parent.getsockname()[1]
        assert listening(port) == 0
        first, second = as_a_worker_receives_it(parent), as_a_worker_receives_it(parent)
        with first, second:
            first.listen()
            assert listening(port) == 1
            second.listen()
            assert listening(port) == 2
