"""A store written by the code of commit bc08688 keeps working with this code.

tests/fixtures_old/ holds such a store for each backend (made by its make_store.py with that
code: a few orders in every status, refills in every status, subscriptions, a drip-feed order
mid-way, a prepaid and a postpaid account each past its snapshot) and every answer that code
gave about it. Restored into a fresh database (the fixture itself is never opened), this code
must give the network the same bytes, pass `projections verify` before and after a rebuild, and
go on taking orders and deposits on the accounts past their snapshot after a restart.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.http.app import create_app
from orderledger.projections import account_balance
from orderledger.projections.account_balance import ACCOUNT_BALANCE
from orderledger.projections.catalogue import CATALOGUE
from orderledger.projections.order_links import ORDER_LINKS
from orderledger.projections.order_status import ORDER_STATUS
from orderledger.projections.refill_status import REFILL_STATUS
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings
from orderledger.views.catalogue import linked_services
from tests.conftest import settle, use_settings

FIXTURE = Path(__file__).parent.parent / "fixtures_old"
SQLITE_FILES = ("events.sqlite", "ledger.sqlite")
ACCOUNTS_PAST_A_SNAPSHOT = ("prepaid", "postpaid")


def recorded(settings: Settings) -> dict[str, Any]:
    backend = "sqlite" if settings.postgres is None else "postgres"
    return dict(json.loads((FIXTURE / backend / "answers.json").read_text(encoding="utf-8")))


def psql_free(dump: str) -> str:
    """The dump without psql's own commands (`\\restrict`), which the server does not take."""
    return "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))


def restore(settings: Settings) -> None:
    """A copy of the old store in the test's own (empty) database or data directory."""
    if settings.postgres is None:
        settings.data_dir.mkdir(parents=True)
        for name in SQLITE_FILES:
            shutil.copyfile(FIXTURE / "sqlite" / name, settings.data_dir / name)
        return
    dump = (FIXTURE / "postgres" / "dump.sql").read_text(encoding="utf-8")
    with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
        conn.execute(psql_free(dump).encode())


