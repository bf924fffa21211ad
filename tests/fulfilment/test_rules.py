"""The rules of handing out work: one bot per order, leases, due runs, posts, refusals."""

from __future__ import annotations

import threading
from decimal import Decimal

from litestar.testing import TestClient

from orderledger.application.claiming import WorkClaims
from orderledger.bootstrap import Store
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account
from tests.fulfilment.conftest import DEFAULT, DRIP, SUBSCRIPTION, World
from tests.fulfilment.support import Network, bot, caught_up


def event_count(store: Store, number: int) -> int:
    order = store.ledger.order(number)
    assert order is not None
    return order.version


def test_two_bots_claiming_at_once_never_get_the_same_order(settings: Settings) -> None:
    setup = Store.open(settings)
    setup.ledger.sync_services([entry(DEFAULT)])
    account, _ = open_account(setup, deposit="1000")
    placed = {
        setup.ledger.place_order(
            account.id, DEFAULT, {"link": f"https://x/{n}", "quantity": 100}
        ).number
        for n in range(24)
    }
    caught_up(setup)
    # Two bots in two threads, each with its own store (own connections and caches).
    stores = [Store.open(settings), Store.open(settings)]
    got: dict[str, list[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def work(name: str, store: Store) -> None:
        work_claims = WorkClaims(store.ledger, store.db)
        start.wait()
        while claimed := work_claims.claim_orders(name, limit=2):
            got[name] += [order.number for order in claimed]

    threads = [threading.Thread(target=work, args=(n, s)) for n, s in zip(got, stores, strict=True)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for store in [*stores, setup]:
            store.close()
    assert not set(got["a"]) & set(got["b"])
    assert sorted(got["a"] + got["b"]) == sorted(placed)


def test_an_expired_claim_returns_the_order_to_the_queue(world: World) -> None:
    net, first, clock = world.network, world.bot, world.clock
    second = bot(net.client, world.store, "bot-2")
    number = net.add(DEFAULT, link="https://x/e", quantity=100)
    first.claim(lease_seconds=60)
    assert second.claim() == []  # held by the first bot
    clock.advance(seconds=61)
    caught_up(world.store)  # the queue has seen the claim (it lags the log by milliseconds)
    assert second.claim(services=[DRIP]) == []  # nothing of that service, but it sweeps
    assert net.status(number)["status"] == "Pending"  # the network sees it waiting again
    [work] = second.claim()
    assert work["order"] == number and work["claimed_by"] == "bot-2"
    assert net.status(number)["status"] == "Processing"


def test_a_bot_renews_its_claim_and_keeps_the_order(world: World) -> None:
    net, first, clock = world.network, world.bot, world.clock
    second = bot(net.client, world.store, "bot-2")
    number = net.add(DEFAULT, link="https://x/r", quantity=100)
    first.claim(lease_seconds=60)
    clock.advance(seconds=50)
    first.ok(f"orders/{number}/renew", {"lease_seconds": 60})
    clock.advance(seconds=50)
    assert second.claim() == []
    refused = second.call(f"orders/{number}/renew", {"lease_seconds": 60})
    assert refused.status_code == 409 and "bot-1" in refused.json()["error"]


def test_a_repeated_report_changes_nothing(world: World) -> None:
    net, bot_ = world.network, world.bot
    number = net.add(DEFAULT, link="https://x/i", quantity=1000)
    bot_.claim()
    bot_.ok(f"orders/{number}/start", {"start_count": 5})
    bot_.ok(f"orders/{number}/deliver", {"delivered": 500})
    bot_.ok(f"orders/{number}/partial", {"remains": 500})
    events, balance = event_count(world.store, number), net.balance()
    again = [
        bot_.ok(f"orders/{number}/partial", {"remains": 500}),
        bot_.ok(f"orders/{number}/deliver", {"delivered": 500}),
    ]
    assert all(answer["status"] == "Partial" for answer in again)
    assert event_count(world.store, number) == events
    assert net.balance() == balance == "98.75000"


def test_an_invalid_report_is_refused_with_a_clear_error_and_changes_nothing(
    world: World,
) -> None:
    net, bot_ = world.network, world.bot
    number = net.add(DEFAULT, link="https://x/v", quantity=1000)
    bot_.claim()
    bot_.ok(f"orders/{number}/deliver", {"delivered": 600})
    before = event_count(world.store, number), net.status(number), net.balance()
    cases = [
        (f"orders/{number}/deliver", {"delivered": 500}, 409, "below the 600"),
        (f"orders/{number}/deliver", {"delivered": 1001}, 409, "more than the 1000"),
        (f"orders/{number}/partial", {"remains": 900}, 409, "between 1 and 400"),
        (f"orders/{number}/start", {"start_count": -1}, 422, "start_count"),
        (f"orders/{number}/deliver", {"delivered": "lots"}, 422, "delivered"),
        (f"orders/{number}/deliver", {}, 422, "delivered"),
        (f"orders/{number}/fail", {"reason": ""}, 422, "reason"),
        ("orders/999999/deliver", {"delivered": 1}, 404, "unknown order 999999"),
        ("refills/999999/complete", None, 404, "unknown refill 999999"),
    ]
    for path, body, status, text in cases:
        response = bot_.call(path, body)
        assert response.status_code == status, (path, body, response.text)
        assert response.headers["content-type"].startswith("application/json")
        assert text in response.json()["error"] + str(response.json().get("fields", ""))
    assert (event_count(world.store, number), net.status(number), net.balance()) == before

    bot_.ok(f"orders/{number}/complete")
    finished = bot_.call(f"orders/{number}/deliver", {"delivered": 700})
    assert finished.status_code == 409
    assert finished.json() == {"error": f"order {number} is already Completed"}


def test_only_operator_tokens_open_the_fulfilment_api(world: World) -> None:
    client = world.network.client
    for headers in (
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Bearer {world.network.key}"},  # the network's API key
        {"Authorization": f"Basic {world.bot.token}"},
    ):
        response = client.post("/dispatch/orders/claim", json={}, headers=headers)
        assert response.status_code == 401
        assert "error" in response.json()


def test_drip_feed_runs_are_handed_out_only_when_due(world: World) -> None:
    net, bot_, clock = world.network, world.bot, world.clock
    number = net.add(DRIP, link="https://x/d", quantity=100, runs=3, interval=30)
    assert net.status(number)["remains"] == "300" and net.status(number)["charge"] == "0.75000"

    [run1] = bot_.claim()
    assert (run1["runs_handed_out"], run1["deliver_up_to"], run1["runs"]) == (1, 100, 3)
    bot_.ok(f"orders/{number}/start", {"start_count": 7})
    ahead = bot_.call(f"orders/{number}/deliver", {"delivered": 150})
    assert ahead.status_code == 409 and "1 run(s) handed out" in ahead.json()["error"]
    done1 = bot_.ok(f"orders/{number}/deliver", {"delivered": 100})
    assert done1["claimed_by"] is None  # the run is done; the next waits for its time
    assert net.status(number)["remains"] == "200"

    clock.advance(minutes=29)
    assert bot_.claim() == []
    clock.advance(minutes=1)
    [run2] = bot_.claim()
    assert (run2["runs_handed_out"], run2["deliver_up_to"], run2["delivered"]) == (2, 200, 100)
    bot_.ok(f"orders/{number}/deliver", {"delivered": 200})
    assert bot_.claim() == []
    clock.advance(minutes=30)
    [run3] = bot_.claim()
    assert run3["runs_handed_out"] == 3 and run3["next_run_due"] is None
    bot_.ok(f"orders/{number}/deliver", {"delivered": 300})
    bot_.ok(f"orders/{number}/complete")
    assert net.status(number) == {
        "charge": "0.75000",
        "start_count": "7",
        "status": "Completed",
        "remains": "0",
        "currency": "USD",
    }


def test_subscriptions_charge_per_reported_post_and_stop_after_their_posts(
    world: World,
) -> None:
    net, bot_ = world.network, world.bot
    number = net.add(SUBSCRIPTION, username="someone", min=100, max=300, delay=0, posts=2)
    assert net.status(number)["charge"] == "0.00000"
    [work] = bot_.claim()
    assert work["details"]["username"] == "someone" and work["posts_left"] == 2

    bot_.ok(f"orders/{number}/posts", {"post": "p1", "quantity": 150})
    assert net.status(number)["charge"] == "0.60000"  # 4.00 × 150 / 1000
    assert net.status(number)["status"] == "In progress"
    assert net.balance() == "99.40000"
    bot_.ok(f"orders/{number}/posts", {"post": "p1", "quantity": 150})  # repeated: no change
    assert net.balance() == "99.40000"
    for body in ({"post": "p2", "quantity": 99}, {"post": "p1", "quantity": 200}):
        assert bot_.call(f"orders/{number}/posts", body).status_code == 409
    last = bot_.ok(f"orders/{number}/posts", {"post": "p2", "quantity": 300})
    assert last["status"] == "Completed" and last["posts_left"] == 0
    assert net.status(number)["charge"] == "1.80000"
    assert net.status(number)["status"] == "Completed"
    assert net.balance() == "98.20000"
    refused = bot_.call(f"orders/{number}/posts", {"post": "p3", "quantity": 100})
    assert refused.status_code == 409
    assert net.balance() == "98.20000"


def test_a_subscription_ends_when_its_expiry_passes(world: World) -> None:
    net, bot_, clock = world.network, world.bot, world.clock
    expiry = clock().strftime("%d/%m/%Y")
    number = net.add(SUBSCRIPTION, username="u", min=100, max=100, delay=0, expiry=expiry)
    bot_.claim()
    bot_.ok(f"orders/{number}/posts", {"post": "today", "quantity": 100})
    clock.advance(days=1)
    late = bot_.call(f"orders/{number}/posts", {"post": "tomorrow", "quantity": 100})
    assert late.status_code == 409 and "expired" in late.json()["error"]
    assert bot_.claim() == []  # the claim's sweep ends it
    assert net.status(number)["status"] == "Completed"
    assert net.status(number)["charge"] == "0.40000"


def test_a_prepaid_account_that_cannot_pay_a_post_gets_no_delivery(
    client: TestClient,  # type: ignore[type-arg]
    store: Store,
) -> None:
    store.ledger.sync_services([entry(SUBSCRIPTION, "Subscriptions", rate=Decimal("4.00"))])
    _, key = open_account(store, deposit="0.50")
    net, bot_ = Network(client, store, key), bot(client, store)
    number = net.add(SUBSCRIPTION, username="u", min=100, max=1000, delay=0)
    bot_.claim()
    bot_.ok(f"orders/{number}/posts", {"post": "a", "quantity": 100})
    refused = bot_.call(f"orders/{number}/posts", {"post": "b", "quantity": 100})
    assert refused.status_code == 409 and "funds" in refused.json()["error"]
    assert net.balance() == "0.10000"
    assert net.status(number)["charge"] == "0.40000"
    store.ledger.deposit("network", Decimal("1"))
    bot_.ok(f"orders/{number}/posts", {"post": "b", "quantity": 100})
    assert net.balance() == "0.70000"


def test_the_openapi_schema_describes_the_fulfilment_api(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    schema = client.get("/schema/openapi.json").json()
    claim = schema["paths"]["/dispatch/orders/claim"]["post"]
    assert "requestBody" in claim
    assert {"/dispatch/orders/{number}/deliver", "/dispatch/refills/{number}/reject"} <= set(
        schema["paths"]
    )
    assert "delivered" in schema["components"]["schemas"]["DeliveryReport"]["properties"]


def test_numbers_beyond_64_bits_in_a_body_are_refused_as_the_field_not_a_server_error(
    world: World,
) -> None:
    # Found by schemathesis: a claim for service 2**63 answered 503 (sqlite3 OverflowError).
    net, bot_ = world.network, world.bot
    number = net.add(DEFAULT, link="https://x/big", quantity=1000)
    too_big = 2**63
    assert bot_.claim(services=[too_big]) == []  # no service has that number
    assert bot_.ok("refills/claim", {"services": [too_big]}) == {"refills": []}
    assert [order["order"] for order in bot_.claim(services=[DEFAULT, too_big])] == [number]
    before = event_count(world.store, number), net.status(number)
    cases = [
        (f"orders/{number}/start", {"start_count": too_big}, "start_count"),
        (f"orders/{number}/deliver", {"delivered": too_big}, "delivered"),
        (f"orders/{number}/partial", {"remains": too_big}, "remains"),
        (f"orders/{number}/posts", {"post": "p", "quantity": too_big}, "quantity"),
    ]
    for path, body, name in cases:
        response = bot_.call(path, body)
        assert response.status_code == 422, (path, body, response.text)
        assert name in response.json()["error"] + str(response.json().get("fields", ""))
    assert (event_count(world.store, number), net.status(number)) == before
