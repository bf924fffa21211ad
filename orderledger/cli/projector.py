"""The live projector of `orderledger serve`, in a process of its own beside the workers.

In a worker, the projector thread shared the interpreter's lock with the event loop and the
command threads: after each of its round trips to PostgreSQL it waited for the lock again,
up to a switch interval (5 ms) each time while those threads were busy, and a wake-up makes
about ten round trips. In a process of its own it waits only for the operating system.

`serve` starts one with `ProjectorProcess` and starts another if it dies (a pause that doubles
while they keep dying). The child leads as every projector does (storage/leadership.py): a
second server's projector waits for the lock and takes over when this one goes. It stops when
told (SIGTERM) or when its standard input closes: `serve` holds the other end, so a `serve`
killed outright takes its projector with it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import logging.config
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from orderledger.bootstrap import Store
from orderledger.http.logs import FORMATS, LEVELS, log_config
from orderledger.projections.live import LiveProjection
from orderledger.storage.settings import Settings

log = logging.getLogger(__name__)

COMMAND = (sys.executable, "-m", "orderledger.cli.projector")


def command(level: str = "info", form: str = "text") -> list[str]:
    """The projector process's command line, logging as `serve --log-level/--log-format`."""
    return [*COMMAND, "--log-level", level, "--log-format", form]


def logging_of(argv: Sequence[str]) -> dict[str, Any]:
    """The logging configuration the command line asks for (that of `serve`'s workers)."""
    parser = argparse.ArgumentParser(prog="orderledger.cli.projector")
    parser.add_argument("--log-level", choices=LEVELS, default="info")
    parser.add_argument("--log-format", choices=FORMATS, default="text")
    args = parser.parse_args(argv)
    return log_config(args.log_level, args.log_format)


# A child that ran this long was not failing at start-up: the next one starts at once.
STEADY_SECONDS = 10.0
LONGEST_PAUSE = 30.0
STOP_SECONDS = 10.0
# How often a process that is not yet wanted (the forwarder, before any upstream) is asked for.
WANTED_SECONDS = 2.0


class ProjectorProcess:
    """Keeps one projector process running (`command`) until `stop`."""

    def __init__(
        self,
        command: Sequence[str] = COMMAND,
        stop_seconds: float = STOP_SECONDS,
        name: str = "projector",
        wanted: Callable[[], bool] = lambda: True,
    ) -> None:
        self.command = list(command)
        self.name = name  # what the log calls the process: the projector, the forwarder
        # Whether the process has work yet; asked every WANTED_SECONDS until it says so,
        # and never again: once started, the process is kept running.
        self.wanted = wanted
        self.stop_seconds = stop_seconds
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.pause = 0.0
        self.thread = threading.Thread(
            target=self.run, name=f"orderledger-{name}-supervisor", daemon=True
        )

    def __enter__(self) -> ProjectorProcess:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def run(self) -> None:
        while not self.wanted():
            if self.stopping.wait(WANTED_SECONDS):
                return
        while True:
            with self.lock:
                if self.stopping.is_set():
                    return
                try:
                    process = self.process = self.spawn()
                except OSError as error:  # out of processes, memory or files: try again
                    process = None
                    self.pause = min(max(self.pause * 2, 0.5), LONGEST_PAUSE)
                    log.error(
                        "could not start the %s process (%s); trying again in %.1f s",
                        self.name,
                        error,
                        self.pause,
                    )
            if process is None:
                self.stopping.wait(self.pause)
                continue
            began = time.monotonic()
            code = process.wait()
            if self.stopping.is_set():
                return
            steady = time.monotonic() - began >= STEADY_SECONDS
            self.pause = 0.0 if steady else min(max(self.pause * 2, 0.5), LONGEST_PAUSE)
            log.error(
                "the %s process exited (%s); starting another in %.1f s",
                self.name,
                code,
                self.pause,
            )
            self.stopping.wait(self.pause)

    def spawn(self) -> subprocess.Popen[bytes]:
        self.starts += 1
        # stdin is the child's tie to this process: it stops when that closes (see `main`).
        return subprocess.Popen(self.command, stdin=subprocess.PIPE)

    def stop(self) -> None:
        with self.lock:
            self.stopping.set()
            process = self.process
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
            try:
                process.wait(timeout=self.stop_seconds)
            except subprocess.TimeoutExpired:
                log.error(
                    "the %s process did not stop in %.0f s: killed", self.name, self.stop_seconds
                )
                process.kill()
                process.wait()
        if self.thread.is_alive():
            self.thread.join(timeout=self.stop_seconds)


def until_stdin_closes(stopping: threading.Event) -> None:
    with contextlib.suppress(OSError, ValueError):
        while sys.stdin.buffer.read(4096):
            pass
    stopping.set()


def beside_serve(argv: Sequence[str] | None = None) -> threading.Event:
    """Start a process `serve` keeps beside its workers (this projector, the forwarder): it
    logs as `serve`'s command line asks, and the event returned is set when it must stop
    (SIGTERM, or its standard input closed)."""
    logging.config.dictConfig(logging_of(sys.argv[1:] if argv is None else argv))
    stopping = threading.Event()

    def stop(_signal: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    # A terminal's ^C reaches the whole process group: `serve` stops its workers, then this.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=until_stdin_closes, args=(stopping,), daemon=True).start()
    return stopping


def main(argv: Sequence[str] | None = None) -> int:
    stopping = beside_serve(argv)
    store = Store.open(Settings.from_env(), pool_size=2)
    live = LiveProjection(store.projector(), store.leadership())
    try:
        live.start()
        while not stopping.wait(1.0):
            pass
    finally:
        live.stop()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
