"""Dropped and terminated PostgreSQL connections: every answer still tells what was committed.

PostgreSQL only (SQLite has no connections to lose). The shared server is never restarted:
its backends are terminated (`pg_terminate_backend`), or the server under test reaches it
through a proxy that can go down (see pg_proxy).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from logging.handlers import BufferingHandler

import httpx
import psycopg
import pytest
from litestar.testing import TestClient
from psycopg.conninfo import conninfo_to_dict

from orderledger.application.ledger import Ledger
from orderledger.bootstrap import Store
from orderledger.http.app import create_app
from orderledger.storage import event_recorder
from orderledger.storage.locks import ACCOUNT_LOCK_SPACE
from orderledger.storage.pools import FreshConnectionPool
from orderledger.storage.settings import PostgresAddress, Settings
from tests.conftest import entry, open_account
from tests.integration.faults import (
    add,
    call,
    eventually,
    placed_links,
    succeeded,
    terminate_backends,
)
from tests.integration.pg_proxy import postgres_proxy
from tests.integration.servers import running_server


@pytest.fixture(autouse=True)
def small_pools(monkeypatch: pytest.MonkeyPatch) -> None:
    """Servers started here open fewer connections: the PostgreSQL server is shared, and
    pools refilling at once after a termination would otherwise reach its max_connections."""
    monkeypatch.setenv("ORDERLEDGER_COMMAND_THREADS", "6")
    monkeypatch.setenv("ORDERLEDGER_READ_POOL_SIZE", "3")


@pytest.fixture
def key(store: Store) -> str:
    store.ledger.sync_services([entry(1)])
    _, api_key = open_account(store, deposit="1000")
    return api_key


def charges(store: Store) -> Decimal:
    return store.ledger.account("network").charges


# pg_locks shows the whole server's locks; other test runs hold the same keys elsewhere.
THIS_DATABASE = "database = (SELECT oid FROM pg_database WHERE datname = current_database())"


def lock_holders(conn: psycopg.Connection[tuple[object, ...]]) -> list[int]:
    rows = conn.execute(
        f"SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND granted "
        f"AND {THIS_DATABASE}",
        (ACCOUNT_LOCK_SPACE,),
    ).fetchall()
    return [int(row[0]) for row in rows]


def waiting_for_the_events_table(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM pg_locks WHERE relation = 'orderledger_events'::regclass "
        f"AND NOT granted AND {THIS_DATABASE}"
    ).fetchone()
    return bool(row and row[0])


def test_an_add_whose_lock_connection_dies_after_its_commit_is_answered_with_its_order(
    postgres: PostgresAddress, settings: Settings, store: Store, key: str
) -> None:
    with (
        running_server(settings, workers=1) as url,
        psycopg.connect(postgres.conninfo()) as blocker,
    ):
        assert succeeded(add(url, key, "first"))
        # Hold the events table, so the next batch waits inside its account's turn.
        blocker.execute("LOCK TABLE orderledger_events IN EXCLUSIVE MODE")
        answers: list[httpx.Response] = []
        sender = threading.Thread(target=lambda: answers.append(add(url, key, "second")))
        sender.start()
        with psycopg.connect(postgres.conninfo(), autocommit=True) as watcher:
            eventually(lambda: lock_holders(watcher) and waiting_for_the_events_table(watcher))
            for pid in lock_holders(watcher):
                watcher.execute("SELECT pg_terminate_backend(%s)", (pid,))
        blocker.commit()  # the batch commits; the connection holding its turn is gone
        sender.join(timeout=60)
        assert answers, "the add was never answered"
        placed = placed_links(store)
        assert "second" in placed, "the order was not committed"
        assert answers[0].status_code == 200
        assert answers[0].json() == {"order": placed["second"]}
        assert charges(store) == Decimal("0.50")


def test_an_add_whose_connection_dies_during_its_commit_is_answered_with_its_order(
    postgres: PostgresAddress, settings: Settings, store: Store, key: str
) -> None:
    with (
        postgres_proxy(postgres) as proxy,
        running_server(proxy.settings(settings), workers=1) as url,
    ):
        assert succeeded(add(url, key, "first"))
        cut = proxy.cut_at_commit(b"order:Order.Placed")
        answer = add(url, key, "second")
        assert cut.is_set(), "no COMMIT of the order was cut"
        placed = placed_links(store)
        assert "second" in placed, "the cut COMMIT did not commit"
        assert answer.status_code == 200
        assert answer.json() == {"order": placed["second"]}
        assert charges(store) == Decimal("0.50")


def cut_commands(store: Store) -> dict[str, tuple[bytes, Callable[[Ledger], object]]]:
    """Commands of the operator, a bot and the network: the marker of the event each
    records, and the command (on a ledger reached through the proxy)."""
    store.ledger.sync_services([entry(1), entry(2, refill=True)])
    account = store.ledger.account("network")
    failing = store.ledger.place_order(account.id, 1, {"link": "to-fail", "quantity": "100"})
    refilled = store.ledger.place_order(account.id, 2, {"link": "to-refill", "quantity": "100"})
    store.ledger.complete_order(refilled.number)
    return {
        "deposit": (
            b"account:Account.Deposited",
            lambda ledger: ledger.deposit("network", Decimal("5")),
        ),
        "fail report": (
            b"order:Order.Failed",
            lambda ledger: ledger.fail_order(failing.number, "no such profile"),
        ),
        "refill request": (
            b"refill:Refill.Requested",
            lambda ledger: ledger.request_refill(account.id, refilled.number),
        ),
    }


def recorded(store: Store) -> tuple[Decimal, int]:
    """The balance, and how many events the store holds."""
    events = store.ledger.recorder.select_notifications(start=None, limit=1_000_000)
    return store.ledger.account("network").balance, len(events)


# (balance moved, events recorded) by doing each command once
DONE_ONCE = {
    "deposit": (Decimal("5"), 1),  # the deposit
    "fail report": (Decimal("0.25"), 3),  # Failed, the refund, the link freed
    "refill request": (Decimal("0"), 2),  # the refill, and its order's note of it
}


def run_with_its_commit_cut(
    postgres: PostgresAddress, settings: Settings, store: Store, command: str
) -> tuple[Decimal, int]:
    """Run the command on a ledger whose COMMIT of it is cut; what it moved and recorded."""
    marker, run = cut_commands(store)[command]
    balance, events = recorded(store)
    with postgres_proxy(postgres) as proxy:
        operator = Store.open(proxy.settings(settings))  # as the CLI or a server opens it
        try:
            cut = proxy.cut_at_commit(marker)
            run(operator.ledger)  # answered as done, not refused
            assert cut.is_set(), "no COMMIT was cut"
        finally:
            operator.close()
    new_balance, new_events = recorded(store)
    return new_balance - balance, new_events - events


@pytest.mark.parametrize("command", list(DONE_ONCE))
def test_a_command_whose_connection_dies_during_its_commit_is_done_once(
    postgres: PostgresAddress, settings: Settings, store: Store, key: str, command: str
) -> None:
    assert run_with_its_commit_cut(postgres, settings, store, command) == DONE_ONCE[command]


def test_a_commit_cut_once_the_time_to_retry_is_spent_is_still_looked_up_before_failing(
    postgres: PostgresAddress,
    settings: Settings,
    store: Store,
    key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No time left to try again: the deposit must still learn that its COMMIT was carried out.
    monkeypatch.setattr(event_recorder, "FIND_OUT_SECONDS", 0.0)
    assert run_with_its_commit_cut(postgres, settings, store, "deposit") == DONE_ONCE["deposit"]


def projected_orders(address: PostgresAddress) -> int:
    with psycopg.connect(address.conninfo()) as conn:
        row = conn.execute("SELECT count(*) FROM orderledger_order_status").fetchone()
    return int(row[0]) if row else 0


def projection_catches_up(address: PostgresAddress, store: Store) -> None:
    """The server's live projector (and its leadership) came through the fault too."""
    placed = len(placed_links(store))
    eventually(lambda: projected_orders(address) == placed, timeout=20)


