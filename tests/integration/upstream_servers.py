"""Two orderledger servers for the upstream tests: the upstream, with a catalogue and an
account for the downstream, and the downstream, whose linked services it forwards to it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from orderledger.bootstrap import Store
from orderledger.domain.order import Order
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account
from tests.integration.servers import environment, free_port, serve_command, wait_until_serving

# The upstream's services, and the local service each is linked to (rates marked up 20 %).
DEFAULT, COMMENTS, DRIP, POLL = 501, 502, 503, 504
LOCAL = {DEFAULT: 1, COMMENTS: 2, DRIP: 3, POLL: 4}
SYNC_SECONDS = "1"


def upstream_catalogue() -> list[Any]:
    return [
        entry(DEFAULT, cancel=True, max=100_000),
        entry(COMMENTS, "Custom Comments", rate=Decimal("10"), min=1, max=100),
        entry(DRIP, dripfeed=True),
        entry(POLL, "Poll"),
    ]


def local_catalogue() -> list[Any]:
    marked_up = []
    for upstream in upstream_catalogue():
        fields = upstream.fields()
        fields["rate"] = upstream.rate * Decimal("1.2")
        marked_up.append(entry(LOCAL[upstream.number], fields.pop("type"), **fields))
    return marked_up


@dataclass
class Server:
    """`orderledger serve` in a process group of its own (kill -9 takes all of it), on a
    port it keeps across restarts."""

    settings: Settings
    extra: dict[str, str]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v2"

    def start(self) -> None:
        self.port = self.port or free_port()
        self.process = subprocess.Popen(
            serve_command(self.port, 1),
            env={**environment(self.settings), **self.extra},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until_serving(self.url, self.process)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
        self.kill()  # whatever of its group outlived it
        self.process = None

    def kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)

    @contextmanager
    def running(self) -> Iterator[Server]:
        self.start()
        try:
            yield self
        finally:
            self.stop()


@dataclass
class Chain:
    upstream: Store
    downstream: Store
    upstream_server: Server
    downstream_server: Server
    key: str  # the network's key downstream

    def add(self, service: int, **fields: str) -> int:
        answer = httpx.post(
            self.downstream_server.url,
            data={"key": self.key, "action": "add", "service": str(service), **fields},
            timeout=30,
        ).json()
        assert "order" in answer, answer
        return int(answer["order"])

    def status(self, number: int) -> dict[str, str]:
        return dict(
            httpx.post(
                self.downstream_server.url,
                data={"key": self.key, "action": "status", "order": str(number)},
                timeout=30,
            ).json()
        )

    def order(self, number: int) -> Order:
        return self.downstream.ledger.known_order(number)

    def upstream_order(self, number: int) -> Order:
        upstream_order = self.order(number).upstream_order
        assert upstream_order is not None
        return self.upstream.ledger.known_order(int(upstream_order))


def make_chain(settings: Settings, store: Store, tmp_path: Path) -> Chain:
    """The upstream on SQLite of its own, the downstream on the test's store."""
    upstream_settings = Settings(postgres=None, data_dir=tmp_path / "upstream")
    upstream = Store.open(upstream_settings)
    upstream.ledger.sync_services(upstream_catalogue())
    _, upstream_key = open_account(upstream, "reseller", deposit="1000")
    up = Server(upstream_settings, {})
    down = Server(settings, {"ORDERLEDGER_UPSTREAM_SYNC_SECONDS": SYNC_SECONDS})
    up.port = free_port()
    store.ledger.sync_services(local_catalogue())
    store.upstream_keys.put("bulk", upstream_key)
    store.ledger.add_upstream("bulk", up.url)
    for upstream_service, local in LOCAL.items():
        store.ledger.link_service(local, "bulk", upstream_service)
    _, key = open_account(store, "network", deposit="1000")
    return Chain(upstream, store, up, down, key)


def placed(store: Store) -> list[Order]:
    """Every order of the store, by number."""
    notifications = store.ledger.recorder.select_notifications(start=None, limit=1_000_000)
    events = (store.ledger.mapper.to_domain_event(n) for n in notifications)
    numbers = [e.number for e in events if isinstance(e, Order.Placed)]
    return [store.ledger.known_order(n) for n in numbers]


def eventually(check: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")
