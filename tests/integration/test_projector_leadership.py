"""Exactly one projector leads; a second server waits and takes over when the first goes."""

from __future__ import annotations

from orderledger.bootstrap import Store
from orderledger.projections.live import LiveProjection
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, settle


def test_only_one_projector_leads_at_a_time(settings: Settings, store: Store) -> None:
    first, second = store.leadership(), store.leadership()
    try:
        assert first.acquire()
        assert not second.acquire()
        first.release()
        assert second.acquire()
    finally:
        first.release()
        second.release()


def test_two_live_projectors_keep_the_read_models_exact(settings: Settings, store: Store) -> None:
    other = Store.open(settings)
    runners = [LiveProjection(s.projector(), s.leadership()) for s in (store, other)]
    try:
        for runner in runners:
            runner.start()
        store.ledger.sync_services([entry(1)])
        account, _ = open_account(store)
        for i in range(30):
            store.ledger.place_order(account.id, 1, {"link": f"l{i}", "quantity": "100"})
        runners[0].stop()  # the leader (or the follower) goes away; the other carries on
        for i in range(30, 40):
            other.ledger.place_order(account.id, 1, {"link": f"l{i}", "quantity": "100"})
        settle(store, project=False)  # only the remaining live projector may do it
        with store.db.transaction() as cursor:
            cursor.execute(
                "SELECT count(*), min(number), max(number) FROM orderledger_order_status"
            )
            assert cursor.fetchone() == (40, 1, 40)
            cursor.execute("SELECT charges FROM orderledger_account_balance")
            assert cursor.fetchone() == ("10.00000",)
    finally:
        for runner in runners:
            runner.stop()
        other.close()
