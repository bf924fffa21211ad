from __future__ import annotations

from decimal import Decimal

from orderledger.bootstrap import Store
from orderledger.cli.common import catch_up
from tests.audit.conftest import Cli, busy_ledger


def tamper(store: Store, sql: str, *params: object) -> None:
    catch_up(store)
    with store.db.transaction() as cursor:
        cursor.execute(sql, params)
        assert cursor.rowcount == 1


def test_verify_passes_on_a_healthy_store(store: Store, cli: Cli) -> None:
    busy_ledger(store)
    status, out, err = cli("projections", "verify")
    assert status == 0, out
    head = store.projector().head()
    assert out.strip() == f"the read models match all {head} events"
    assert "verifying" in err  # the progress bar


def test_verify_reports_a_row_that_was_tampered_with(store: Store, cli: Cli) -> None:
    order = busy_ledger(store)
    tamper(
        store,
        "UPDATE orderledger_order_status SET status = 'Completed', remains = 0 WHERE number = %s",
        order.number,
    )
    status, out, _ = cli("projections", "verify")
    assert status == 1
    assert out.splitlines() == [
        f"order_status number {order.number}: status is 'Completed' in the table, "
        "'Partial' from the events",
        f"order_status number {order.number}: remains is 0 in the table, 600 from the events",
        "2 difference(s) between the events and the read models",
    ]


def test_verify_reports_missing_and_extra_rows(store: Store, cli: Cli) -> None:
    order = busy_ledger(store)
    tamper(store, "DELETE FROM orderledger_refill_status WHERE number = %s", order.refill)
    tamper(
        store,
        "INSERT INTO orderledger_refill_status (id, number, account_id, order_number, status) "
        "VALUES ('forged', 77, 'nobody', 1, 'Completed')",
    )
    status, out, _ = cli("projections", "verify")
    assert status == 1
    assert out.splitlines() == [
        f"refill_status number {order.refill}: missing from orderledger_refill_status",
        "refill_status number 77: in orderledger_refill_status but not in the events",
        "2 difference(s) between the events and the read models",
    ]


def test_verify_reports_an_account_whose_balance_no_longer_adds_up(store: Store, cli: Cli) -> None:
    busy_ledger(store)
    tamper(
        store,
        "UPDATE orderledger_account_balance SET balance = %s WHERE name = %s",
        "1000.00000",
        "network",
    )
    status, out, _ = cli("projections", "verify")
    assert status == 1
    assert out.splitlines() == [
        "account_balance 'network': balance is 1000.00000 in the table, 9.00000 from the events",
        "account 'network': balance is 1000.00000 in the table, but credit 0.00000 + "
        "deposits 10.00000 − charges 2.50000 + refunds 1.50000 = 9.00000",
        "2 difference(s) between the events and the read models",
    ]


def test_verify_reports_an_account_charged_for_what_no_order_charged(
    store: Store, cli: Cli
) -> None:
    busy_ledger(store)
    account = store.ledger.account("reseller")
    account.record_charge(order_number=424242, amount=Decimal("5.00000"))
    store.ledger.save(account)
    status, out, _ = cli("projections", "verify")
    assert status == 1
    assert out.splitlines() == [
        "account 'reseller': its orders charged 3.00000 and refunded 0.75000, so the balance "
        "should be 47.75000, but its own events make it 42.75000",
        "1 difference(s) between the events and the read models",
    ]
