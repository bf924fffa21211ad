"""ORDERLEDGER_DATABASE_URL: handed to PostgreSQL as written, and a wrong one said in one line."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from orderledger.bootstrap import Store
from orderledger.storage.settings import PostgresAddress, Settings, SettingsError
from tests.integration.servers import environment, free_port


def server_url(address: PostgresAddress, dbname: str, user: str = "postgres") -> str:
    return f"postgresql://{user}@{address.host}:{address.port}/{dbname}"


def wrong_urls(address: PostgresAddress) -> dict[str, tuple[str, str]]:
    """Each wrong setting, with the words the one line must contain."""
    return {
        "nobody listening": (
            f"postgresql://postgres@127.0.0.1:{free_port()}/{address.dbname}",
            "Connection refused",
        ),
        "missing database": (server_url(address, "no_such_db"), '"no_such_db" does not exist'),
        "unknown user": (
            server_url(address, address.dbname, user="no_such_user"),
            '"no_such_user" does not exist',
        ),
        "misspelled option": (
            server_url(address, address.dbname) + "?sslmod=disable",
            "sslmod",
        ),
    }


CASES = ["nobody listening", "missing database", "unknown user", "misspelled option"]


def open_with(url: str, tmp_path: Path) -> Store:
    return Store.open(Settings(postgres=PostgresAddress.from_url(url), data_dir=tmp_path))


@pytest.mark.parametrize("case", CASES)
def test_a_wrong_database_setting_fails_at_once_with_its_cause(
    postgres: PostgresAddress, tmp_path: Path, case: str
) -> None:
    url, cause = wrong_urls(postgres)[case]
    started = time.monotonic()
    with pytest.raises(SettingsError) as raised:
        open_with(url, tmp_path).close()
    assert time.monotonic() - started < 5
    message = str(raised.value)
    assert cause in message
    assert "\n" not in message


@pytest.mark.parametrize("command", [["accounts", "show", "x"], ["serve", "--port", "0"]])
def test_a_command_on_a_missing_database_prints_one_line(
    postgres: PostgresAddress, settings: Settings, command: list[str]
) -> None:
    env = environment(settings)
    env["ORDERLEDGER_DATABASE_URL"] = server_url(postgres, "no_such_db")
    done = subprocess.run(
        [sys.executable, "-m", "orderledger.cli.main", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert '"no_such_db" does not exist' in lines[0]


def test_the_urls_query_options_reach_postgresql(postgres: PostgresAddress, tmp_path: Path) -> None:
    name = f"orderledger_probe_{uuid.uuid4().hex[:8]}"
    url = server_url(postgres, postgres.dbname) + f"?application_name={name}&sslmode=disable"
    store = open_with(url, tmp_path)
    try:
        store.ledger.sync_services([])
        with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
            ).fetchone()
        assert row is not None and row[0] >= 2  # orderledger's own pool and the event store's
    finally:
        store.close()
    with pytest.raises(SettingsError, match="SSL"):
        open_with(server_url(postgres, postgres.dbname) + "?sslmode=require", tmp_path).close()
