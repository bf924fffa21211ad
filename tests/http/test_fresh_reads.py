"""`balance` and `services` answer with every event committed before the request arrived,
however far behind the read models are: the network calls `balance` before every `add`, and
treats a service missing from `services` as removed."""

from __future__ import annotations

from decimal import Decimal

from litestar.testing import TestClient

from orderledger.bootstrap import Store
from orderledger.cli.common import catch_up
from orderledger.domain.catalogue import CatalogueEntry
from orderledger.http.app import create_app
from orderledger.storage.credentials import Role
from tests.conftest import entry, open_account, settle
from tests.http.conftest import Network

CHARGE = Decimal("0.25")  # service 1 of the http fixture, quantity 100


def balance_of(network: Network) -> Decimal:
    return Decimal(network.call(action="balance")["balance"])


def test_each_balance_right_after_an_add_shows_its_charge(network: Network) -> None:
    # The live projector runs beside the requests and is a few milliseconds behind.
    expected = balance_of(network)
    wrong = []
    for i in range(60):
        network.add(link=f"https://example.com/{i}")
        expected -= CHARGE
        if (shown := balance_of(network)) != expected:
            wrong.append((i, shown, expected))
    assert wrong == []


def test_balance_shows_a_deposit_the_read_model_has_not_seen(store: Store) -> None:
    store.ledger.sync_services([entry(1)])
    _, key = open_account(store, deposit="100")
    settle(store)
    with TestClient(create_app(store.settings, projector=False)) as client:
        network = Network(client, store, key)
        store.ledger.deposit("network", Decimal("5"))
        assert balance_of(network) == Decimal("105")
        for i in range(3):
            network.add(link=f"https://example.com/{i}")
        assert balance_of(network) == Decimal("105") - 3 * CHARGE


def test_a_refund_reported_over_the_fulfilment_api_is_in_the_next_balance(store: Store) -> None:
    store.ledger.sync_services([entry(1)])
    _, key = open_account(store, deposit="100")
    token = store.credentials.issue(Role.OPERATOR, "bot-1", "bot-1")
    bot = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(store.settings, projector=False)) as client:
        network = Network(client, store, key)
        orders = [network.add(link=f"https://example.com/{i}") for i in range(3)]
        catch_up(store)  # the bot's work queue is a read model too
        claimed = client.post("/dispatch/orders/claim", json={"limit": 3}, headers=bot).json()
        assert sorted(o["order"] for o in claimed["orders"]) == orders
        assert balance_of(network) == Decimal("100") - 3 * CHARGE

        reports = [("fail", {"reason": "gone"}), ("cancel", None), ("partial", {"remains": 40})]
        expected = [Decimal("100") - 2 * CHARGE, Decimal("100") - CHARGE, Decimal("99.85")]
        for order, (report, body), balance in zip(orders, reports, expected, strict=True):
            if report == "partial":
                started = {"start_count": 1}
                start = client.post(f"/dispatch/orders/{order}/start", json=started, headers=bot)
                assert start.status_code == 200, start.text
            answer = client.post(f"/dispatch/orders/{order}/{report}", json=body, headers=bot)
            assert answer.status_code == 200, answer.text
            assert balance_of(network) == balance


def services_count(client: TestClient, key: str) -> int:  # type: ignore[type-arg]
    answer = client.post("/api/v2", data={"key": key, "action": "services"})
    assert answer.status_code == 200, answer.text
    return len(answer.json())


def test_services_right_after_an_import_and_a_start_list_the_whole_catalogue(
    store: Store, real_catalogue: list[CatalogueEntry]
) -> None:
    _, key = open_account(store)
    store.ledger.sync_services(real_catalogue)
    with TestClient(create_app(store.settings)) as client:
        assert services_count(client, key) == 5586


def test_services_while_an_import_is_projected_are_never_partial(
    client: TestClient,  # type: ignore[type-arg]
    store: Store,
    real_catalogue: list[CatalogueEntry],
) -> None:
    _, key = open_account(store)
    settle(store)
    assert services_count(client, key) == 0
    store.ledger.sync_services(real_catalogue)
    projector = store.projector()
    counts = [services_count(client, key)]
    while projector.positions()["catalogue"] < projector.head():
        counts.append(services_count(client, key))
    assert set(counts) == {5586}


def test_services_show_an_import_the_read_model_has_not_seen(
    store: Store, real_catalogue: list[CatalogueEntry]
) -> None:
    _, key = open_account(store)
    store.ledger.sync_services(real_catalogue[:100])
    settle(store)
    with TestClient(create_app(store.settings, projector=False)) as client:
        assert services_count(client, key) == 100
        store.ledger.sync_services(real_catalogue)
        store.ledger.disable_services([real_catalogue[0].number])
        assert services_count(client, key) == 5585
