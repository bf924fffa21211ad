"""Run `orderledger serve` as a real subprocess for end-to-end tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from orderledger.bench.servers import children
from orderledger.storage.settings import Settings


def environment(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ORDERLEDGER_DATABASE_URL", None)
    if settings.postgres is not None:
        env["ORDERLEDGER_DATABASE_URL"] = settings.postgres.url()
    env["ORDERLEDGER_DATA_DIR"] = str(settings.data_dir)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(url: str, process: subprocess.Popen[Any]) -> None:
    """Until the server answers; it failing to start fails at once, not after the wait."""
    deadline = time.monotonic() + 60  # a noisy machine starts two workers slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            httpx.post(url, data={}, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


def serve_command(port: int, workers: int, *args: str) -> list[str]:
    """`orderledger serve` on this port, as a user starts it."""
    return [
        sys.executable,
        "-m",
        "orderledger.cli.main",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        *args,
    ]


@contextmanager
def running_server(settings: Settings, workers: int = 2) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        serve_command(port, workers),
        env=environment(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/v2"
    try:
        wait_until_serving(url, process)
        yield url
    finally:
        stop_server(process)


def stop_server(process: subprocess.Popen[Any]) -> None:
    """Stop it as an operator would; one that does not stop is killed, workers and all."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        for pid in [*children(process.pid), process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=15)
