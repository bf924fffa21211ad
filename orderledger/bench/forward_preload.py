"""The stores of the sync measurement, filled fast: orders at the upstream, the same orders
downstream as the forwarder leaves them once it has sent them and seen them once, and a share
of them moved on by the upstream's staff.

As `preload` does, hundreds of orders a transaction through the ledger's own commands and the
order's own command methods, so each order holds exactly the events the real path records:
downstream `Placed` (with its charge), `ForwardAttempted`, `Forwarded` with the upstream's
order number, and `UpstreamCostReported` with the charge the upstream's `status` gives (what
the first sync after forwarding records); the upstream's staff `Started`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from orderledger.application.batch_placing import PlaceOrder
from orderledger.bench.preload import ACCOUNT, PRELOAD_BATCH, Fixture
from orderledger.bootstrap import Store
from orderledger.domain.claims import STAFF, utc_now
from orderledger.domain.errors import LedgerError
from orderledger.domain.order import Order

START_COUNT = 40


def sync_link(index: int) -> str:
    return f"https://bench.example/sync/{index}"


def place(store: Store, commands: Sequence[PlaceOrder]) -> list[Order]:
    """The orders, placed for the bench's account in transactions of PRELOAD_BATCH."""
    account = store.ledger.account(ACCOUNT).id
    placed: list[Order] = []
    for start in range(0, len(commands), PRELOAD_BATCH):
        for outcome in store.ledger.place_orders(account, commands[start : start + PRELOAD_BATCH]):
            if isinstance(outcome, LedgerError):
                raise outcome
            placed.append(outcome)
    return placed


def upstream_orders(store: Store, fixture: Fixture, count: int) -> list[Order]:
    return place(store, [PlaceOrder(*fixture.add_fields(i, sync_link(i))) for i in range(count)])


def forwarded_orders(
    store: Store,
    upstream: str,
    theirs: Sequence[Order],
    progress: Callable[[int], None] = lambda _: None,
) -> list[Order]:
    """One order here for each of `theirs`, forwarded to it: the same service (linked to the
    upstream's of that number), link and quantity."""
    mine: list[Order] = []
    for start in range(0, len(theirs), PRELOAD_BATCH):
        batch = theirs[start : start + PRELOAD_BATCH]
        commands = [
            PlaceOrder(t.service_number, {"link": t.link, "quantity": str(t.quantity)})
            for t in batch
        ]
        orders = place(store, commands)
        now = utc_now()
        for order, their in zip(orders, batch, strict=True):
            order.begin_forward(upstream, their.service_number, now)
            order.forward_placed(str(their.number))
            order.report_upstream_cost(their.net_charge, their.currency)
        store.ledger.save(*orders)
        mine += orders
        progress(len(orders))
    return mine


def start_share(store: Store, orders: Sequence[Order], count: int) -> list[Order]:
    """`count` of the orders, spread evenly, started by the upstream's staff."""
    if count <= 0:
        return []
    step = max(len(orders) // count, 1)
    chosen = list(orders[::step])[:count]
    now = utc_now()
    for start in range(0, len(chosen), PRELOAD_BATCH):
        batch = chosen[start : start + PRELOAD_BATCH]
        for order in batch:
            order.start(START_COUNT, STAFF, now)
        store.ledger.save(*batch)
    return chosen
