"""Every report says who made it: the bot by its name, staff on the command line, the
server's sweep; the network's own commands are the network's. Events stored before makers
were recorded still load, their maker unknown (`null`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from orderledger.application.claiming import WorkClaims
from orderledger.bootstrap import Store
from orderledger.cli.main import main
from orderledger.domain.ids import order_id, refill_id
from orderledger.domain.order import OrderStatus
from orderledger.storage.credentials import Role
from tests.conftest import use_settings
from tests.fulfilment.conftest import DEFAULT, SUBSCRIPTION, World
from tests.fulfilment.support import caught_up

Cli = Callable[..., str]  # `orderledger ARGV`'s output; it must succeed


@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    use_settings(monkeypatch, world.store.settings)

    def run(*argv: str) -> str:
        capsys.readouterr()
        status = main(list(argv))
        out, err = capsys.readouterr()
        assert status == 0, err
        return out

    return run


def history(cli: Cli, number: int) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in cli("orders", "history", str(number), "--json").splitlines()
    ]


def makers(cli: Cli, number: int) -> list[tuple[str, str | None]]:
    return [(entry["event"], entry["who"]) for entry in history(cli, number)]


def stored_makers(store: Store, originator: Any) -> dict[str, str | None]:
    """Each event's `by` as stored (the last of each name)."""
    return {
        type(e).__qualname__: getattr(e, "by", None) for e in store.ledger.events.get(originator)
    }


def refill_of(world: World, number: int) -> int:
    refill = int(world.network.call("refill", order=number)["refill"])
    caught_up(world.store)
    return refill


def test_a_bots_reports_name_the_bot_in_the_events_and_the_history(world: World, cli: Cli) -> None:
    net, bot = world.network, world.bot
    number = net.add(DEFAULT, link="https://x/bot", quantity=1000)
    bot.claim()
    bot.ok(f"orders/{number}/start", {"start_count": 5})
    bot.ok(f"orders/{number}/deliver", {"delivered": 400})
    bot.ok(f"orders/{number}/partial", {"remains": 600})
    refill = refill_of(world, number)
    bot.ok("refills/claim", {})
    bot.ok(f"refills/{refill}/start")
    bot.ok(f"refills/{refill}/complete")

    assert makers(cli, number) == [
        ("Order.Placed", "network"),
        ("Order.Claimed", "bot-1"),
        ("Order.Started", "bot-1"),
        ("Order.DeliveryReported", "bot-1"),
        ("Order.PartiallyCompleted", "bot-1"),
        ("Refill.Requested", "network"),
        ("Order.RefillRequested", "network"),
        ("Refill.Claimed", "bot-1"),
        ("Refill.Started", "bot-1"),
        ("Refill.Completed", "bot-1"),
        ("Order.RefillClosed", "bot-1"),
    ]
    assert stored_makers(world.store, order_id(number)) == {
        "Order.Placed": None,
        "Order.Claimed": None,  # a claim names its operator
        "Order.Started": "bot-1",
        "Order.DeliveryReported": "bot-1",
        "Order.PartiallyCompleted": "bot-1",
        "Order.RefillRequested": None,
        "Order.RefillClosed": "bot-1",
    }
    assert stored_makers(world.store, refill_id(refill))["Refill.Completed"] == "bot-1"
    text = cli("orders", "history", str(number))
    assert "Order.Started  start_count=5  by bot-1" in text
    assert "Order.Placed" in text and "by network" in text


def test_every_kind_of_bot_report_and_release_names_the_bot(world: World, cli: Cli) -> None:
    net, bot = world.network, world.bot
    canceled = net.add(DEFAULT, link="https://x/cancel", quantity=100)
    failed = net.add(DEFAULT, link="https://x/fail", quantity=100)
    refunded = net.add(DEFAULT, link="https://x/refund", quantity=100)
    released = net.add(DEFAULT, link="https://x/release", quantity=100)
    posted = net.add(SUBSCRIPTION, username="someone", min=100, max=300, delay=0, posts=1)
    bot.claim(limit=5)
    bot.ok(f"orders/{canceled}/cancel")
    bot.ok(f"orders/{failed}/fail", {"reason": "gone"})
    bot.ok(f"orders/{refunded}/complete")
    bot.ok(f"orders/{refunded}/refund")
    bot.ok(f"orders/{released}/release")
    bot.ok(f"orders/{posted}/posts", {"post": "p1", "quantity": 150})

    assert makers(cli, canceled)[-1] == ("Order.Canceled", "bot-1")
    assert makers(cli, failed)[-1] == ("Order.Failed", "bot-1")
    assert makers(cli, refunded)[-2:] == [("Order.Completed", "bot-1"), ("Order.Refunded", "bot-1")]
    assert makers(cli, released)[-1] == ("Order.ClaimReleased", "bot-1")
    assert makers(cli, posted)[-2:] == [
        ("Order.PostDelivered", "bot-1"),
        ("Order.Completed", "bot-1"),  # the last post ends it
    ]


