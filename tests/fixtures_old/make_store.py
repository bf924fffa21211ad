"""Makes the old store that tests/integration/test_old_store.py loads, and its answers.

It MUST be run with the code of commit bc08688 (the store as that code writes it is the
point), never with a later one; it refuses any other. From the repository's root:

    git worktree add /tmp/old bc08688
    (cd /tmp/old && scripts/test --co -q)           # makes /tmp/old/.venv
    /tmp/old/.venv/bin/python tests/fixtures_old/make_store.py tests/fixtures_old
    git worktree remove /tmp/old
    git add -f tests/fixtures_old                   # *.sqlite is ignored elsewhere

It needs the PostgreSQL server of the tests (127.0.0.1:5432, user postgres, or
ORDERLEDGER_TEST_ADMIN_URL) and `pg_dump`. It writes, for each backend, the same world
recorded with that code's own commands (ledger commands, /api/v2 and /dispatch through a
TestClient, the command line) and every answer that code gave about it:

    sqlite/events.sqlite, sqlite/ledger.sqlite   the SQLite files as the old code left them
    postgres/dump.sql                             pg_dump --no-owner --no-privileges --inserts
    <backend>/answers.json                        the test keys, each request and its answer

The world: seven services (Default, drip-feed, Subscriptions, Package, Custom Comments, one
changed after it was ordered, one disabled); a prepaid and a postpaid account, each with more
than 200 events (so each has a snapshot, and events after it), orders in every status, a
cancel request, a drip-feed order mid-way, subscriptions with posts, refills in every status.
Claims that must still hold when the fixture is read are leased for a century.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from litestar.testing import TestClient

import orderledger
from orderledger.bench.postgres import fresh_database
from orderledger.cli.main import main as cli_main
from orderledger.domain.account import Billing
from orderledger.domain.catalogue import CatalogueEntry
from orderledger.domain.refill import RefillStatus
from orderledger.http.app import create_app
from orderledger.projections.runner import ConcurrentProjection
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings
from orderledger.storage.store import Store

COMMIT = "bc08688"
ADMIN_URL = os.environ.get(
    "ORDERLEDGER_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DEFAULT, DRIP, SUBSCRIPTION, PACKAGE, COMMENTS, CHANGED, DISABLED = 1, 2, 3, 4, 5, 6, 7
CENTURY = timedelta(days=36500)  # claims the fixture relies on outlive any use of it
START = datetime.now(UTC) - timedelta(hours=2)
EVENTS_PAST_SNAPSHOT = 205  # account versions reached before the last few commands


def entry(number: int, service_type: str = "Default", **overrides: Any) -> CatalogueEntry:
    fields: dict[str, Any] = {
        "number": number,
        "name": f"Service {number}",
        "type": service_type,
        "category": "Fixture",
        "rate": Decimal("2.50"),
        "min": 10,
        "max": 10000,
        "dripfeed": False,
        "refill": False,
        "cancel": False,
        "description": "",
        "refill_days": 30,
    }
    fields.update(overrides)
    return CatalogueEntry(**fields)


CATALOGUE = [
    entry(DEFAULT, name="Likes", cancel=True, refill=True, description="Real likes"),
    entry(DRIP, name="Views drip-feed", dripfeed=True, rate=Decimal("0.75")),
    entry(SUBSCRIPTION, "Subscriptions", name="Auto likes", rate=Decimal("4.00"), max=500),
    entry(PACKAGE, "Package", name="Package", rate=Decimal("7.25"), min=1, max=1),
    entry(COMMENTS, "Custom Comments", name="Comments", rate=Decimal("10"), min=1, max=100),
    entry(CHANGED, name="Followers"),
    entry(DISABLED, name="Retired"),
]


@dataclass
class World:
    """What the generator made: the accounts' keys, their orders and refills."""

    keys: dict[str, str] = field(default_factory=dict)
    orders: dict[str, dict[str, int]] = field(default_factory=dict)
    refills: dict[str, dict[str, int]] = field(default_factory=dict)
    operator: str = ""


