"""Bots drive orders and refills through /dispatch; the network watches through /api/v2."""

from __future__ import annotations

from tests.fulfilment.conftest import COMMENTS, DEFAULT, PACKAGE, World


def test_a_default_order_goes_from_pending_to_completed_and_is_refilled(world: World) -> None:
    net, bot = world.network, world.bot
    number = net.add(DEFAULT, link="https://x/p", quantity=1000)
    assert net.status(number)["status"] == "Pending"
    assert net.balance() == "97.50000"

    [work] = bot.claim()
    assert (work["order"], work["type"], work["link"], work["quantity"]) == (
        number,
        "Default",
        "https://x/p",
        1000,
    )
    assert work["claimed_by"] == "bot-1"
    assert net.status(number)["status"] == "Processing"

    bot.ok(f"orders/{number}/start", {"start_count": 321})
    assert net.status(number) == {
        "charge": "2.50000",
        "start_count": "321",
        "status": "In progress",
        "remains": "1000",
        "currency": "USD",
    }
    bot.ok(f"orders/{number}/deliver", {"delivered": 400})
    assert net.status(number)["remains"] == "600"
    done = bot.ok(f"orders/{number}/complete")
    assert done["status"] == "Completed"
    assert net.status(number)["status"] == "Completed"
    assert net.status(number)["remains"] == "0"
    assert net.balance() == "97.50000"

    refill = int(net.call("refill", order=number)["refill"])
    assert net.refill_status(refill) == "Pending"
    [job] = bot.ok("refills/claim", {})["refills"]
    assert job["refill"] == refill and job["order"]["link"] == "https://x/p"
    assert bot.ok(f"refills/{refill}/start")["status"] == "In progress"
    assert net.refill_status(refill) == "In progress"
    bot.ok(f"refills/{refill}/complete")
    assert net.refill_status(refill) == "Completed"
    assert bot.ok("refills/claim", {})["refills"] == []


def test_a_refill_can_be_rejected(world: World) -> None:
    net, bot = world.network, world.bot
    number = net.add(DEFAULT, link="https://x/r", quantity=100)
    bot.claim()
    bot.ok(f"orders/{number}/complete")
    refill = int(net.call("refill", order=number)["refill"])
    answer = bot.ok(f"refills/{refill}/reject", {"reason": "nothing dropped"})
    assert answer == {
        "refill": refill,
        "order": number,
        "status": "Rejected",
        "reason": "nothing dropped",
    }
    assert net.refill_status(refill) == "Rejected"
    # the order may be refilled again once its refill is closed
    assert "refill" in net.call("refill", order=number)


def test_partial_refunds_the_undelivered_share(world: World) -> None:
    net, bot = world.network, world.bot
    number = net.add(DEFAULT, link="https://x/p", quantity=1000)
    bot.claim()
    bot.ok(f"orders/{number}/start", {"start_count": 0})
    bot.ok(f"orders/{number}/deliver", {"delivered": 300})
    bot.ok(f"orders/{number}/partial", {"remains": 700})
    assert net.status(number) == {
        "charge": "0.75000",
        "start_count": "0",
        "status": "Partial",
        "remains": "700",
        "currency": "USD",
    }
    assert net.balance() == "99.25000"


def test_a_failed_order_refunds_the_whole_charge(world: World) -> None:
    net, bot = world.network, world.bot
    number = net.add(DEFAULT, link="https://x/f", quantity=2000)
    assert net.balance() == "95.00000"
    bot.claim()
    failed = bot.ok(f"orders/{number}/fail", {"reason": "account is private"})
    assert failed["status"] == "Failed"
    assert net.status(number)["status"] == "Failed"
    assert net.status(number)["charge"] == "0.00000"
    assert net.balance() == "100.00000"


def test_a_completed_order_can_be_refunded_in_full(world: World) -> None:
    net, bot = world.network, world.bot
    number = net.add(DEFAULT, link="https://x/c", quantity=400)
    bot.claim()
    bot.ok(f"orders/{number}/complete")
    assert net.balance() == "99.00000"
    bot.ok(f"orders/{number}/refund")
    assert net.status(number)["status"] == "Refunded"
    assert net.status(number)["charge"] == "0.00000"
    assert net.balance() == "100.00000"


def test_a_cancel_request_is_seen_and_canceled_with_a_full_refund(world: World) -> None:
    net, bot = world.network, world.bot
    number = net.add(DEFAULT, link="https://x/k", quantity=1000)
    bot.claim()
    assert net.call("cancel", order=number)["cancel"].startswith("Your cancellation")
    assert net.status(number)["status"] == "Processing"  # a request, not yet a cancel
    [asked] = bot.ok("orders/cancel-requests", method="GET")["orders"]
    assert asked["order"] == number and asked["cancel_requested"] is True
    bot.ok(f"orders/{number}/cancel")
    assert net.status(number)["status"] == "Canceled"
    assert net.status(number)["charge"] == "0.00000"
    assert net.balance() == "100.00000"
    assert bot.ok("orders/cancel-requests", method="GET")["orders"] == []


def test_a_cancel_request_on_a_started_order_stops_it_as_partial(world: World) -> None:
    net, bot = world.network, world.bot
    number = net.add(DEFAULT, link="https://x/s", quantity=1000)
    bot.claim()
    bot.ok(f"orders/{number}/start", {"start_count": 10})
    bot.ok(f"orders/{number}/deliver", {"delivered": 600})
    net.call("cancel", order=number)
    refused = bot.call(f"orders/{number}/cancel")
    assert refused.status_code == 409
    assert "partial" in refused.json()["error"]
    bot.ok(f"orders/{number}/partial", {"remains": 400})
    assert net.status(number)["status"] == "Partial"
    assert net.status(number)["charge"] == "1.50000"
    assert net.balance() == "98.50000"


def test_a_claim_carries_the_fields_of_the_order_type(world: World) -> None:
    net, bot = world.network, world.bot
    comments = net.add(COMMENTS, link="https://x/c", comments="nice\ngreat\n\nwow")
    package = net.add(PACKAGE, link="https://x/pkg")
    first, second = bot.claim(limit=5)
    assert first["order"] == comments and second["order"] == package
    assert first["details"]["comments"] == ["nice", "great", "wow"]
    assert first["quantity"] == 3 and first["charge"] == "0.03000"
    assert second["type"] == "Package" and second["charge"] == "7.25000"
    bot.ok(f"orders/{package}/complete")
    assert net.status(package)["status"] == "Completed"


def test_claims_take_the_oldest_orders_of_the_given_services(world: World) -> None:
    net, bot = world.network, world.bot
    older = net.add(DEFAULT, link="https://x/1", quantity=100)
    other = net.add(PACKAGE, link="https://x/2")
    newer = net.add(DEFAULT, link="https://x/3", quantity=100)
    claimed = bot.claim(services=[DEFAULT], limit=10)
    assert [work["order"] for work in claimed] == [older, newer]
    assert [work["order"] for work in bot.claim(limit=10)] == [other]
    assert bot.claim(limit=10) == []
