"""`serve` keeps its projector process running: started again when it dies, stopped with
`serve` (its standard input closed), killed if it will not stop."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from orderledger.cli import projector
from orderledger.cli.projector import ProjectorProcess
from orderledger.http.logs import log_config


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


def test_a_projector_process_that_dies_is_started_again(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    crashing = python(f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)")
    with ProjectorProcess(crashing) as supervisor:
        wait_until(lambda: starts.exists() and len(starts.read_text()) >= 3)
    assert supervisor.starts >= 3
    assert not supervisor.thread.is_alive()


def test_stopping_closes_the_childs_input_and_it_exits_on_its_own(tmp_path: Path) -> None:
    said = tmp_path / "said"
    waiting = python(f"import sys; sys.stdin.buffer.read(); open({str(said)!r}, 'w').write('bye')")
    with ProjectorProcess(waiting) as supervisor:
        wait_until(lambda: supervisor.process is not None)
    assert supervisor.process is not None and supervisor.process.returncode == 0
    assert said.read_text() == "bye"
    assert supervisor.starts == 1  # a child stopped on purpose is not started again
    assert not supervisor.thread.is_alive()


def test_a_process_not_wanted_yet_is_started_once_it_is_and_never_asked_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The forwarder's, say: `serve` starts it once the store has an upstream."""
    monkeypatch.setattr(projector, "WANTED_SECONDS", 0.02)
    wanted = threading.Event()
    asked = 0

    def upstream_added() -> bool:
        nonlocal asked
        asked += 1
        return wanted.is_set()

    waiting = python("import sys; sys.stdin.buffer.read()")
    with ProjectorProcess(waiting, wanted=upstream_added) as supervisor:
        wait_until(lambda: asked >= 3)
        assert supervisor.process is None and supervisor.starts == 0
        wanted.set()
        wait_until(lambda: supervisor.process is not None)
        then = asked
        time.sleep(0.2)
        assert asked == then
    assert supervisor.starts == 1


def test_a_process_never_wanted_is_never_started_and_stops_at_once() -> None:
    with ProjectorProcess(python("raise SystemExit(1)"), wanted=lambda: False) as supervisor:
        pass
    assert supervisor.starts == 0 and not supervisor.thread.is_alive()


def test_a_child_that_does_not_stop_is_killed() -> None:
    deaf = python("import time; time.sleep(60)")
    with ProjectorProcess(deaf, stop_seconds=0.5) as supervisor:
        wait_until(lambda: supervisor.process is not None)
    assert supervisor.process is not None
    assert supervisor.process.returncode == -signal.SIGKILL
    assert supervisor.starts == 1


def test_a_projector_process_that_cannot_be_started_is_tried_again(tmp_path: Path) -> None:
    """A start that fails (no such program here: as when the system is out of processes or
    files) is logged and tried again after a pause, instead of ending the supervision."""
    started = tmp_path / "started"
    supervisor = ProjectorProcess([str(tmp_path / "missing")])
    failures = 0
    real_spawn = supervisor.spawn

    def spawn() -> subprocess.Popen[bytes]:
        nonlocal failures
        if failures < 2:
            failures += 1
            return real_spawn()  # the missing program: OSError
        supervisor.command = python(f"open({str(started)!r}, 'w').write('up'); input()")
        return real_spawn()

    supervisor.spawn = spawn  # type: ignore[method-assign]
    with supervisor:
        wait_until(started.exists)
    assert failures == 2
    assert not supervisor.thread.is_alive()


def test_the_projector_process_logs_as_serve_was_told() -> None:
    """`serve --log-level/--log-format` reaches its projector process as it reaches the
    workers: the same configuration, JSON lines included."""
    argv = projector.command("debug", "json")[len(projector.COMMAND) :]
    assert projector.logging_of(argv) == log_config("debug", "json")
    assert projector.logging_of([]) == log_config("info", "text")