class Network:
    """An account's calls to /api/v2 and a bot's to /dispatch, as the old code answers them."""

    def __init__(self, client: TestClient, key: str, operator: str) -> None:  # type: ignore[type-arg]
        self.client, self.key, self.operator = client, key, operator

    def call(self, **fields: Any) -> Any:
        response = self.client.post("/api/v2", data={"key": self.key, **fields})
        assert response.status_code == 200, response.text
        return response.json()

    def add(self, service: int, **fields: Any) -> int:
        answer = self.call(action="add", service=str(service), **fields)
        assert isinstance(answer.get("order"), int), answer
        return int(answer["order"])

    def report(self, number: int, what: str, body: dict[str, Any] | None = None) -> None:
        response = self.client.post(
            f"/dispatch/orders/{number}/{what}",
            json=body or {},
            headers={"Authorization": f"Bearer {self.operator}"},
        )
        assert response.status_code == 200, response.text


def record_orders(store: Store, net: Network, account: UUID, tag: str) -> dict[str, int]:
    """An order in every status, through the API where the network or a bot would act."""
    ledger = store.ledger
    orders = {"pending": net.add(DEFAULT, link=f"https://x/{tag}/pending", quantity=100)}
    orders["processing"] = ledger.place_order(
        account, DEFAULT, {"link": f"https://x/{tag}/p", "quantity": "100"}
    ).number
    ledger.claim_order(orders["processing"], "bot", CENTURY, now=START)
    orders["released"] = net.add(DEFAULT, link=f"https://x/{tag}/r", quantity=100)
    ledger.claim_order(orders["released"], "bot", CENTURY, now=START)
    ledger.release_claim(orders["released"], "bot", now=START)
    orders["in progress"] = going = net.add(DEFAULT, link=f"https://x/{tag}/i", quantity=300)
    ledger.claim_order(going, "bot", CENTURY, now=START)
    ledger.start_order(going, 17)
    ledger.report_delivery(going, 120)
    net.call(action="cancel", orders=str(going))
    for name in ("completed", "partial", "refunded"):
        orders[name] = number = net.add(DEFAULT, link=f"https://x/{tag}/{name}", quantity=200)
        net.report(number, "start", {"start_count": 3})
        net.report(number, "deliver", {"delivered": 50})
    net.report(orders["completed"], "complete")
    net.report(orders["partial"], "partial", {"remains": 150})
    net.report(orders["refunded"], "complete")
    net.report(orders["refunded"], "refund")
    orders["canceled"] = canceled = net.add(DEFAULT, link=f"https://x/{tag}/x", quantity=100)
    net.call(action="cancel", order=str(canceled))
    net.report(canceled, "cancel")
    orders["failed"] = failed = net.add(PACKAGE, link=f"https://x/{tag}/f")
    net.report(failed, "fail", {"reason": "the post was removed"})
    orders["comments"] = net.add(
        COMMENTS, link=f"https://x/{tag}/cm", comments='nice\ngreat "é"\n\nwow'
    )
    orders["changed service"] = net.add(CHANGED, link=f"https://x/{tag}/ch", quantity=1000)
    orders["disabled service"] = net.add(DISABLED, link=f"https://x/{tag}/d", quantity=10)
    return orders


def record_drip_feed(store: Store, net: Network, tag: str) -> int:
    """Run 1 of 3 delivered, run 2 claimed and half delivered."""
    number = net.add(DRIP, link=f"https://x/{tag}/drip", quantity=100, runs=3, interval=30)
    store.ledger.claim_order(number, "bot", timedelta(minutes=15), now=START)
    store.ledger.report_delivery(number, 100)  # the first run is done: its claim ends by itself
    store.ledger.claim_order(number, "bot", CENTURY, now=START + timedelta(minutes=31))
    store.ledger.report_delivery(number, 150)
    return number


def record_subscriptions(store: Store, net: Network, tag: str) -> dict[str, int]:
    ledger = store.ledger
    running = net.add(SUBSCRIPTION, username=f"{tag}_u", min=100, max=300, delay=0, posts=3)
    ledger.claim_order(running, "bot", CENTURY, now=START)
    ledger.report_post(running, "https://x/post/1", 150, now=START)
    ledger.report_post(running, "p2", 200, now=START)
    done = net.add(SUBSCRIPTION, username=f"{tag}_v", min=100, max=300, delay=0, posts=1)
    ledger.report_post(done, "only", 100, now=START)
    return {"subscription running": running, "subscription done": done}


