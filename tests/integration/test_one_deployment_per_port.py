"""A port belongs to one deployment: its own workers share it, a second `serve` is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from orderledger.bench.servers import children, cmdline, free_port, listening
from orderledger.bootstrap import Store
from orderledger.storage.settings import Settings
from tests.conftest import open_account
from tests.integration.servers import environment, stop_server

pytestmark = pytest.mark.slow
STARTUP_SECONDS = 60.0


def serve(settings: Settings, port: int, workers: int = 2) -> subprocess.Popen[str]:
    command = ["serve", "--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(
        [sys.executable, "-m", "orderledger.cli.main", *command],
        env=environment(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_workers(process: subprocess.Popen[str], port: int, workers: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while listening(port) < workers:
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the workers did not start listening"
        time.sleep(0.1)


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        stop_server(process)


@contextmanager
def deployment(settings: Settings, port: int, workers: int = 2) -> Iterator[subprocess.Popen[str]]:
    process = serve(settings, port, workers)
    try:
        wait_for_workers(process, port, workers)
        yield process
    finally:
        stop(process)


def assert_refused(second: subprocess.Popen[str], port: int) -> None:
    try:
        _, err = second.communicate(timeout=30)
    finally:
        stop(second)
    assert second.returncode != 0
    assert err.strip().splitlines()[-1] == (
        f"error: port {port} is already in use (another server listens on it); not starting"
    )


def balances(port: int, key: str, count: int) -> list[object]:
    answers = []
    for _ in range(count):  # a new connection each time, so the kernel picks a socket anew
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v2", data={"key": key, "action": "balance"}, timeout=10
        )
        answers.append(response.json())
    return answers


def funded_key(settings: Settings) -> str:
    store = Store.open(settings)
    try:
        return open_account(store, deposit="7")[1]
    finally:
        store.close()


def test_a_second_deployment_on_a_taken_port_is_refused_and_the_first_keeps_all_traffic(
    settings: Settings, tmp_path: Path
) -> None:
    key = funded_key(settings)
    other = Settings(postgres=None, data_dir=tmp_path / "other")
    funded_key(other)
    port = free_port()
    with deployment(settings, port):
        assert_refused(serve(other, port), port)
        assert balances(port, key, 10) == [{"balance": "7.00000", "currency": "USD"}] * 10


def test_a_single_worker_deployment_is_refused_on_a_taken_port_too(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    with deployment(settings, port):
        other = Settings(postgres=None, data_dir=tmp_path / "other")
        assert_refused(serve(other, port, workers=1), port)


def test_a_worker_that_dies_is_replaced_on_the_same_port(settings: Settings) -> None:
    key = funded_key(settings)
    port = free_port()
    with deployment(settings, port) as supervisor:
        workers = [p for p in children(supervisor.pid) if "spawn_main" in cmdline(p)]
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            now = [p for p in children(supervisor.pid) if "spawn_main" in cmdline(p)]
            if workers[0] not in now and len(now) == 2 and listening(port) == 2:
                break
            assert time.monotonic() < deadline, "the dead worker was not replaced"
            time.sleep(0.2)
        assert balances(port, key, 10) == [{"balance": "7.00000", "currency": "USD"}] * 10


def test_of_two_deployments_started_at_once_exactly_one_serves(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    other = Settings(postgres=None, data_dir=tmp_path / "other")
    both = [serve(settings, port), serve(other, port)]
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while sum(p.poll() is None for p in both) > 1 or listening(port) < 2:
            assert time.monotonic() < deadline, "not exactly one deployment started"
            time.sleep(0.1)
        refused = [p for p in both if p.poll() is not None]
        assert len(refused) == 1 and refused[0].returncode == 1
        assert listening(port) == 2
    finally:
        for process in both:
            stop(process)
