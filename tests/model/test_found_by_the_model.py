"""A defect the model test found that issue 15 does not list, reduced to its smallest case.

Marked xfail(strict): it documents the defect until it is fixed, and fails the day it is, so
that the marker and the model's matching exclusion (`change_catalogue`) are removed then.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orderledger.storage.store import Store
from tests.conftest import entry, open_account


@pytest.mark.xfail(strict=True, reason="a post is charged at the service's current rate")
def test_a_subscription_post_is_charged_at_the_rate_of_its_placement(store: Store) -> None:
    """README: each post is charged "at rate × quantity / 1000 (the service's rate when the
    order was placed)". The order does not keep that rate (`details` has no `rate`), so
    `post_rate` takes the catalogue's rate at the time of the post."""
    store.ledger.sync_services([entry(3, "Subscriptions", rate=Decimal("4.00"), min=100, max=500)])
    account, _ = open_account(store, deposit="100")
    order = store.ledger.place_order(
        account.id, 3, {"username": "alice", "min": "100", "max": "500", "delay": "0"}
    )
    store.ledger.sync_services([entry(3, "Subscriptions", rate=Decimal("8.00"), min=100, max=500)])
    posted = store.ledger.report_post(order.number, "p1", 100, datetime.now(UTC))
    assert posted.charge == Decimal("0.40000")