@pytest.fixture
def old(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The old store restored, opened once by this code, its read models up to date."""
    restore(settings)
    use_settings(monkeypatch, settings)
    store = Store.open(settings)
    try:
        settle(store)
    finally:
        store.close()
    return recorded(settings)


@pytest.fixture
def network(settings: Settings, old: dict[str, Any]) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(create_app(settings)) as client:
        yield client


def asked(client: TestClient, key: str, fields: dict[str, Any]) -> tuple[int, bytes]:  # type: ignore[type-arg]
    response = client.post("/api/v2", data={"key": key, **fields})
    return response.status_code, response.content


def answers_that_differ(client: TestClient, old: dict[str, Any]) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    differing = []
    for then in old["answers"]:
        status, body = asked(client, old["keys"][then["account"]], then["fields"])
        if (status, body) != (then["status_code"], then["body"].encode()):
            differing.append({**then, "now": (status, body.decode())})
    return differing


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    status = main(list(argv))
    return status, capsys.readouterr().out


def test_the_fixture_holds_what_it_claims(settings: Settings, old: dict[str, Any]) -> None:
    actions = {answer["fields"]["action"] for answer in old["answers"]}
    assert actions == {"status", "refill_status", "balance", "services"}
    statuses = {
        json.loads(answer["body"]).get("status")
        for answer in old["answers"]
        if answer["fields"]["action"] == "status" and "order" in answer["fields"]
    }
    assert {"Pending", "Processing", "In progress", "Completed", "Partial"} <= statuses
    assert {"Canceled", "Refunded", "Failed"} <= statuses
    refill_statuses = {
        json.loads(answer["body"]).get("status")
        for answer in old["answers"]
        if answer["fields"]["action"] == "refill_status" and "refill" in answer["fields"]
    }
    assert {"Pending", "In progress", "Completed", "Rejected", "Failed"} <= refill_statuses
    store = Store.open(settings)
    try:
        for name in ACCOUNTS_PAST_A_SNAPSHOT:
            account = store.ledger.account(name)
            assert store.ledger.snapshots is not None
            [snapshot] = store.ledger.snapshots.get(account.id, desc=True, limit=1)
            assert snapshot.originator_version == 200 < account.version
    finally:
        store.close()


def test_every_answer_to_the_network_is_as_the_old_code_gave_it(
    network: TestClient,  # type: ignore[type-arg]
    old: dict[str, Any],
) -> None:
    assert answers_that_differ(network, old) == []


@pytest.mark.parametrize("backend", ["postgres"])  # the stored answers are PostgreSQL's
def test_the_answers_added_to_the_old_rows_are_the_answers_the_old_code_gave(
    settings: Settings, old: dict[str, Any]
) -> None:
    """The old tables had no stored answers: the start added them, and each account's is the
    `balance` the old code answered (which the key's own query now gives whole)."""
    store = Store.open(settings)
    try:
        for then in old["answers"]:
            if then["fields"]["action"] != "balance":
                continue
            holder = store.credentials.find(old["keys"][then["account"]], Role.API)
            assert holder is not None
            with store.db.transaction() as cursor:
                cursor.execute(
                    f"SELECT {account_balance.ANSWER_COLUMN} FROM {ACCOUNT_BALANCE.table} "
                    "WHERE id = %s",
                    (holder.subject,),
                )
                assert cursor.fetchall() == [(then["body"],)], then["account"]
    finally:
        store.close()


def without_makers(history: str) -> list[dict[str, Any]]:
    """The history's entries without `who`, which bc08688 did not print yet."""
    entries = [json.loads(line) for line in history.splitlines()]
    return [{key: value for key, value in e.items() if key != "who"} for e in entries]


def test_the_order_histories_are_as_the_old_code_printed_them(
    old: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    for number, printed in old["histories"].items():
        status, history = cli(capsys, "orders", "history", number, "--json")
        assert (status, without_makers(history)) == (0, without_makers(printed)), number


def test_the_old_store_passes_verify_and_a_rebuild_changes_no_answer(
    settings: Settings, old: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(capsys, "projections", "verify")[0] == 0
    assert cli(capsys, "projections", "rebuild")[0] == 0
    assert cli(capsys, "projections", "verify")[0] == 0
    with TestClient(create_app(settings)) as client:
        assert answers_that_differ(client, old) == []


def balance(client: TestClient, key: str) -> Decimal:  # type: ignore[type-arg]
    status, body = asked(client, key, {"action": "balance"})
    assert status == 200, body
    return Decimal(json.loads(body)["balance"])


def test_the_accounts_past_their_snapshot_take_an_order_and_a_deposit_after_a_restart(
    settings: Settings, old: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    keys = old["keys"]
    with TestClient(create_app(settings)) as client:
        before = {name: balance(client, keys[name]) for name in ACCOUNTS_PAST_A_SNAPSHOT}
    owed = owed_by_postpaid(capsys)
    with TestClient(create_app(settings)) as client:  # a restart: nothing in memory
        fields = {"action": "add", "service": "1", "link": "https://x/new", "quantity": "100"}
        placed = {name: asked(client, keys[name], fields) for name in ACCOUNTS_PAST_A_SNAPSHOT}
        for name, (status, body) in placed.items():
            assert status == 200 and "order" in json.loads(body), (name, body)
            asking = {"action": "status", "order": json.loads(body)["order"]}
            assert json.loads(asked(client, keys[name], asking)[1])["charge"] == "0.25000"
        for name in ACCOUNTS_PAST_A_SNAPSHOT:
            assert cli(capsys, "accounts", "deposit", name, "1")[0] == 0
        settle_all(settings)
        # prepaid: charged 0.25 and given 1; postpaid: shows its fixed figure
        assert balance(client, keys["prepaid"]) == before["prepaid"] - Decimal("0.25") + 1
        assert balance(client, keys["postpaid"]) == before["postpaid"]
    assert owed_by_postpaid(capsys) == owed + Decimal("0.25") - 1
    assert cli(capsys, "projections", "verify")[0] == 0


def owed_by_postpaid(capsys: pytest.CaptureFixture[str]) -> Decimal:
    status, shown = cli(capsys, "accounts", "show", "postpaid")
    assert status == 0
    [owed] = [line.split()[1] for line in shown.splitlines() if line.startswith("owed ")]
    return Decimal(owed)


# bc08688 failed here (KeyError: refill_status has no status for Refill.Claimed).
def test_the_history_of_an_order_whose_refill_was_claimed_is_printed(
    old: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    refilled = old["orders"]["prepaid"]["refilled Completed"]
    assert cli(capsys, "orders", "history", str(refilled), "--json")[0] == 0


def settle_all(settings: Settings) -> None:
    store = Store.open(settings)
    try:
        settle(store)
    finally:
        store.close()


def test_the_start_gives_the_old_tables_the_lists_indexes_and_the_adjustments_column(
    settings: Settings, old: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """The old order-status and refill-status tables gain the indexes `orders list` and
    `refills list` read by, the account-balance table its `adjustments` (zero: no old event
    adjusted anything), and the new order-links read model is folded from the old events."""
    store = Store.open(settings)
    try:
        names = index_names(store)
        for index in ORDER_STATUS.indexes + REFILL_STATUS.indexes:
            assert any(name.endswith(index[0]) for name in names), index
        rows = store.db.alone(f"SELECT DISTINCT adjustments FROM {ACCOUNT_BALANCE.table}")
        assert rows == [("0.00000",)]
        placed = store.db.alone(f"SELECT count(*) FROM {ORDER_STATUS.table}")
        assert store.db.alone(f"SELECT count(*) FROM {ORDER_LINKS.table}") == placed
    finally:
        store.close()
    status, out = cli(capsys, "orders", "list", "--limit", "1000", "--json")
    assert status == 0 and len(json.loads(out)["orders"]) == placed[0][0]
    assert cli(capsys, "accounts", "adjust", "prepaid", "-0.5", "--note", "correction")[0] == 0
    settle_all(settings)
    assert cli(capsys, "projections", "verify")[0] == 0


def test_the_old_catalogue_table_gains_its_links_unlinked_and_takes_one(
    settings: Settings, old: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """The catalogue table made before upstreams gains `upstream` and `upstream_service`,
    every old service unlinked; a link recorded now is in it, and verify agrees."""
    store = Store.open(settings)
    try:
        rows = store.db.alone(f"SELECT DISTINCT upstream, upstream_service FROM {CATALOGUE.table}")
        assert rows == [("", 0)]
        assert linked_services(store.db) == {}
        number = int(store.db.alone(f"SELECT min(number) FROM {CATALOGUE.table}")[0][0])
        store.ledger.add_upstream("bulk", "https://provider.example/api/v2")
        store.ledger.link_service(number, "bulk", 501)
        settle(store)
        assert linked_services(store.db) == {number: ("bulk", 501)}
    finally:
        store.close()
    settle_all(settings)
    assert cli(capsys, "projections", "verify")[0] == 0


def index_names(store: Store) -> set[str]:
    if store.backend.name == "postgres":
        rows = store.db.alone("SELECT indexname FROM pg_indexes")
    else:
        rows = store.db.alone("SELECT name FROM sqlite_master WHERE type = 'index'")
    return {str(row[0]) for row in rows}
