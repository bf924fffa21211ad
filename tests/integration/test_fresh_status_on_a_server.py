"""On a real two-worker server, each `status` after a bot's report over /dispatch shows it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from orderledger.bootstrap import Store
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account, settle
from tests.integration.servers import running_server

ORDERS = 40
# Each order's reports, and the status a network sees after each.
REPORTS: list[tuple[str, Any, str]] = [
    ("start", {"start_count": 3}, "In progress"),
    ("deliver", {"delivered": 40}, "In progress"),
    ("partial", {"remains": 60}, "Partial"),
]


@pytest.mark.slow
def test_every_status_after_a_report_shows_it_on_a_two_worker_server(
    settings: Settings, store: Store
) -> None:
    store.ledger.sync_services([entry(1)])
    _, key = open_account(store, deposit="100")
    bot = {"Authorization": f"Bearer {store.credentials.issue(Role.OPERATOR, 'bot', 'bot')}"}
    form = {"key": key, "action": "add", "service": "1", "quantity": "100"}
    stale = []
    # Two keep-alive connections, as a bot and a network hold them: each stays with the
    # worker the kernel chose, often not the one that leads the projector.
    with (
        running_server(settings, workers=2) as url,
        httpx.Client(base_url=url.removesuffix("/api/v2"), timeout=10) as reports,
        httpx.Client(timeout=10) as reads,
    ):
        orders = []
        for i in range(ORDERS):
            placed = reads.post(url, data={**form, "link": f"https://x/{i}"}).json()
            assert "order" in placed, placed
            orders.append(placed["order"])
        settle(store, project=False)  # the bot's work queue is a read model too
        claimed = reports.post("/dispatch/orders/claim", json={"limit": ORDERS}, headers=bot)
        assert claimed.status_code == 200, claimed.text
        assert len(claimed.json()["orders"]) == ORDERS
        for number in orders:
            for report, body, status in REPORTS:
                answer = reports.post(f"/dispatch/orders/{number}/{report}", json=body, headers=bot)
                assert answer.status_code == 200, answer.text
                single = reads.post(url, data={"key": key, "action": "status", "order": number})
                multi = reads.post(url, data={"key": key, "action": "status", "orders": number})
                shown = (single.json()["status"], multi.json()[str(number)]["status"])
                if shown != (status, status):
                    stale.append((number, report, shown))
    assert stale == []