def record_refills(store: Store, net: Network, tag: str) -> tuple[dict[str, int], dict[str, int]]:
    """A refill in every status (and a second of one order); the orders refilled."""
    ledger = store.ledger
    refills: dict[str, int] = {}
    orders: dict[str, int] = {}
    for status in RefillStatus:
        order = net.add(DEFAULT, link=f"https://x/{tag}/refill/{status.name}", quantity=100)
        orders[f"refilled {status.value}"] = order
        ledger.complete_order(order)
        refills[status.value] = number = int(net.call(action="refill", order=str(order))["refill"])
        if status is RefillStatus.PENDING:
            continue
        ledger.claim_refill(number, "bot", CENTURY, now=START)
        ledger.start_refill(number)
        if status is RefillStatus.COMPLETED:
            ledger.complete_refill(number)
            refills["second"] = int(net.call(action="refill", order=str(order))["refill"])
        elif status is RefillStatus.REJECTED:
            ledger.reject_refill(number, "nothing dropped")
        elif status is RefillStatus.FAILED:
            ledger.fail_refill(number)
    return refills, orders


def past_a_snapshot(store: Store, name: str) -> None:
    """Small deposits until the account is past its snapshot (taken at version 200)."""
    while store.ledger.account(name).version < EVENTS_PAST_SNAPSHOT:
        store.ledger.deposit(name, Decimal("0.01"))
    assert store.ledger.snapshots is not None
    account = store.ledger.account(name)
    [snapshot] = store.ledger.snapshots.get(account.id, desc=True, limit=1)
    assert snapshot.originator_version == 200, snapshot.originator_version


def after_the_snapshot(net: Network, tag: str) -> dict[str, int]:
    """An order, and a charge refunded, recorded after the account's snapshot."""
    pending = net.add(DEFAULT, link=f"https://x/{tag}/after", quantity=100)
    failed = net.add(DEFAULT, link=f"https://x/{tag}/after-failed", quantity=100)
    net.report(failed, "fail", {"reason": "private account"})
    return {"after snapshot": pending, "after snapshot failed": failed}


def record_account(store: Store, client: TestClient, world: World, name: str) -> None:  # type: ignore[type-arg]
    account = store.ledger.account(name)
    net = Network(client, world.keys[name], world.operator)
    orders = record_orders(store, net, account.id, name)
    if account.billing is Billing.POSTPAID:  # owes more than the figure it shows
        orders["big"] = net.add(DEFAULT, link=f"https://x/{name}/big", quantity=4000)
    orders["drip-feed"] = record_drip_feed(store, net, name)
    orders.update(record_subscriptions(store, net, name))
    refills, refilled = record_refills(store, net, name)
    orders.update(refilled)
    past_a_snapshot(store, name)
    orders.update(after_the_snapshot(net, name))
    world.orders[name], world.refills[name] = orders, refills


def record_world(store: Store, client: TestClient) -> World:  # type: ignore[type-arg]
    ledger = store.ledger
    ledger.sync_services(CATALOGUE)
    world = World(operator=store.credentials.issue(Role.OPERATOR, "bot", "bot"))
    for name, billing, credit in (
        ("prepaid", Billing.PREPAID, "0"),
        ("postpaid", Billing.POSTPAID, "5"),
    ):
        account = ledger.open_account(name, "USD", billing, Decimal(credit))
        world.keys[name] = store.credentials.issue(Role.API, str(account.id), name)
    ledger.deposit("prepaid", Decimal("500"))
    for name in world.keys:
        record_account(store, client, world, name)
    ledger.sync_services([entry(CHANGED, name="Followers HQ", rate=Decimal("3.14159"), max=20000)])
    ledger.disable_services([DISABLED])
    return world


def settle(store: Store) -> None:
    projector = store.projector()
    deadline = time.monotonic() + 30
    while min(projector.positions().values()) < projector.head():
        assert time.monotonic() < deadline, "the projections did not catch up"
        with contextlib.suppress(ConcurrentProjection):
            projector.catch_up()
        time.sleep(0.01)


def answer(client: TestClient, world: World, name: str, **fields: Any) -> dict[str, Any]:  # type: ignore[type-arg]
    response = client.post("/api/v2", data={"key": world.keys[name], **fields})
    return {
        "account": name,
        "fields": fields,
        "status_code": response.status_code,
        "body": response.text,
    }


