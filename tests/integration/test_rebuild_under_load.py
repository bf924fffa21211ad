"""A rebuild while a real server takes a steady stream of orders, five times: every one switches,
and the read models match the events after."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest

from orderledger.bootstrap import Store
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account
from tests.integration.servers import environment, running_server

REBUILDS = 5
ADDS_PER_SECOND = 130
SENDERS = 8  # a request takes a few ms, more under load: several keep the pace while one waits


@dataclass
class AddLoad:
    """`add`s at a steady rate from a few threads until stopped; counts the answers."""

    url: str
    key: str
    stopping: threading.Event = field(default_factory=threading.Event)
    accepted: int = 0
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for sender in range(SENDERS):
            thread = threading.Thread(target=self.send, args=(sender,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def send(self, sender: int) -> None:
        interval = SENDERS / ADDS_PER_SECOND
        due = time.monotonic()
        with httpx.Client(timeout=30) as client:
            for i in range(1_000_000):
                if self.stopping.is_set():
                    return
                self.add(client, f"https://load/{sender}/{i}")
                due += interval
                self.stopping.wait(max(due - time.monotonic(), 0))

    def add(self, client: httpx.Client, link: str) -> None:
        data = {"key": self.key, "action": "add", "service": 1, "link": link, "quantity": 100}
        try:
            answer = client.post(self.url, data=data).json()
        except httpx.HTTPError as error:
            answer = {"error": repr(error)}
        with self.lock:
            if "order" in answer:
                self.accepted += 1
            else:
                self.refused.append(str(answer))

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)


def orderledger(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orderledger.cli.main", *args],
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_a_rebuild_while_adds_flow_switches_every_time(settings: Settings, store: Store) -> None:
    store.ledger.sync_services([entry(1)])
    _, key = open_account(store, deposit="100000")
    switched: list[str] = []
    with running_server(settings, workers=2) as url:
        load = AddLoad(url, key)
        load.start()
        try:
            time.sleep(2)  # a log to rebuild, and the live projector busy
            before, started = load.accepted, time.monotonic()
            for _ in range(REBUILDS):
                done = orderledger(settings, "projections", "rebuild")
                if done.returncode == 0 and "switched them live" in done.stdout:
                    switched.append(done.stdout)
                else:
                    print(done.stderr[-3000:], file=sys.stderr)
            during, seconds = load.accepted - before, time.monotonic() - started
        finally:
            load.stop()
        print(
            f"\nrebuild under load: {during} adds during ({during / seconds:.0f}/s), "
            f"{len(switched)} of {REBUILDS} switched"
        )
        verified = orderledger(settings, "projections", "verify")

    assert len(switched) == REBUILDS
    assert during > 0
    assert load.refused == []
    assert verified.returncode == 0, verified.stdout[-3000:]
