"""At start, as an operator meets it: a bad setting is one line, a command never makes an empty
store of its own, whatever it does not find is named with the store it read, and `serve` says
once where it listens."""

from __future__ import annotations

import argparse
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import psycopg
import pytest

from orderledger.cli.main import main, parser
from orderledger.storage.settings import Settings
from tests.conftest import use_settings
from tests.integration.servers import environment, stop_server

# The commands that set a deployment up: they make the store where there is none.
MAKE_A_STORE = {("serve",), ("accounts", "create"), ("services", "import")}
MAKE_A_STORE |= {("operators", "create"), ("auditors", "create"), ("upstreams", "add")}
# bench makes its own databases; it reads no store of the operator's.
NO_STORE = {("bench",)}


def leaf_commands(
    command: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    groups = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        yield path, command
        return
    for name, sub in groups[0].choices.items():
        yield from leaf_commands(sub, (*path, name))


def typed(path: tuple[str, ...], command: argparse.ArgumentParser) -> list[str]:
    """The command with a plausible value for each argument it requires."""
    argv = list(path)
    for action in command._actions:
        if action.option_strings:
            if action.required:
                argv += [action.option_strings[0], "1"]
        elif action.nargs not in ("?", "*"):
            argv.append("1")
    return argv


COMMANDS = [typed(path, command) for path, command in leaf_commands(parser())]


def sets_up_or_needs_no_store(argv: list[str]) -> bool:
    return any(tuple(argv[: len(path)]) == path for path in MAKE_A_STORE | NO_STORE)


READING = [argv for argv in COMMANDS if not sets_up_or_needs_no_store(argv)]


def orderledger(
    *argv: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orderledger.cli.main", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def sqlite_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERLEDGER_")}
    return {**env, **settings}


# --- a bad setting ---


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_every_command_refuses_a_bad_setting_in_one_line_before_doing_anything(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    monkeypatch.setenv("ORDERLEDGER_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ORDERLEDGER_COMMAND_THREADS", "abc")
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.err == (
        "error: ORDERLEDGER_COMMAND_THREADS='abc': expected a whole number from 1 to 1024\n"
    )
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("ORDERLEDGER_COMMAND_THREADS", "abc", "expected a whole number from 1 to 1024"),
        (
            "ORDERLEDGER_ERRORS_AS_200",
            "ture",
            "expected true or false (or 1/0, yes/no, y/n, on/off)",
        ),
        ("ORDERLEDGER_READ_POOL_SIZE", "0", "expected a whole number from 1 to 1024"),
    ],
)
@pytest.mark.parametrize(
    "command", [["serve", "--port", "0", "--workers", "2"], ["services", "list"]]
)
def test_a_bad_setting_stops_serve_and_commands_with_one_line_and_status_1(
    tmp_path: Path, setting: str, value: str, said: str, command: list[str]
) -> None:
    env = sqlite_env(ORDERLEDGER_DATA_DIR=str(tmp_path / "var"), **{setting: value})
    done = orderledger(*command, env=env)
    assert done.returncode == 1
    assert done.stderr == f"error: {setting}={value!r}: {said}\n"
    assert not (tmp_path / "var").exists()


# --- which store ---


@pytest.mark.parametrize("argv", READING, ids=[" ".join(a) for a in READING])
def test_a_command_that_does_not_set_up_a_store_refuses_where_there_is_none(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    absent = tmp_path / "elsewhere" / "var"
    monkeypatch.delenv("ORDERLEDGER_DATABASE_URL", raising=False)
    monkeypatch.setenv("ORDERLEDGER_DATA_DIR", str(absent))
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: no store in embedded SQLite in {absent}: ")
    assert "ORDERLEDGER_DATA_DIR" in err and err.count("\n") == 1
    assert not absent.exists() and not absent.parent.exists()


def test_on_postgresql_a_database_without_a_store_is_refused_and_left_as_it_was(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    if settings.postgres is None:
        pytest.skip("about PostgreSQL")
    use_settings(monkeypatch, settings)  # the settings fixture emptied the database
    assert main(["accounts", "show", "net"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"error: no store in {settings.describe()}: check ORDERLEDGER_DATABASE_URL"
    )
    with psycopg.connect(settings.postgres.conninfo()) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)


def test_a_command_run_from_another_folder_names_the_store_it_looked_in(tmp_path: Path) -> None:
    deploy, elsewhere = tmp_path / "deploy", tmp_path / "elsewhere"
    deploy.mkdir()
    elsewhere.mkdir()
    env = sqlite_env()
    made = orderledger("accounts", "create", "net", env=env, cwd=deploy)
    assert made.returncode == 0, made.stderr
    assert made.stderr == f"made a new store: embedded SQLite in {deploy / 'var'}\n"

    lost = orderledger("accounts", "show", "net", env=env, cwd=elsewhere)
    assert lost.returncode == 1
    assert lost.stderr.startswith(f"error: no store in embedded SQLite in {elsewhere / 'var'}: ")
    assert lost.stderr.count("\n") == 1 and list(elsewhere.iterdir()) == []

    told = sqlite_env(ORDERLEDGER_DATA_DIR="../deploy/var")
    found = orderledger("accounts", "show", "net", env=told, cwd=elsewhere)
    assert found.returncode == 0 and "net" in found.stdout and found.stderr == ""
    unknown = orderledger("orders", "complete", "7", env=told, cwd=elsewhere)
    assert unknown.returncode == 1
    assert unknown.stderr == f"error: no order 7 in embedded SQLite in {deploy / 'var'}\n"

    again = orderledger("operators", "create", "bot", env=env, cwd=deploy)
    assert again.returncode == 0 and "made a new store" not in again.stderr


def test_a_dry_run_of_an_import_makes_no_store(tmp_path: Path) -> None:
    catalogue = tmp_path / "services.json"
    catalogue.write_text("[]")
    env = sqlite_env(ORDERLEDGER_DATA_DIR=str(tmp_path / "var"))
    done = orderledger("services", "import", str(catalogue), "--dry-run", env=env)
    assert done.returncode == 1 and "no store in" in done.stderr
    assert not (tmp_path / "var").exists()


# --- where serve listens ---

SERVE = [sys.executable, "-m", "orderledger.cli.main", "serve"]


def lines_of(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's stdout, line by line as it comes ("" at its end), read by a thread so a
    line that never comes fails the test after a wait instead of hanging it."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put("")

    threading.Thread(target=read, daemon=True).start()
    return lines


def until_answered(url: str, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 60  # a noisy machine starts two workers slowly
    while True:
        try:
            return httpx.post(url, data={"key": "nope", "action": "balance"}, timeout=2)
        except httpx.TransportError:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_says_once_where_it_listens_whatever_the_number_of_workers(
    settings: Settings, workers: int
) -> None:
    process = subprocess.Popen(
        [*SERVE, "--port", "0", "--workers", str(workers)],
        env=environment(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines = lines_of(process)
    try:
        assert lines.get(timeout=60) == f"orderledger on {settings.describe()}\n"
        said = lines.get(timeout=60).strip()
        plural = "s" if workers > 1 else ""
        assert said.startswith("listening on http://127.0.0.1:")
        assert said.endswith(f"/api/v2 ({workers} worker{plural})")
        url = said.removeprefix("listening on ").split(" ")[0]
        assert not url.startswith("http://127.0.0.1:0/")  # port 0: the port it was given
        assert until_answered(url, process).json() == {"error": "Invalid API key"}
    finally:
        stop_server(process)
    rest = list(iter(partial(lines.get, timeout=15), ""))
    assert not [line for line in rest if line.startswith("listening on")]
