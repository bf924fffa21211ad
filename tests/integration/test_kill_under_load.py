"""kill -9 of the whole server while networks send `add`s, then a restart: every order the
network was told about is there, once, and the money and the read models add up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal

import httpx
import pytest

from orderledger.bootstrap import Store
from orderledger.domain.order import Order
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account
from tests.integration.servers import (
    environment,
    free_port,
    running_server,
    wait_until_serving,
)

SERVE = [sys.executable, "-m", "orderledger.cli.main", "serve"]
CLIENTS = 6
MAX_ADDS_PER_CLIENT = 400  # 2,400 × 0.25 stays below the deposit: no add is refused for funds
KILL_AFTER = 300  # acknowledged adds before the kill
DEPOSIT = Decimal("1000")
CHARGE = Decimal("0.25")  # 100 at 2.50 per 1000


@dataclass
class Load:
    sent: int = 0
    acknowledged: dict[str, int] = field(default_factory=dict)  # link -> order number
    other_answers: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)


@contextmanager
def killable_server(settings: Settings, workers: int = 2) -> Iterator[tuple[str, int]]:
    """`orderledger serve` in a process group of its own, so kill -9 takes every worker."""
    port = free_port()
    process = subprocess.Popen(
        [*SERVE, "--port", str(port), "--workers", str(workers)],
        env=environment(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api/v2"
    try:
        wait_until_serving(url, process)
        yield url, process.pid
    finally:
        with_group_killed(process.pid)
        process.wait(timeout=15)


def with_group_killed(pid: int) -> None:
    with suppress(ProcessLookupError):  # already gone
        os.killpg(pid, signal.SIGKILL)


def send_adds(url: str, key: str, client_number: int, load: Load) -> None:
    with httpx.Client(timeout=10) as client:
        for i in range(MAX_ADDS_PER_CLIENT):
            link = f"https://example.com/c{client_number}/{i}"
            with load.lock:
                load.sent += 1
            fields = {"key": key, "action": "add", "service": 1, "link": link, "quantity": 100}
            try:
                answer = client.post(url, data=fields)
            except httpx.TransportError:
                return  # the server is gone
            body = answer.json()
            with load.lock:
                if answer.status_code == 200 and "order" in body:
                    load.acknowledged[link] = int(body["order"])
                else:
                    load.other_answers.append(f"{answer.status_code} {body}")
                if len(load.acknowledged) >= KILL_AFTER:
                    load.enough.set()


def statuses(url: str, key: str, numbers: list[int]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(numbers), 100):
        batch = ",".join(str(n) for n in numbers[start : start + 100])
        found |= httpx.post(
            url, data={"key": key, "action": "status", "orders": batch}, timeout=30
        ).json()
    return found


def placed_orders(store: Store) -> list[Order]:
    notifications = store.ledger.recorder.select_notifications(start=None, limit=1_000_000)
    events = (store.ledger.mapper.to_domain_event(n) for n in notifications)
    numbers = [e.number for e in events if isinstance(e, Order.Placed)]
    orders = [store.ledger.order(n) for n in numbers]
    return [o for o in orders if o is not None]


@pytest.mark.slow
def test_kill_9_under_concurrent_adds_loses_and_doubles_nothing(
    settings: Settings, store: Store
) -> None:
    store.ledger.sync_services([entry(1)])
    _, key = open_account(store, deposit=str(DEPOSIT))
    load = Load()
    with killable_server(settings) as (url, pid):
        clients = [
            threading.Thread(target=send_adds, args=(url, key, n, load)) for n in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        load.enough.wait(timeout=60)
        with_group_killed(pid)
        for client in clients:
            client.join(timeout=30)
    assert load.enough.is_set(), load.other_answers[:5]
    assert not load.other_answers, load.other_answers[:5]

    with running_server(settings) as url:
        answers = statuses(url, key, sorted(load.acknowledged.values()))
        balance = httpx.post(url, data={"key": key, "action": "balance"}).json()
        verified = subprocess.run(
            [sys.executable, "-m", "orderledger.cli.main", "projections", "verify"],
            env=environment(settings),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    orders = placed_orders(store)
    per_link = Counter(order.link for order in orders)
    duplicates = sum(count - 1 for count in per_link.values() if count > 1)
    found = [n for n in load.acknowledged.values() if "status" in answers.get(str(n), {})]
    print(
        f"\nkill -9 under load: {load.sent} adds sent, {len(load.acknowledged)} acknowledged, "
        f"{len(found)} of them found after the restart, {len(orders)} orders in the store, "
        f"{duplicates} duplicates"
    )
    assert len(found) == len(load.acknowledged)
    assert len(set(load.acknowledged.values())) == len(load.acknowledged)
    assert duplicates == 0
    by_number = {order.number: order for order in orders}
    assert all(by_number[n].link == link for link, n in load.acknowledged.items())
    charges = sum((order.charge for order in orders), Decimal(0))
    assert charges == CHARGE * len(orders)
    assert Decimal(balance["balance"]) == DEPOSIT - charges
    assert verified.returncode == 0, verified.stdout + verified.stderr