def test_staff_reports_from_the_command_line_are_recorded_as_staff(world: World, cli: Cli) -> None:
    net, bot = world.network, world.bot
    number = net.add(DEFAULT, link="https://x/staff", quantity=1000)
    bot.claim()  # staff act on it all the same
    cli("orders", "start", str(number), "--start-count", "9")
    cli("orders", "deliver", str(number), "--delivered", "1000")
    cli("orders", "complete", str(number))
    refill = refill_of(world, number)
    cli("refills", "start", str(refill))
    cli("refills", "reject", str(refill), "--reason", "nothing dropped")

    assert makers(cli, number)[1:] == [
        ("Order.Claimed", "bot-1"),
        ("Order.Started", "staff"),
        ("Order.DeliveryReported", "staff"),
        ("Order.Completed", "staff"),
        ("Refill.Requested", "network"),
        ("Order.RefillRequested", "network"),
        ("Refill.Started", "staff"),
        ("Refill.Rejected", "staff"),
        ("Order.RefillClosed", "staff"),
    ]
    assert stored_makers(world.store, order_id(number))["Order.Completed"] == "staff"
    assert stored_makers(world.store, refill_id(refill))["Refill.Rejected"] == "staff"


def test_the_auditors_answer_names_each_entrys_maker(world: World) -> None:
    net, bot = world.network, world.bot
    number = net.add(DEFAULT, link="https://x/audit", quantity=100)
    bot.claim()
    bot.ok(f"orders/{number}/complete")
    token = world.store.credentials.issue(Role.AUDITOR, "alice", "alice")
    answer = net.client.get(
        f"/audit/orders/{number}/history", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [(e["event"], e["who"]) for e in answer["entries"]] == [
        ("Order.Placed", "network"),
        ("Order.Claimed", "bot-1"),
        ("Order.Completed", "bot-1"),
    ]
    assert "by" not in answer["entries"][-1]["facts"]


def test_the_sweep_names_itself_when_it_releases_a_claim_or_ends_a_subscription(
    world: World, cli: Cli
) -> None:
    net, bot, clock = world.network, world.bot, world.clock
    silent = net.add(DEFAULT, link="https://x/silent", quantity=100)
    expiry = clock().strftime("%d/%m/%Y")
    subscription = net.add(SUBSCRIPTION, username="u", min=100, max=300, delay=0, expiry=expiry)
    done = net.add(DEFAULT, link="https://x/done", quantity=100)
    bot.claim(limit=3, lease_seconds=60)
    bot.ok(f"orders/{done}/complete")
    refill = refill_of(world, done)
    bot.ok("refills/claim", {"lease_seconds": 60})
    clock.advance(days=1)
    caught_up(world.store)  # the sweep finds expired work in the queue table
    WorkClaims(world.store.ledger, world.store.db).sweep(clock())

    assert makers(cli, silent)[-1] == ("Order.ClaimReleased", "sweep")
    assert makers(cli, subscription)[-1] == ("Order.Completed", "sweep")
    assert makers(cli, done)[-2:] == [
        ("Refill.Claimed", "bot-1"),
        ("Refill.ClaimReleased", "sweep"),
    ]
    assert world.store.ledger.refill(refill).claimed_by is None


REFUND = '{"_type_":"decimal_str","_data_":"0.15000"}'


def old_event(number: int, version: int, name: str, state: str) -> StoredEvent:
    """An order's event as the code before makers wrote it: no `by`."""
    moment = datetime.now(UTC).isoformat()
    stamped = f'{{"timestamp":{{"_type_":"datetime_iso","_data_":"{moment}"}},{state}}}'
    return StoredEvent(
        order_id(number), version, f"orderledger.domain.order:Order.{name}", stamped.encode()
    )


def test_a_report_stored_before_makers_were_recorded_loads_with_an_unknown_maker(
    world: World, cli: Cli
) -> None:
    number = world.network.add(DEFAULT, link="https://x/old", quantity=100)
    world.store.ledger.recorder.insert_events(
        [
            old_event(number, 2, "Started", '"start_count":7'),
            old_event(number, 3, "DeliveryReported", '"delivered":40'),
            old_event(number, 4, "PartiallyCompleted", f'"refund":{REFUND},"remains":60'),
        ]
    )
    order = world.store.ledger.order(number)
    assert order is not None
    assert (order.status, order.start_count, order.remains) == (OrderStatus.PARTIAL, 7, 60)
    assert makers(cli, number) == [
        ("Order.Placed", "network"),
        ("Order.Started", None),
        ("Order.DeliveryReported", None),
        ("Order.PartiallyCompleted", None),
    ]
    assert history(cli, number)[-1]["facts"] == {"refund": "0.15000", "remains": 60}
    assert "Order.Started  start_count=7  by (unknown)" in cli("orders", "history", str(number))
