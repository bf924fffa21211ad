"""A report counts only from the bot that holds the claim (or on work nobody holds)."""

from __future__ import annotations

from typing import Any

import pytest

from orderledger.bootstrap import Store
from orderledger.cli.main import main
from tests.conftest import use_settings
from tests.fulfilment.conftest import DEFAULT, SUBSCRIPTION, World
from tests.fulfilment.support import Bot, bot, caught_up


def versions(store: Store, *numbers: int) -> list[int]:
    return [store.ledger.order(n).version for n in numbers]  # type: ignore[union-attr]


def refused_as_taken(other: Bot, path: str, body: Any = None) -> None:
    response = other.call(path, body)
    assert response.status_code == 409, (path, response.text)
    kind, number = path.split("/")[:2]  # orders/12/start: order 12
    assert response.json() == {"error": f"{kind[:-1]} {number} is claimed by bot-1"}


def test_a_bot_cannot_report_on_an_order_another_bot_holds(world: World) -> None:
    net, holder = world.network, world.bot
    other = bot(net.client, world.store, "bot-2")
    started = net.add(DEFAULT, link="https://x/started", quantity=1000)
    waiting = net.add(DEFAULT, link="https://x/waiting", quantity=1000)
    subscription = net.add(SUBSCRIPTION, username="someone", min=100, max=300, delay=0)
    holder.claim(limit=3)
    holder.ok(f"orders/{started}/start", {"start_count": 5})
    holder.ok(f"orders/{started}/deliver", {"delivered": 500})
    before = (
        versions(world.store, started, waiting, subscription),
        [net.status(n) for n in (started, waiting, subscription)],
        net.balance(),
    )

    for path, body in [
        (f"orders/{started}/start", {"start_count": 5}),  # even the holder's own report again
        (f"orders/{started}/deliver", {"delivered": 600}),
        (f"orders/{started}/partial", {"remains": 500}),
        (f"orders/{started}/complete", None),
        (f"orders/{started}/fail", {"reason": "not mine"}),
        (f"orders/{waiting}/start", {"start_count": 1}),
        (f"orders/{waiting}/cancel", None),
        (f"orders/{waiting}/fail", {"reason": "not mine"}),
        (f"orders/{subscription}/posts", {"post": "p1", "quantity": 150}),
    ]:
        refused_as_taken(other, path, body)

    after = (
        versions(world.store, started, waiting, subscription),
        [net.status(n) for n in (started, waiting, subscription)],
        net.balance(),
    )
    assert after == before
    assert holder.ok(f"orders/{started}/deliver", {"delivered": 600})["remains"] == 400
    assert holder.ok(f"orders/{waiting}/cancel")["status"] == "Canceled"


def test_a_bot_may_report_on_an_order_nobody_holds_or_whose_claim_ran_out(
    world: World,
) -> None:
    net, first, clock = world.network, world.bot, world.clock
    other = bot(net.client, world.store, "bot-2")
    number = net.add(DEFAULT, link="https://x/free", quantity=1000)
    assert other.ok(f"orders/{number}/start", {"start_count": 3})["status"] == "In progress"
    first.claim(lease_seconds=60)
    refused_as_taken(other, f"orders/{number}/deliver", {"delivered": 100})
    clock.advance(seconds=61)
    assert other.ok(f"orders/{number}/deliver", {"delivered": 100})["remains"] == 900
    assert other.ok(f"orders/{number}/complete")["status"] == "Completed"
    assert other.ok(f"orders/{number}/refund")["status"] == "Refunded"
    assert net.balance() == "100.00000"


def test_a_bot_cannot_move_a_refill_another_bot_holds(world: World) -> None:
    net, holder = world.network, world.bot
    other = bot(net.client, world.store, "bot-2")
    number = net.add(DEFAULT, link="https://x/refill", quantity=100)
    holder.claim()
    holder.ok(f"orders/{number}/complete")
    refill = int(net.call("refill", order=number)["refill"])
    caught_up(world.store)
    [job] = holder.ok("refills/claim", {})["refills"]
    assert job["refill"] == refill
    for action, body in [("start", None), ("complete", None), ("reject", {}), ("fail", {})]:
        refused_as_taken(other, f"refills/{refill}/{action}", body)
    assert net.refill_status(refill) == "Pending"
    holder.ok(f"refills/{refill}/start")
    refused_as_taken(other, f"refills/{refill}/complete")
    assert holder.ok(f"refills/{refill}/complete")["status"] == "Completed"
    assert net.refill_status(refill) == "Completed"


def test_staff_on_the_command_line_act_on_an_order_a_bot_holds(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    net, holder = world.network, world.bot
    use_settings(monkeypatch, world.store.settings)
    number = net.add(DEFAULT, link="https://x/staff", quantity=1000)
    holder.claim()
    assert main(["orders", "start", str(number), "--start-count", "9"]) == 0
    assert main(["orders", "deliver", str(number), "--delivered", "250"]) == 0
    assert main(["orders", "partial", str(number), "--remains", "750"]) == 0
    assert f"order {number}  Partial" in capsys.readouterr().out
    assert net.status(number)["status"] == "Partial"
    assert net.balance() == "99.37500"


def test_a_bot_named_staff_is_still_only_a_bot(world: World) -> None:
    net, holder = world.network, world.bot
    impostor = bot(net.client, world.store, "staff")
    number = net.add(DEFAULT, link="https://x/impostor", quantity=1000)
    holder.claim()
    refused_as_taken(impostor, f"orders/{number}/fail", {"reason": "mine now"})
    assert net.status(number)["status"] == "Processing"
