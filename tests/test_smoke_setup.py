from orderledger.bootstrap import Store
from tests.conftest import entry, open_account


def test_an_order_placed_through_the_ledger_is_projected(store: Store) -> None:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store)
    order = store.ledger.place_order(account.id, 1, {"link": "https://x", "quantity": "100"})
    store.projector().catch_up()
    with store.db.transaction() as cursor:
        cursor.execute("SELECT number, status, charge FROM orderledger_order_status")
        assert cursor.fetchall() == [(order.number, "Pending", "0.25000")]