def mixed_calls(url: str, key: str, count: int, tag: str) -> list[httpx.Response]:
    """`count` calls of the network at once: adds, status polls and balances."""

    def one(i: int) -> httpx.Response:
        match i % 3:
            case 0:
                return add(url, key, f"{tag}-{i}")
            case 1:
                return call(url, key, action="status", order="1")
            case _:
                return call(url, key, action="balance")

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def test_no_request_fails_after_every_backend_was_terminated(
    postgres: PostgresAddress, settings: Settings, store: Store, key: str
) -> None:
    with running_server(settings, workers=1) as url:
        assert succeeded(add(url, key, "first"))  # order 1, which the status polls ask for
        assert all(map(succeeded, mixed_calls(url, key, 48, "warm")))
        assert terminate_backends(postgres) > 0
        time.sleep(0.5)
        after = mixed_calls(url, key, 80, "after")
        failed = [(r.status_code, r.text) for r in after if not succeeded(r)]
        assert failed == []
        projection_catches_up(postgres, store)


def test_while_postgresql_is_down_the_answer_is_a_json_503_with_retry_after(
    postgres: PostgresAddress, settings: Settings, store: Store, key: str
) -> None:
    with (
        postgres_proxy(postgres) as proxy,
        running_server(proxy.settings(settings), workers=1) as url,
    ):
        assert succeeded(add(url, key, "first"))  # order 1, which the status polls ask for
        assert all(map(succeeded, mixed_calls(url, key, 24, "warm")))
        proxy.go_down()
        down = call(url, key, action="balance")
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/json"
        assert "error" in down.json()
        assert int(down.headers["retry-after"]) > 0
        refused = add(url, key, "while-down")
        assert refused.status_code == 503 and "retry-after" in refused.headers
        proxy.come_back()
        after = mixed_calls(url, key, 40, "after")
        failed = [(r.status_code, r.text) for r in after if not succeeded(r)]
        assert failed == []
        assert "while-down" not in placed_links(store)
        projection_catches_up(postgres, store)


