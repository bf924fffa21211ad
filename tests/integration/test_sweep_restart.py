"""A claim that runs out while the server is down is released by the next server."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from orderledger.bootstrap import Store
from orderledger.domain.claims import utc_now
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account
from tests.integration.servers import running_server

LEASE = timedelta(seconds=30)


@pytest.mark.slow
def test_a_claim_that_ran_out_while_the_server_was_down_is_released_by_the_next(
    settings: Settings, store: Store
) -> None:
    store.ledger.sync_services([entry(1)])
    account, key = open_account(store)
    number = store.ledger.place_order(account.id, 1, {"link": "l", "quantity": 100}).number
    with running_server(settings) as url:
        answer = httpx.post(url, data={"key": key, "action": "status", "order": number})
        assert answer.json()["status"] == "Pending"
    # While no server is up, a bot's claim runs out (taken a minute ago, for 30 s). Taken in
    # the past rather than waited for, so no server can have swept it before the restart.
    store.ledger.claim_order(number, "bot-1", LEASE, now=utc_now() - 2 * LEASE)
    order = store.ledger.order(number)
    assert order is not None and order.claimed_by == "bot-1"

    with running_server(settings) as url:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            answer = httpx.post(url, data={"key": key, "action": "status", "order": number})
            if answer.json()["status"] == "Pending":
                break
            time.sleep(0.1)
        assert answer.json()["status"] == "Pending"
    order = store.ledger.order(number)
    assert order is not None and order.claimed_by is None
