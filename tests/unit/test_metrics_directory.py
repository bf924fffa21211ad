"""serve's metrics directory: fresh for each server, gone after it, and after a killed one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orderledger.http.server import MULTIPROC_DIR, metrics_directory


def test_each_server_gets_a_fresh_directory_removed_when_it_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv(MULTIPROC_DIR, "/somewhere/an/operator/set")
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # read TMPDIR again
    with metrics_directory():
        directory = Path(os.environ[MULTIPROC_DIR])
        assert directory.parent == tmp_path and directory.is_dir()
        (directory / "counter_1.db").write_bytes(b"x")
    assert not directory.exists()
    assert os.environ[MULTIPROC_DIR] == "/somewhere/an/operator/set"


def test_the_directory_of_a_killed_server_is_removed_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = tmp_path / f"orderledger-metrics-{ended.stdout.strip()}-abc"
    alive = tmp_path / f"orderledger-metrics-{os.getpid()}-def"
    dead.mkdir()
    alive.mkdir()
    with metrics_directory():
        pass
    assert not dead.exists()
    assert alive.exists()  # a server still running keeps its own