def chunks(numbers: list[int], size: int = 100) -> list[str]:
    return [",".join(map(str, numbers[i : i + size])) for i in range(0, len(numbers), size)]


def account_answers(
    client: TestClient,  # type: ignore[type-arg]
    world: World,
    name: str,
    everyone: list[int],
) -> list[dict[str, Any]]:
    def ask(**fields: Any) -> dict[str, Any]:
        return answer(client, world, name, **fields)

    orders, refills = sorted(world.orders[name].values()), sorted(world.refills[name].values())
    return [
        ask(action="balance"),
        ask(action="services"),
        *(ask(action="status", order=n) for n in orders),
        *(ask(action="status", orders=c) for c in chunks(orders)),
        # another account's orders and one that does not exist, among its own
        ask(action="status", orders=chunks([*everyone, 999_999])[0]),
        ask(action="status", order=999_999),
        *(ask(action="refill_status", refill=n) for n in refills),
        ask(action="refill_status", refills=chunks(refills)[0]),
        ask(action="refill_status", refill=999_999),
    ]


def network_answers(client: TestClient, world: World) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    everyone = sorted(n for orders in world.orders.values() for n in orders.values())
    return [a for name in world.keys for a in account_answers(client, world, name, everyone)]


# Not an order with a claimed refill: `orders history` of bc08688 fails on Refill.Claimed.
HISTORIES = ("in progress", "refunded", "drip-feed", "subscription running", "refilled Pending")


def histories(world: World) -> dict[str, str]:
    """`orders history N --json` of a few orders, as the old command line prints it."""
    printed = {}
    for name in HISTORIES:
        number = world.orders["postpaid"][name]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli_main(["orders", "history", str(number), "--json"]) == 0
        printed[str(number)] = out.getvalue()
    return printed


def use_settings(settings: Settings) -> None:
    os.environ.pop("ORDERLEDGER_DATABASE_URL", None)
    if settings.postgres is not None:
        os.environ["ORDERLEDGER_DATABASE_URL"] = settings.postgres.url()
    os.environ["ORDERLEDGER_DATA_DIR"] = str(settings.data_dir)


def generate(settings: Settings, out: Path) -> None:
    """Record the world on these settings and write its answers to out/answers.json."""
    use_settings(settings)
    store = Store.open(settings)
    try:
        with TestClient(create_app(settings)) as client:
            world = record_world(store, client)
            settle(store)
            answers = network_answers(client, world)
    finally:
        store.close()
    recorded = {
        "made_by": f"tests/fixtures_old/make_store.py with the code of commit {COMMIT}",
        "keys": world.keys,
        "orders": world.orders,
        "refills": world.refills,
        "answers": answers,
        "histories": histories(world),
    }
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(recorded, indent=1, ensure_ascii=False) + "\n"
    (out / "answers.json").write_text(text, encoding="utf-8")


def make_sqlite(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "var"
        generate(Settings(postgres=None, data_dir=data_dir), out)
        leftovers = [p.name for p in data_dir.iterdir() if p.name.endswith(("-wal", "-shm"))]
        assert not leftovers, leftovers  # everything is in the two files
        for name in ("events.sqlite", "ledger.sqlite"):
            shutil.copyfile(data_dir / name, out / name)


def make_postgres(out: Path) -> None:
    with fresh_database(ADMIN_URL, prefix="orderledger_old_store") as address:
        with tempfile.TemporaryDirectory() as tmp:
            generate(Settings(postgres=address, data_dir=Path(tmp) / "var"), out)
        dump = subprocess.run(
            ["pg_dump", "--no-owner", "--no-privileges", "--inserts", address.url()],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    (out / "dump.sql").write_text(dump, encoding="utf-8")


def refuse_other_code() -> None:
    source = Path(orderledger.__file__).resolve().parent.parent
    head = subprocess.run(
        ["git", "-C", str(source), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout
    dirty = subprocess.run(
        ["git", "-C", str(source), "status", "--porcelain", "--", "orderledger"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if not head.startswith(COMMIT) or dirty:
        sys.exit(f"run me with the code of commit {COMMIT}, not {source} at {head[:7]}")


def main() -> None:
    refuse_other_code()
    out = Path(sys.argv[1]).resolve()
    make_sqlite(out / "sqlite")
    make_postgres(out / "postgres")


if __name__ == "__main__":
    main()
