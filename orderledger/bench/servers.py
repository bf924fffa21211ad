"""The servers under test, as subprocesses on loopback: started, awaited, measured, stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HOST = "127.0.0.1"
STARTUP_SECONDS = 60.0


class ServerFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def workers(self) -> list[int]:
        """The uvicorn worker processes (the server process itself with one worker)."""
        spawned = [pid for pid in children(self.process.pid) if "spawn_main" in cmdline(pid)]
        return spawned or [self.process.pid]

    def peak_worker_rss_mb(self) -> float:
        return max(peak_rss_kb(pid) for pid in self.workers()) / 1024

    def child(self, module: str) -> int:
        """The process of serve's that runs `python -m module` (its projector, forwarder)."""
        for pid in children(self.process.pid):
            if f"-m {module} " in cmdline(pid) + " ":
                return pid
        raise ServerFailed(f"no {module} process under server {self.process.pid}")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; the ppid follows the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cpu_seconds(pid: int) -> float:
    """The user and system CPU the process has used so far (/proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()  # from the state, the stat's third field
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def peak_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise ServerFailed(f"no VmHWM for process {pid}")


def listening(port: int) -> int:
    """How many sockets listen on the port: one per worker (see `http.reuse_port`)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                count += 1
    return count


def wait_until_answering(server: Server, workers: int = 1) -> None:
    """Until the server answers and every worker listens. A worker listens once its app has
    started; load that began before the last one did would open every connection to the
    others, and measure fewer workers than asked for."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerFailed(f"server exited; see {server.log}:\n{tail(server.log)}")
        try:
            httpx.post(f"http://{HOST}:{server.port}/api/v2", data={}, timeout=2.0)
            if listening(server.port) >= workers:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise ServerFailed(f"server did not answer within {STARTUP_SECONDS:.0f} s; see {server.log}")


def tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def running(
    command: Sequence[str],
    log: Path,
    env: dict[str, str] | None = None,
    port: int = 0,
    workers: int = 1,
) -> Iterator[Server]:
    """Start a server on a free port (passed as `--port`), wait until its workers answer,
    stop it."""
    port = port or free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    server = Server(process, port, log)
    try:
        wait_until_answering(server, workers)
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # uvicorn shuts its workers down gracefully
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def orderledger_command(workers: int) -> list[str]:
    return [sys.executable, "-m", "orderledger.cli.main", "serve", "--workers", str(workers)]


def baseline_command(workers: int) -> list[str]:
    return [sys.executable, "-m", "orderledger.bench.baseline", "--workers", str(workers)]
