"""Every aggregate comes back from a snapshot exactly as its events build it.

A world with every aggregate type in every state worth telling apart is recorded with a
snapshot of every aggregate at every save; after a restart (a new store, nothing cached) each
snapshot, alone and with the events after it, gives the aggregate its events give: the same
attributes with the same values of the same types.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import chain
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

import orderledger.domain
from orderledger.application.ledger import Ledger
from orderledger.application.ledger_base import apply_events
from orderledger.bootstrap import Store
from orderledger.cli.accounts import describe as describe_account
from orderledger.cli.orders import describe as describe_order
from orderledger.domain.account import Account, Billing
from orderledger.domain.order import Order, OrderStatus
from orderledger.domain.refill import Refill, RefillStatus
from orderledger.domain.snapshots import AGGREGATE_TYPES
from orderledger.domain.upstream import Upstream
from orderledger.http.fulfilment_schemas import work_order
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account
from tests.integration.refusals import refuse_inserts
from tests.old_snapshots import OLD_ACCOUNT

DEFAULT, DRIP, SUBSCRIPTION, PACKAGE, COMMENTS, CHANGED, DISABLED = 1, 2, 3, 4, 5, 6, 7
LEASE = timedelta(minutes=15)
START = datetime.now(UTC)


def aggregate_types() -> set[type[Aggregate]]:
    """Every Aggregate subclass the domain defines."""
    for module in pkgutil.iter_modules(orderledger.domain.__path__):
        importlib.import_module(f"orderledger.domain.{module.name}")

    def subclasses(cls: type[Aggregate]) -> Iterator[type[Aggregate]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return {cls for cls in subclasses(Aggregate) if cls.__module__.startswith("orderledger.")}


def test_the_domain_lists_every_aggregate_type_it_defines() -> None:
    assert set(AGGREGATE_TYPES) == aggregate_types()


def identical(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (a str is not an enum member)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal):
        return str(a) == str(b)
    return bool(a == b)


def differences(a: Any, b: Any) -> dict[str, tuple[Any, Any]]:
    left, right = vars(a), vars(b)
    return {
        name: (left.get(name), right.get(name))
        for name in left.keys() | right.keys()
        if name not in left or name not in right or not identical(left[name], right[name])
    }


def place(ledger: Ledger, account: UUID, service: int, **fields: Any) -> int:
    return ledger.place_order(account, service, {k: str(v) for k, v in fields.items()}).number


def record_orders(ledger: Ledger, account: UUID) -> dict[str, int]:
    """An order in each status, and the ways there worth telling apart."""
    orders = {"pending": place(ledger, account, DEFAULT, link="https://x/pending", quantity=100)}
    orders["processing"] = claimed = place(
        ledger, account, DEFAULT, link="https://x/p", quantity=100
    )
    ledger.claim_order(claimed, "bot", LEASE, now=START)
    orders["released"] = released = place(
        ledger, account, DEFAULT, link="https://x/r", quantity=100
    )
    ledger.claim_order(released, "bot", LEASE, now=START)
    ledger.release_claim(released, "bot", now=START)
    orders["in progress"] = going = place(
        ledger, account, DEFAULT, link="https://x/i", quantity=300
    )
    ledger.claim_order(going, "bot", LEASE, now=START)
    ledger.start_order(going, 17)
    ledger.report_delivery(going, 120)
    ledger.request_cancel(account, going)
    for name, link in (("completed", "c"), ("partial", "pa"), ("refunded", "rf")):
        orders[name] = number = place(
            ledger, account, DEFAULT, link=f"https://x/{link}", quantity=200
        )
        ledger.start_order(number, 3)
        ledger.report_delivery(number, 50)
    ledger.complete_order(orders["completed"])
    ledger.stop_partial(orders["partial"], 150)
    ledger.complete_order(orders["refunded"])
    ledger.refund_order(orders["refunded"])
    orders["canceled"] = canceled = place(
        ledger, account, DEFAULT, link="https://x/x", quantity=100
    )
    ledger.request_cancel(account, canceled)
    ledger.cancel_order(canceled)
    orders["failed"] = failed = place(ledger, account, PACKAGE, link="https://x/f")
    ledger.fail_order(failed, "the post was removed")
    orders["relinked"] = place(ledger, account, DEFAULT, link="https://x/x", quantity=100)
    orders["comments"] = place(
        ledger, account, COMMENTS, link="https://x/cm", comments='nice\ngreat "é"\n\nwow'
    )
    return orders


def record_drip_feed(ledger: Ledger, account: UUID) -> int:
    number = place(ledger, account, DRIP, link="https://x/d", quantity=100, runs=3, interval=30)
    ledger.claim_order(number, "bot", LEASE, now=START)
    ledger.report_delivery(number, 100)  # the first run is done: its claim ends by itself
    ledger.claim_order(number, "bot", LEASE, now=START + timedelta(minutes=31))
    ledger.report_delivery(number, 150)
    return number


def record_subscriptions(ledger: Ledger, account: UUID) -> list[int]:
    running = place(ledger, account, SUBSCRIPTION, username="u", min=100, max=300, delay=0, posts=3)
    ledger.claim_order(running, "bot", LEASE, now=START)
    ledger.report_post(running, "https://x/post/1", 150, now=START)
    ledger.report_post(running, "p2", 200, now=START)
    done = place(ledger, account, SUBSCRIPTION, username="v", min=100, max=300, delay=0, posts=1)
    ledger.report_post(done, "only", 100, now=START)
    # A day after START: the test may run after the midnight that follows its collection.
    expiry = (START + timedelta(days=1)).strftime("%d/%m/%Y")
    expired = place(
        ledger, account, SUBSCRIPTION, username="w", min=100, max=100, delay=0, expiry=expiry
    )
    ledger.end_subscription(expired, now=START + timedelta(days=2))
    return [running, done, expired]


def record_refills(ledger: Ledger, account: UUID) -> dict[RefillStatus, int]:
    refills: dict[RefillStatus, int] = {}
    for status in RefillStatus:
        order = place(
            ledger, account, DEFAULT, link=f"https://x/refill/{status.name}", quantity=100
        )
        ledger.complete_order(order)
        refills[status] = number = ledger.request_refill(account, order).number
        if status is RefillStatus.PENDING:
            continue
        ledger.claim_refill(number, "bot", LEASE, now=START)
        ledger.start_refill(number)
        if status is RefillStatus.COMPLETED:
            ledger.complete_refill(number)
            ledger.request_refill(account, order)  # a second refill of the same order
        elif status is RefillStatus.REJECTED:
            ledger.reject_refill(number, "nothing dropped")
        elif status is RefillStatus.FAILED:
            ledger.fail_refill(number)
    return refills


def record_catalogue_changes(ledger: Ledger) -> None:
    ledger.sync_services([entry(CHANGED, name="Renamed", rate=Decimal("3.14159"), max=20000)])
    ledger.disable_services([DISABLED, CHANGED])
    ledger.sync_services([entry(CHANGED, name="Renamed", rate=Decimal("3.14159"), max=20000)])


def record_forwarding(ledger: Ledger, account: UUID) -> None:
    """An upstream through its changes, a service linked to it, an order in each forward
    state (recorded as the forwarder records them)."""
    ledger.add_upstream("bulk", "https://provider.example/api/v2")
    ledger.move_upstream("bulk", "https://provider.example/v2")

    def on_upstream(change: Callable[[Upstream], object]) -> None:
        upstream = ledger.known_upstream("bulk")
        change(upstream)
        ledger.save(upstream)

    on_upstream(lambda u: u.ran_short("Not enough funds on balance", START + LEASE))
    on_upstream(lambda u: u.funds_restored())
    ledger.link_service(DRIP, "bulk", 501)
    steps: dict[str, list[Callable[[Order], object]]] = {
        "sending": [],
        "forwarded": [lambda o: o.record_forwarded(upstream_order="9001")],
        "costed": [
            lambda o: o.record_forwarded(upstream_order="9002"),
            lambda o: o.record_upstream_cost(cost=Decimal("0.12345"), currency="USD"),
        ],
        "in doubt": [lambda o: o.record_forward_in_doubt(reason="timed out after sending")],
        "attached": [
            lambda o: o.record_forward_in_doubt(reason="crashed while sending"),
            lambda o: o.record_upstream_order_attached(upstream_order="9003", by="alice"),
        ],
        "reopened": [
            lambda o: o.record_forward_in_doubt(reason="crashed while sending"),
            lambda o: o.record_forward_reopened(by="alice"),
        ],
        "not placed": [lambda o: o.record_forward_not_placed(reason="Not enough funds")],
    }
    for name, changes in steps.items():
        link = f"https://x/forward/{name.replace(' ', '-')}"
        number = place(ledger, account, DRIP, link=link, quantity=100, runs=2, interval=5)
        ledger.on_order(
            number,
            lambda o: o.record_forward_attempt(upstream="bulk", upstream_service=501, attempt=1),
        )
        for change in changes:
            ledger.on_order(number, change)
    ledger.unlink_service(DRIP)


def record_every_kind_of_aggregate(ledger: Ledger, store: Store) -> None:
    ledger.sync_services(
        [
            entry(DEFAULT, cancel=True, refill=True),
            entry(DRIP, dripfeed=True),
            entry(SUBSCRIPTION, "Subscriptions", rate=Decimal("4.00"), min=100, max=500),
            entry(PACKAGE, "Package", rate=Decimal("7.25"), min=1, max=1),
            entry(COMMENTS, "Custom Comments", rate=Decimal("10"), min=1, max=100),
            entry(CHANGED),
            entry(DISABLED),
        ]
    )
    prepaid, _ = open_account(store, "prepaid", deposit="1000")
    postpaid, _ = open_account(store, "postpaid", billing=Billing.POSTPAID, credit="10")
    record_orders(ledger, prepaid.id)
    record_drip_feed(ledger, prepaid.id)
    record_subscriptions(ledger, prepaid.id)
    record_refills(ledger, prepaid.id)
    record_orders(ledger, postpaid.id)
    record_catalogue_changes(ledger)
    record_forwarding(ledger, prepaid.id)
    ledger.deposit("prepaid", Decimal("5"), "wire 1")
    ledger.adjust("prepaid", Decimal("-2.5"), "over-credit")
    ledger.adjust("postpaid", Decimal("1"), "goodwill")
    for _ in range(2):
        ledger.record_revocation("operator", "old-bot", 1, by="staff")


@pytest.fixture
def restarted(settings: Settings) -> Iterator[Store]:
    """The world recorded with a snapshot at every save, then a new store on it."""
    store = Store.open(settings)
    try:
        store.ledger.snapshot_every = dict.fromkeys(AGGREGATE_TYPES, 1)
        record_every_kind_of_aggregate(store.ledger, store)
    finally:
        store.close()
    reopened = Store.open(settings)
    try:
        yield reopened
    finally:
        reopened.close()


def replayed(ledger: Ledger, originator: UUID) -> Any:
    return apply_events(None, ledger.events.get(originator))


def originators(ledger: Ledger) -> set[UUID]:
    notifications = ledger.recorder.select_notifications(start=None, limit=100_000)
    return {UUID(str(notification.originator_id)) for notification in notifications}


def snapshots_by_type(ledger: Ledger) -> dict[type[Aggregate], list[Any]]:
    assert ledger.snapshots is not None
    found: dict[type[Aggregate], list[Any]] = defaultdict(list)
    for originator in originators(ledger):
        for snapshot in ledger.snapshots.get(originator):
            found[type(apply_events(None, [snapshot]))].append(snapshot)
    return found


def test_every_aggregate_comes_back_from_each_snapshot_as_its_events_build_it(
    restarted: Store,
) -> None:
    ledger = restarted.ledger
    snapshots = snapshots_by_type(ledger)
    assert set(snapshots) == aggregate_types()
    for snapshot in chain.from_iterable(snapshots.values()):
        originator, version = snapshot.originator_id, snapshot.originator_version
        from_snapshot = apply_events(None, [snapshot])
        from_events = apply_events(None, ledger.events.get(originator, lte=version))
        assert differences(from_snapshot, from_events) == {}, (type(from_events), version)
        # and the events after it apply to the restored state as to the rebuilt one
        later = list(ledger.events.get(originator, gt=version))
        continued = apply_events(from_snapshot, later)
        assert differences(continued, apply_events(from_events, later)) == {}


def test_the_recorded_world_has_every_status_and_billing_in_its_snapshots(
    restarted: Store,
) -> None:
    snapshots = snapshots_by_type(restarted.ledger)

    def seen(cls: type[Aggregate], name: str) -> set[Any]:
        return {snapshot.state[name] for snapshot in snapshots[cls]}

    assert seen(Order, "status") == set(OrderStatus)
    assert seen(Refill, "status") == set(RefillStatus)
    assert seen(Account, "billing") == set(Billing)


def test_every_aggregate_loads_after_a_restart_as_its_events_build_it(restarted: Store) -> None:
    ledger = restarted.ledger
    assert ledger.snapshots is not None
    for originator in originators(ledger):
        loaded = ledger.load(Aggregate, originator)
        assert loaded is not None
        assert differences(loaded, apply_events(None, ledger.events.get(originator))) == {}
        # every save was snapshotted: none was refused as unfaithful
        [latest] = ledger.snapshots.get(originator, desc=True, limit=1)
        assert latest.originator_version == loaded.version


def test_the_answers_built_from_aggregates_loaded_after_a_restart_are_as_before(
    restarted: Store,
) -> None:
    ledger = restarted.ledger
    for originator in originators(ledger):
        loaded, rebuilt = ledger.load(Aggregate, originator), replayed(ledger, originator)
        if isinstance(loaded, Account):
            assert describe_account(loaded) == describe_account(rebuilt)
        if isinstance(loaded, Order):
            assert work_order(loaded) == work_order(rebuilt)
            assert describe_order(loaded) == describe_order(rebuilt)


def test_snapshots_every_few_events_keep_every_command_working(settings: Settings) -> None:
    store = Store.open(settings)
    try:
        store.ledger.snapshot_every = dict.fromkeys(AGGREGATE_TYPES, 3)
        store.ledger.repository.cache = None  # every command loads as after a restart
        record_every_kind_of_aggregate(store.ledger, store)
        ledger = store.ledger
        for originator in originators(ledger):
            loaded = ledger.load(Aggregate, originator)
            assert differences(loaded, apply_events(None, ledger.events.get(originator))) == {}
    finally:
        store.close()


def test_a_store_with_snapshots_written_by_the_old_code_keeps_its_postpaid_accounts(
    settings: Settings,
) -> None:
    store = Store.open(settings)
    try:
        store.ledger.sync_services([entry(DEFAULT)])
        account, _ = open_account(store, billing=Billing.POSTPAID, credit="10")
        place(store.ledger, account.id, DEFAULT, link="https://x/1", quantity=100)
        assert store.ledger.snapshots is not None
        stored = StoredEvent(account.id, 2, "eventsourcing.domain:Snapshot", OLD_ACCOUNT)
        store.ledger.snapshots.recorder.insert_events([stored])
    finally:
        store.close()
    store = Store.open(settings)
    try:
        loaded = store.ledger.account(account.id)
        assert loaded.billing is Billing.POSTPAID
        for i in range(50):  # 12.50 in all, more than the 10 it shows
            place(store.ledger, account.id, DEFAULT, link=f"https://x/more/{i}", quantity=100)
        assert store.ledger.account(account.id).owed == Decimal("12.75000")
    finally:
        store.close()


def refuse_snapshots(settings: Settings, store: Store) -> None:
    """Make the database refuse every snapshot with a constraint error, the kind `retrying`
    takes for a concurrent change."""
    table = store.ledger.snapshots.recorder.events_table_name  # type: ignore[union-attr]
    refuse_inserts(settings, "events.sqlite", table, "snapshots refused", "unique_violation")


def test_a_deposit_whose_snapshot_is_refused_succeeds_and_is_recorded_once(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open(settings)
    try:
        open_account(store, deposit=None)
        store.ledger.snapshot_every = dict.fromkeys(AGGREGATE_TYPES, 1)
        refuse_snapshots(settings, store)
        account = store.ledger.deposit("network", Decimal("20"))
        assert account.deposits == Decimal("20.00000")
        assert "no snapshot of Account" in caplog.text
        events = list(store.ledger.events.get(account.id))
        assert [type(e).__qualname__ for e in events] == ["Account.Opened", "Account.Deposited"]
    finally:
        store.close()
