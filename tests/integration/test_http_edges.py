"""What a client gets at the edges of HTTP, from the real server: always its JSON answer."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from orderledger.bootstrap import Store
from orderledger.storage.settings import Settings
from tests.conftest import open_account
from tests.integration.servers import running_server

pytestmark = pytest.mark.slow


@dataclass
class Exchange:
    """One request on a raw connection: what came back, and every socket error seen."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    errors: list[str] = field(default_factory=list)
    ended_cleanly: bool = False  # the server closed with a FIN: the answer was read whole

    def json(self) -> object:
        return json.loads(self.body)


def exchange(url: str, head: str, body: bytes = b"", answer_first: bool = True) -> Exchange:
    """Send `head` and then `body` from another thread, as an upload does, while reading the
    whole answer until the server closes. With `answer_first` the body is sent only once the
    answer has started arriving (a slow upload), otherwise at once."""
    parts = urlsplit(url)
    result = Exchange()
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        started = threading.Event()

        def upload() -> None:
            try:
                sock.sendall(head.encode("latin-1"))
                if answer_first:
                    started.wait(10)
                sock.sendall(body)
            except OSError as error:
                result.errors.append(f"sending: {error!r}")

        sender = threading.Thread(target=upload)
        sender.start()
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
                started.set()
            result.ended_cleanly = True
        except OSError as error:
            result.errors.append(f"receiving: {error!r}")
        started.set()
        sender.join(30)
    head_bytes, _, result.body = received.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    result.status = int(lines[0].split()[1]) if lines[0] else 0
    result.headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    return result


def request_head(method: str, path: str, length: int, version: str = "1.1") -> str:
    close = "Connection: close\r\n" if version == "1.1" else ""
    return (
        f"{method} {path} HTTP/{version}\r\nHost: 127.0.0.1\r\n{close}"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
    )


# (method, path, body length, answer, its error, whether the answer may come before any body)
ANSWERED_BEFORE_THE_BODY = [
    ("PUT", "/api/v2", 2_000_000, 405, "Method Not Allowed", True),
    ("POST", "/api/v3", 2_000_000, 404, "Not Found", True),
    ("POST", "/api/v2", 12_000_000, 413, "Request Entity Too Large", False),  # after 10 MB
]


def test_an_answer_sent_before_the_body_is_read_reaches_the_client_whole(
    settings: Settings, store: Store
) -> None:
    with running_server(settings) as url:
        for version in ("1.1", "1.0"):
            for answer_first in (True, False):
                for method, path, length, status, text, early in ANSWERED_BEFORE_THE_BODY:
                    if answer_first and not early:
                        continue
                    head = request_head(method, path, length, version)
                    got = exchange(url, head, b"a" * length, answer_first)
                    case = (version, answer_first, method, path)
                    assert got.errors == [], case
                    assert got.ended_cleanly, case
                    assert (got.status, got.json()) == (status, {"error": text}), case
                    assert got.headers["content-type"] == "application/json", case


def test_a_get_with_a_long_query_string_is_answered_in_json(
    settings: Settings, store: Store
) -> None:
    _, key = open_account(store)
    ids = ",".join(str(n) for n in range(1, 40_000))  # about 200 KB
    with running_server(settings) as url:
        path = f"/api/v2?key={key}&action=status&orders={ids}"
        assert len(path) > 200_000
        got = exchange(url, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert got.headers["content-type"] == "application/json"
        assert (got.status, got.json()) == (
            200,
            {"error": "Incorrect request: at most 100 ids at once"},
        )

        huge = f"/api/v2?key={key}&action=balance&pad={'x' * 3_000_000}"
        got = exchange(url, f"GET {huge} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert [e for e in got.errors if e.startswith("receiving")] == []
        assert got.ended_cleanly
        assert got.headers["content-type"] == "application/json"
        assert got.status == 400
        assert got.json() == {"error": "Incorrect request: request line or headers too large"}

        got = exchange(url, "NOT HTTP AT ALL\r\n\r\n")
        assert (got.status, got.headers["content-type"]) == (400, "application/json")
        assert got.json() == {"error": "Incorrect request: malformed HTTP request"}


def test_the_server_still_answers_on_a_kept_alive_connection_after_an_unread_body(
    settings: Settings, store: Store
) -> None:
    _, key = open_account(store)
    with running_server(settings) as url:
        parts = urlsplit(url)
        with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
            body = b"a" * 100_000
            head = f"PUT /api/v2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n\r\n"
            sock.sendall(head.encode() + body)
            form = f"key={key}&action=balance".encode()
            second = (
                "POST /api/v2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(form)}\r\n\r\n"
            )
            time.sleep(0.2)
            sock.sendall(second.encode() + form)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        assert received.count(b"HTTP/1.1 ") == 2
        assert received.endswith(b'{"balance":"100.00000","currency":"USD"}')
