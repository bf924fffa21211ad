"""Backups restore: `orderledger backup` (SQLite) and pg_dump / pg_restore (PostgreSQL) give a
store that passes `projections verify` and answers `status` and `balance` exactly as the
original did; a SQLite backup taken while orders are being placed is consistent."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from litestar.testing import TestClient

from orderledger.bench.postgres import fresh_database
from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.http.app import create_app
from orderledger.storage.settings import PostgresAddress, Settings
from tests.conftest import ADMIN_URL, entry, open_account, use_settings
from tests.integration.servers import running_server

pytestmark = pytest.mark.slow


def command(monkeypatch: pytest.MonkeyPatch, settings: Settings, *argv: str) -> int:
    """An `orderledger` command, as typed, on the store of `settings`."""
    with monkeypatch.context() as patched:
        use_settings(patched, settings)
        return main(list(argv))


def api(client: TestClient, key: str, **fields: Any) -> Any:  # type: ignore[type-arg]
    response = client.post("/api/v2", data={"key": key, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def make_history(settings: Settings) -> tuple[str, list[int]]:
    """A store with orders in every kind of state, a refill and a cancel request; the
    account's key and the orders."""
    store = Store.open(settings)
    try:
        store.ledger.sync_services([entry(1, cancel=True, refill=True), entry(2)])
        _, key = open_account(store, deposit="100")
    finally:
        store.close()
    with TestClient(create_app(settings)) as client:
        numbers = [
            api(client, key, action="add", service=1 + n % 2, link=f"https://x/{n}", quantity=1000)[
                "order"
            ]
            for n in range(6)
        ]
    store = Store.open(settings)
    try:
        first, second, third, fourth = numbers[:4]
        store.ledger.start_order(first, 10)
        store.ledger.report_delivery(first, 1000)
        store.ledger.complete_order(first)
        store.ledger.start_order(second, 0)
        store.ledger.report_delivery(second, 400)
        store.ledger.stop_partial(second, 600)
        store.ledger.cancel_order(third)
        store.ledger.start_order(fourth, 5)
        store.ledger.report_delivery(fourth, 250)
    finally:
        store.close()
    with TestClient(create_app(settings)) as client:
        assert "refill" in api(client, key, action="refill", order=first)
        assert "cancel" in api(client, key, action="cancel", order=numbers[4])
    return key, numbers


def answers(settings: Settings, key: str, numbers: list[int]) -> dict[str, Any]:
    """What the network is told about the orders, their refills and the balance."""
    with TestClient(create_app(settings)) as client:
        return {
            "status": api(client, key, action="status", orders=",".join(map(str, numbers))),
            "refills": api(client, key, action="refill_status", refills="1,2"),
            "balance": api(client, key, action="balance"),
        }


def test_a_sqlite_backup_restores_to_the_same_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Settings(postgres=None, data_dir=tmp_path / "var")
    key, numbers = make_history(original)
    before = answers(original, key, numbers)
    assert before["refills"][0]["status"] == "Pending"
    assert {answer["status"] for answer in before["status"].values()} >= {
        "Completed", "Partial", "Canceled", "In progress", "Pending"
    }  # fmt: skip

    assert command(monkeypatch, original, "backup", str(tmp_path / "backup")) == 0
    restored = Settings(postgres=None, data_dir=tmp_path / "restored")
    shutil.copytree(tmp_path / "backup", restored.data_dir)
    assert command(monkeypatch, restored, "projections", "verify") == 0
    assert answers(restored, key, numbers) == before


def test_a_backup_refuses_a_target_that_exists_and_leaves_it_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(postgres=None, data_dir=tmp_path / "var")
    make_history(settings)
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep").write_text("mine")
    assert command(monkeypatch, settings, "backup", str(target)) == 1
    assert "already exists" in capsys.readouterr().err
    assert [path.name for path in target.iterdir()] == ["keep"]


def test_a_sqlite_backup_taken_while_orders_are_placed_is_consistent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(postgres=None, data_dir=tmp_path / "var")
    store = Store.open(settings)
    try:
        store.ledger.sync_services([entry(1)])
        _, key = open_account(store, deposit="100000")
    finally:
        store.close()
    placed: list[int] = []
    with running_server(settings, workers=2) as url:
        stop = threading.Event()

        def place(worker: int) -> None:
            with httpx.Client(timeout=30) as client:
                n = 0
                while not stop.is_set():
                    fields = {"key": key, "action": "add", "service": "1", "quantity": "100"}
                    answer = client.post(url, data={**fields, "link": f"https://x/{worker}/{n}"})
                    placed.append(answer.json()["order"])
                    n += 1

        threads = [threading.Thread(target=place, args=(w,)) for w in range(3)]
        for thread in threads:
            thread.start()
        try:
            backups = []
            for name in ("during-1", "during-2"):
                wait_for(lambda: len(placed) >= 20 * (len(backups) + 1))
                backups.append(tmp_path / name)
                assert command(monkeypatch, settings, "backup", str(backups[-1])) == 0
            wait_for(lambda: len(placed) >= 60)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    for backup in backups:
        restored = Settings(postgres=None, data_dir=tmp_path / f"restored-{backup.name}")
        shutil.copytree(backup, restored.data_dir)
        assert command(monkeypatch, restored, "projections", "verify") == 0
        seen = answers(restored, key, placed)
        kept = [n for n in placed if "status" in seen["status"][str(n)]]
        assert 20 <= len(kept) < len(placed)  # some orders were placed after the backup
        charges = sum(float(seen["status"][str(n)]["charge"]) for n in kept)
        assert float(seen["balance"]["balance"]) == pytest.approx(100000 - charges)
        with TestClient(create_app(restored)) as client:  # the order numbers go on from there
            new = api(client, key, action="add", service=1, link="https://x/new", quantity=100)
            assert new["order"] > max(kept)


def wait_for(condition: Any, timeout: float = 60) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the load did not get going"
        time.sleep(0.05)


@pytest.fixture
def databases() -> Iterator[tuple[PostgresAddress, PostgresAddress]]:
    with (
        fresh_database(ADMIN_URL, prefix="orderledger_test_backup") as source,
        fresh_database(ADMIN_URL, prefix="orderledger_test_restore") as target,
    ):
        yield source, target


def test_a_pg_dump_restores_into_a_fresh_database_with_the_same_answers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    databases: tuple[PostgresAddress, PostgresAddress],
) -> None:
    source, target = databases
    original = Settings(postgres=source, data_dir=tmp_path / "unused")
    key, numbers = make_history(original)
    before = answers(original, key, numbers)
    dump = tmp_path / "orderledger.dump"
    pg = ["--no-password", f"--dbname={source.url()}"]
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", *pg], check=True)
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={target.url()}", str(dump)],
        check=True,
    )
    restored = Settings(postgres=target, data_dir=tmp_path / "unused")
    assert command(monkeypatch, restored, "projections", "verify") == 0
    assert answers(restored, key, numbers) == before
    with psycopg.connect(target.conninfo()) as conn:  # the restored copy is the one answering
        row = conn.execute("SELECT count(*) FROM orderledger_order_status").fetchone()
        assert row is not None and row[0] == len(numbers)