@dataclass
class Load:
    """Adds sent from several threads until stopped, each with its own link."""

    url: str
    key: str
    answers: dict[str, httpx.Response | Exception] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def client(self, name: int) -> None:
        i = 0
        while not self.stop.is_set():
            link = f"load-{name}-{i}"
            i += 1
            try:
                self.answers[link] = add(self.url, self.key, link)
            except httpx.HTTPError as error:
                self.answers[link] = error


TERMINATIONS = 3
SSL_REQUEST = (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")


def describe(answer: httpx.Response | Exception) -> str:
    if isinstance(answer, Exception):
        return type(answer).__name__
    return f"{answer.status_code} {answer.text}"


@pytest.mark.slow
def test_terminating_every_backend_under_load_fails_no_committed_add(
    postgres: PostgresAddress, settings: Settings, store: Store, key: str
) -> None:
    with running_server(settings, workers=2) as url:
        assert succeeded(add(url, key, "first"))
        load = Load(url, key)
        clients = [threading.Thread(target=load.client, args=(n,)) for n in range(8)]
        for client in clients:
            client.start()
        try:
            for _ in range(TERMINATIONS):
                time.sleep(1.0)
                terminate_backends(postgres)
            time.sleep(1.0)
        finally:
            load.stop.set()
            for client in clients:
                client.join(timeout=60)
        time.sleep(1.0)  # 2 s after the last termination
        after = mixed_calls(url, key, 80, "after")
        placed = placed_links(store)
        projection_catches_up(postgres, store)

    ok = {link: a for link, a in load.answers.items() if not isinstance(a, Exception)}
    ok = {link: a for link, a in ok.items() if succeeded(a)}
    failed = [link for link in load.answers if link not in ok]
    failed_but_committed = [link for link in failed if link in placed]
    answered_but_missing = [link for link, a in ok.items() if placed.get(link) != a.json()["order"]]
    reasons = Counter(describe(load.answers[link]) for link in failed)
    failures_after = [(r.status_code, r.text) for r in after if not succeeded(r)]
    print(
        f"\nterminate-all fault test: {TERMINATIONS} terminations, {len(load.answers)} adds "
        f"sent, {len(ok)} answered OK, {len(failed)} failed, {len(failed_but_committed)} of "
        f"the failed were committed; 2 s after: {len(failures_after)} failures of {len(after)}"
        f"; failures: {dict(reasons)}"
    )
    assert failed_but_committed == []
    assert answered_but_missing == []
    assert failures_after == []
    assert len(ok) > 0


def test_a_closed_proxy_leaves_no_port_listening_and_no_thread_behind(
    postgres: PostgresAddress,
) -> None:
    with postgres_proxy(postgres) as proxy:
        port = proxy.port
        with socket.create_connection(("127.0.0.1", port), timeout=5) as through:
            through.sendall(SSL_REQUEST)
            assert through.recv(1) in (b"N", b"S")  # PostgreSQL answered through the proxy
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    eventually(lambda: not any(t.name == "pg-proxy" for t in threading.enumerate()))


def test_the_proxy_stands_in_for_a_server_configured_by_its_url(
    postgres: PostgresAddress,
) -> None:
    configured = PostgresAddress.from_url(f"{postgres.url()}?application_name=test")
    with postgres_proxy(postgres) as proxy:
        through = conninfo_to_dict(proxy.address(configured).conninfo())
    assert (through["host"], through["port"]) == ("127.0.0.1", str(proxy.port))


def test_a_pooled_connection_is_handed_out_in_a_process_with_many_files_open(
    postgres: PostgresAddress,
) -> None:
    # A busy server's sockets number past 1024, where select() cannot look.
    pipes = [os.pipe() for _ in range(600)]
    try:
        pool: FreshConnectionPool[psycopg.Connection[tuple[object, ...]]] = FreshConnectionPool(
            postgres.conninfo(), min_size=1, max_size=1, open=True
        )
        with pool, pool.connection() as conn:
            assert conn.fileno() > 1024
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        for pipe in pipes:
            for end in pipe:
                os.close(end)


def test_a_fault_that_is_not_an_outage_is_logged_with_its_traceback(
    postgres: PostgresAddress, settings: Settings, store: Store, key: str
) -> None:
    logged = BufferingHandler(capacity=100)
    logging.getLogger("orderledger.http.app").addHandler(logged)
    try:
        with TestClient(create_app(settings, projector=False)) as client:
            with psycopg.connect(postgres.conninfo(), autocommit=True) as conn:
                conn.execute("DROP TABLE orderledger_events")  # a broken schema: no outage
            fields = {"action": "add", "service": "1", "link": "x", "quantity": "100"}
            answer = client.post("/api/v2", data={"key": key, **fields})
    finally:
        logging.getLogger("orderledger.http.app").removeHandler(logged)
    assert answer.status_code == 503
    [record] = logged.buffer
    assert (record.levelname, record.exc_info is not None) == ("ERROR", True)


def test_the_lock_holders_terminated_are_only_this_databases(postgres: PostgresAddress) -> None:
    # Other test runs share the server, each in its own database, with the same lock keys.
    elsewhere = replace(postgres, dbname="postgres")
    with (
        psycopg.connect(elsewhere.conninfo(), autocommit=True) as other_run,
        psycopg.connect(postgres.conninfo(), autocommit=True) as watcher,
    ):
        other_run.execute("SELECT pg_advisory_lock(%s, 1)", (ACCOUNT_LOCK_SPACE,))
        assert lock_holders(watcher) == []
