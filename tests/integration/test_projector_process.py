"""`orderledger serve` runs the live projector in a process of its own: it keeps the read
models exact, a new one goes on from where a killed one stopped, and none outlives `serve`."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from orderledger.bench.servers import children, cmdline
from orderledger.bootstrap import Store, runtime
from orderledger.storage.settings import PROJECTOR_IN_WORKERS, Settings
from tests.conftest import entry, open_account, settle
from tests.integration.servers import environment, free_port, stop_server, wait_until_serving

SERVE = [sys.executable, "-m", "orderledger.cli.main", "serve"]


@contextmanager
def serving(settings: Settings, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    process = subprocess.Popen(
        [*SERVE, "--port", str(port), "--workers", str(workers)],
        env=environment(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # so that whatever is left can be killed, group and all
    )
    url = f"http://127.0.0.1:{port}/api/v2"
    try:
        wait_until_serving(url, process)
        yield url, process
    finally:
        stop_server(process)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)


def projectors(serve: int) -> list[int]:
    return [pid for pid in children(serve) if "orderledger.cli.projector" in cmdline(pid)]


def forwarders(serve: int) -> list[int]:
    return [pid for pid in children(serve) if "orderledger.cli.forwarder" in cmdline(pid)]


def one_projector(serve: int) -> int:
    wait_until(lambda: len(projectors(serve)) == 1)
    [pid] = projectors(serve)
    return pid


def gone(pid: int) -> bool:
    """Ended (a zombie not yet reaped counts: it runs nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def add(url: str, key: str, i: int) -> int:
    fields = {"key": key, "action": "add", "service": 1, "link": f"l{i}", "quantity": 100}
    answer = httpx.post(url, data=fields, timeout=10).json()
    return int(answer["order"])


def read_models(store: Store) -> tuple[object, ...]:
    with store.db.transaction() as cursor:
        cursor.execute("SELECT count(*), min(number), max(number) FROM orderledger_order_status")
        orders = cursor.fetchone()
        cursor.execute("SELECT charges FROM orderledger_account_balance")
        balance = cursor.fetchone()
    assert orders is not None and balance is not None
    return (*orders, *balance)


def test_a_killed_projector_process_is_replaced_and_the_new_one_goes_on(
    settings: Settings, store: Store
) -> None:
    store.ledger.sync_services([entry(1)])
    _, key = open_account(store)
    with serving(settings, workers=2) as (url, server):
        first = one_projector(server.pid)
        for i in range(5):
            add(url, key, i)
        settle(store, project=False)  # only the server may project
        assert read_models(store) == (5, 1, 5, "1.25000")

        os.kill(first, signal.SIGKILL)
        wait_until(lambda: projectors(server.pid) not in ([], [first]))
        for i in range(5, 10):
            add(url, key, i)
        settle(store, project=False)
        assert read_models(store) == (10, 1, 10, "2.50000")  # none skipped, none twice
    wait_until(lambda: gone(first) and not projectors(server.pid))


def test_a_projector_process_does_not_outlive_a_killed_serve(
    settings: Settings, store: Store
) -> None:
    with serving(settings, workers=1) as (_, server):
        projector = one_projector(server.pid)
        os.kill(server.pid, signal.SIGKILL)  # serve alone, not its group
        wait_until(lambda: gone(projector))


def test_the_forwarder_process_starts_once_the_store_has_an_upstream(
    settings: Settings, store: Store
) -> None:
    with serving(settings, workers=1) as (_, server):
        one_projector(server.pid)
        time.sleep(1.0)  # both would have been started together
        assert forwarders(server.pid) == []
        store.upstream_keys.put("bulk", "k3y")  # as `upstreams add` does first
        wait_until(lambda: len(forwarders(server.pid)) == 1)
    assert not forwarders(server.pid)


def test_under_serve_a_worker_leaves_the_projector_to_its_process(
    settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PROJECTOR_IN_WORKERS, "0")  # as `serve` sets it for its workers
    assert not Settings.from_env().projector_in_workers
    parts = runtime(replace(settings, projector_in_workers=False), store=store)
    assert parts.live is None
    assert parts.sweeper is not None  # the sweep stays in the workers
    elsewhere = runtime(settings, store=store)  # a worker started any other way
    assert elsewhere.live is not None
