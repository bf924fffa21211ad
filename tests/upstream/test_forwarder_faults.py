"""The forwarder across database faults and a projections rebuild, in process: a
`ForwardingLoop` as the forwarder's process runs it, with the real `UpstreamClients` (which
read the database) sending to an upstream in memory (tests/upstream/fake.py), and a live
projector beside it.

PostgreSQL's faults (tests/integration/pg_proxy.py): the forwarder's store reaches the
database through a proxy that goes down at a chosen moment (an upstream's answer, a COMMIT)
and comes back once the forwarder has failed, or its backends are terminated. What must
hold: the forwarder goes on by itself; the upstream holds at most one order per order here;
an outcome the database did not take is recorded once it answers, and an attempt that
cannot be known to be settled is in doubt, never sent again; nothing is sent without its
attempt recorded first; the read models verify.

A projections rebuild (both backends) while orders arrive and are forwarded, and a service
is linked: each sent once, none handed to a bot, and the read models verify after.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx
import psycopg
import pytest
from eventsourcing.postgres import PostgresAggregateRecorder

from orderledger.application.claiming import WorkClaims
from orderledger.application.forwarder import INTERRUPTED, Client, Forwarder
from orderledger.application.forwarding_loop import ForwardingLoop, leadership
from orderledger.application.upstream_clients import UpstreamClients
from orderledger.bootstrap import Store
from orderledger.domain.account import Account
from orderledger.domain.order import ForwardState, Order, OrderStatus
from orderledger.domain.refill import RefillStatus
from orderledger.projections.live import LiveProjection
from orderledger.projections.rebuild import rebuild
from orderledger.projections.registry import PROJECTIONS
from orderledger.projections.verify import verify
from orderledger.storage import event_recorder, pools
from orderledger.storage import postgres as postgres_backend
from orderledger.storage.settings import PostgresAddress, Settings
from orderledger.views import forwards
from tests.conftest import entry, open_account, settle
from tests.integration.faults import eventually, terminate_backends
from tests.integration.pg_proxy import PostgresProxy, postgres_proxy
from tests.upstream.fake import FakeUpstream

LINKED, OWN, LATE = 1, 2, 3  # LATE: linked during the rebuild test
ATTEMPTED = b"Order.ForwardAttempted"  # the topic in the INSERT of an attempt


@pytest.fixture(autouse=True)
def quick_outages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pools wait 1 s for a connection before taking the database to be away, not 5."""
    monkeypatch.setattr(pools, "POOL_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr(postgres_backend, "POOL_TIMEOUT_SECONDS", 1.0)


@pytest.fixture
def reads_fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the database away (the proxy down), reading an aggregate fails after one wait
    for a connection: eventsourcing would try ten times (after terminated backends, its
    tries are what a read needs: not for those tests)."""
    select_once = PostgresAggregateRecorder.select_events.__wrapped__  # type: ignore[attr-defined]
    monkeypatch.setattr(PostgresAggregateRecorder, "select_events", select_once)


@dataclass
class Upstream(FakeUpstream):
    """The fake upstream, which also does `then[(action, n)]` once it has dealt with the
    n-th call of that action (before the forwarder hears the answer)."""

    then: dict[tuple[str, int], Callable[[], object]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)

    def handler(self, request: httpx.Request) -> httpx.Response:
        action = parse_qs(request.content.decode())["action"][0]
        self.calls[action] += 1
        try:
            return super().handler(request)
        finally:
            after = self.then.pop((action, self.calls[action]), None)
            if after is not None:
                after()

    def links(self) -> Counter[str]:
        """How many orders the upstream holds of each link."""
        return Counter(placed.fields["link"] for placed in self.orders.values())


@dataclass
class Shop:
    """The ledger as the network and the operator see it (not through the proxy)."""

    store: Store
    account: Account
    upstream: Upstream
    placed: int = 0
    live: LiveProjection | None = None  # the server's projector, in a thread

    def project(self) -> None:
        self.live = LiveProjection(self.store.projector(), self.store.leadership())
        self.live.start()

    def hold_projector(self) -> None:
        if self.live is not None:
            self.live.stop()
        self.live = None

    def place(self, service: int = LINKED) -> int:
        self.placed += 1
        fields = {"link": f"https://x/{self.placed}", "quantity": "1000"}
        return self.store.ledger.place_order(self.account.id, service, fields).number

    def order(self, number: int) -> Order:
        return self.store.ledger.known_order(number)

    def states(self, numbers: list[int]) -> dict[int, ForwardState | None]:
        return {number: self.order(number).forward_state for number in numbers}

    def events(self, number: int) -> list[str]:
        return [type(e).__name__ for e in self.store.ledger.events.get(self.order(number).id)]

    def all_forwarded(self, numbers: list[int]) -> bool:
        return set(self.states(numbers).values()) == {ForwardState.FORWARDED}

    def settled(self, numbers: list[int]) -> dict[int, ForwardState | None]:
        """The orders' forwarding states, once none waits or is being sent."""
        unsettled = {None, ForwardState.SENDING}
        eventually(lambda: not unsettled & set(self.states(numbers).values()), timeout=30)
        return self.states(numbers)

    def check_forwarded(self, numbers: list[int]) -> None:
        assert self.settled(numbers) == dict.fromkeys(numbers, ForwardState.FORWARDED)

    def check_sent_once(self, numbers: list[int]) -> None:
        """Every order the upstream holds is one of ours, once; each forwarded one is it."""
        assert max(self.upstream.links().values(), default=1) == 1
        for number in numbers:
            order = self.order(number)
            if order.forward_state is ForwardState.FORWARDED:
                held = self.upstream.orders[str(order.upstream_order)]
                assert held.fields["link"] == order.link

    def check_read_models(self) -> None:
        settle(self.store)
        assert verify(self.store.ledger, self.store.db) == []


@pytest.fixture
def shop(store: Store) -> Iterator[Shop]:
    ledger = store.ledger
    ledger.sync_services([entry(LINKED, refill=True), entry(OWN), entry(LATE)])
    store.upstream_keys.put("bulk", "k3y")
    ledger.add_upstream("bulk", "https://upstream.example/api/v2")
    ledger.link_service(LINKED, "bulk", 501)
    account, _ = open_account(store, deposit="1000")
    shop = Shop(store, account, Upstream())
    shop.project()
    try:
        yield shop
    finally:
        shop.hold_projector()


@dataclass
class Running:
    store: Store  # the forwarder's own
    forwarder: Forwarder
    loop: ForwardingLoop

    def has_failed(self) -> bool:
        return bool(self.loop.last_error)


@contextmanager
def forwarding(
    settings: Settings,
    upstream: Upstream,
    clients: Callable[[UpstreamClients], Callable[[str], Client]] = lambda made: made,
    sync_every: float = 60.0,
) -> Iterator[Running]:
    """The forwarder's process, in a thread: its own store, clients and loop."""
    store = Store.open(settings, pool_size=2)
    made = UpstreamClients(
        store.ledger, store.upstream_keys, transport=httpx.MockTransport(upstream.handler)
    )
    forwarder = Forwarder(store.ledger, store.db, clients(made), sync_every=sync_every)
    loop = ForwardingLoop(forwarder, leadership(store.db), idle=0.05)
    loop.start()
    try:
        yield Running(store, forwarder, loop)
    finally:
        loop.stop()
        made.close()
        store.close()


def back_once_failed(proxy: PostgresProxy, running: Running) -> None:
    """The database comes back once the forwarder has met its absence."""
    eventually(running.has_failed, timeout=30)
    proxy.come_back()


# ---- PostgreSQL's connections cut ----------------------------------------------------------


def test_the_forwarder_goes_on_by_itself_after_its_backends_are_terminated_mid_round(
    postgres: PostgresAddress, settings: Settings, shop: Shop
) -> None:
    numbers = [shop.place() for _ in range(12)]
    shop.upstream.then[("add", 3)] = lambda: terminate_backends(postgres)
    with forwarding(settings, shop.upstream):
        shop.check_forwarded(numbers)
    assert shop.upstream.adds == 12
    shop.check_sent_once(numbers)
    shop.check_read_models()


@pytest.mark.parametrize(
    ("fate", "recorded"),
    [("", ForwardState.FORWARDED), ("timeout after placing", ForwardState.IN_DOUBT)],
)
@pytest.mark.usefixtures("reads_fail_fast")
def test_an_outcome_the_database_could_not_take_is_recorded_once_it_answers_never_resent(
    postgres: PostgresAddress,
    settings: Settings,
    shop: Shop,
    fate: str,
    recorded: ForwardState,
) -> None:
    numbers = [shop.place() for _ in range(6)]
    third = numbers[2]
    with postgres_proxy(postgres) as proxy:
        shop.upstream.faults = ["", "", fate]
        shop.upstream.then[("add", 3)] = proxy.go_down
        with forwarding(proxy.settings(settings), shop.upstream) as running:
            back_once_failed(proxy, running)
            states = shop.settled(numbers)
    assert states == {n: recorded if n == third else ForwardState.FORWARDED for n in numbers}
    assert shop.upstream.adds == 6  # the third once, as every other
    shop.check_sent_once(numbers)
    shop.check_read_models()


@pytest.mark.usefixtures("reads_fail_fast")
def test_a_forwarder_stopped_before_it_could_record_an_outcome_leaves_the_order_in_doubt(
    postgres: PostgresAddress, settings: Settings, shop: Shop
) -> None:
    first, second = shop.place(), shop.place()
    with postgres_proxy(postgres) as proxy:
        shop.upstream.then[("add", 1)] = proxy.go_down
        with forwarding(proxy.settings(settings), shop.upstream) as running:
            eventually(running.has_failed, timeout=30)
        proxy.come_back()  # a forwarder started anew (the process was restarted)
        with forwarding(proxy.settings(settings), shop.upstream):
            shop.check_forwarded([second])
            eventually(lambda: shop.order(first).forward_state is ForwardState.IN_DOUBT)
    assert shop.order(first).doubt == INTERRUPTED
    assert shop.upstream.adds == 2
    shop.check_sent_once([first, second])
    shop.check_read_models()


@pytest.mark.usefixtures("reads_fail_fast")
def test_an_order_whose_attempt_was_recorded_just_before_the_database_went_away_is_sent_once(
    postgres: PostgresAddress, settings: Settings, shop: Shop
) -> None:
    # The clients read the upstream's URL and key from the database before each `add`: the
    # database is away then, and nothing has been sent.
    numbers = [shop.place() for _ in range(3)]
    with postgres_proxy(postgres) as proxy:
        asked = Counter[str]()

        def clients(made: UpstreamClients) -> Callable[[str], Client]:
            def client(name: str) -> Client:
                asked[name] += 1
                if asked[name] == 2:
                    proxy.go_down()
                return made(name)

            return client

        with forwarding(proxy.settings(settings), shop.upstream, clients) as running:
            back_once_failed(proxy, running)
            shop.check_forwarded(numbers)
    assert shop.upstream.adds == 3
    assert shop.events(numbers[1])[-3:] == ["ForwardNotPlaced", "ForwardAttempted", "Forwarded"]
    shop.check_sent_once(numbers)
    shop.check_read_models()


@pytest.mark.usefixtures("reads_fail_fast")
def test_the_status_sync_goes_on_after_the_database_went_away_during_it(
    postgres: PostgresAddress, settings: Settings, shop: Shop
) -> None:
    numbers = [shop.place() for _ in range(2)]
    with (
        postgres_proxy(postgres) as proxy,
        forwarding(proxy.settings(settings), shop.upstream, sync_every=0.2) as running,
    ):
        shop.check_forwarded(numbers)
        shop.upstream.then[("status", shop.upstream.calls["status"] + 1)] = proxy.go_down
        for number in numbers:  # ended upstream, for the sync that meets the fault and after
            shop.upstream.set(str(shop.order(number).upstream_order), "Completed", remains=0)
        back_once_failed(proxy, running)
        completed = {n: OrderStatus.COMPLETED for n in numbers}
        eventually(lambda: {n: shop.order(n).status for n in numbers} == completed, 30)
    assert shop.all_forwarded(numbers)  # none put in doubt by the fault
    assert shop.upstream.adds == 2
    shop.check_read_models()


@pytest.mark.usefixtures("reads_fail_fast")
def test_a_refill_the_upstream_took_while_the_database_was_away_is_followed_not_rejected(
    postgres: PostgresAddress, settings: Settings, shop: Shop
) -> None:
    # Asked again, the upstream refuses a second refill of the order ("Order cannot be
    # refilled"): the refill it took must be recorded, not asked for twice.
    number = shop.place()
    with (
        postgres_proxy(postgres) as proxy,
        forwarding(proxy.settings(settings), shop.upstream, sync_every=0.2) as running,
    ):
        shop.check_forwarded([number])
        shop.upstream.set(str(shop.order(number).upstream_order), "Completed", remains=0)
        eventually(lambda: shop.order(number).status is OrderStatus.COMPLETED)
        shop.upstream.then[("refill", 1)] = proxy.go_down
        refill = shop.store.ledger.request_refill(shop.account.id, number)
        back_once_failed(proxy, running)

        def answered() -> bool:
            now = shop.store.ledger.refill(refill.number)
            return now.upstream_refill is not None or now.status.is_finished

        eventually(answered, timeout=30)
    [taken] = shop.upstream.refills
    recorded = shop.store.ledger.refill(refill.number)
    assert (recorded.upstream_refill, recorded.status) == (taken, RefillStatus.PENDING)
    assert shop.upstream.calls["refill"] == 1
    shop.check_read_models()


def test_an_attempt_whose_commit_was_cut_is_looked_up_and_sent_once(
    postgres: PostgresAddress, settings: Settings, shop: Shop
) -> None:
    numbers = [shop.place() for _ in range(3)]
    with postgres_proxy(postgres) as proxy:
        cut = proxy.cut_at_commit(ATTEMPTED)
        with forwarding(proxy.settings(settings), shop.upstream):
            shop.check_forwarded(numbers)
    assert cut.is_set(), "no COMMIT of an attempt was cut"
    assert shop.upstream.adds == 3
    assert shop.events(numbers[0]).count("ForwardAttempted") == 1
    shop.check_sent_once(numbers)
    shop.check_read_models()


@pytest.mark.usefixtures("reads_fail_fast")
def test_an_attempt_whose_commit_could_not_be_confirmed_is_not_sent_until_it_is_settled(
    postgres: PostgresAddress,
    settings: Settings,
    shop: Shop,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The COMMIT is carried out, the connection is cut and the database is away at once:
    # the store cannot learn in time whether the attempt was recorded.
    monkeypatch.setattr(event_recorder, "FIND_OUT_SECONDS", 0.0)
    numbers = [shop.place() for _ in range(3)]
    with postgres_proxy(postgres) as proxy:
        cut = proxy.cut_at_commit(ATTEMPTED, then_down=True)
        with forwarding(proxy.settings(settings), shop.upstream) as running:
            back_once_failed(proxy, running)
            shop.check_forwarded(numbers)
    assert cut.is_set(), "no COMMIT of an attempt was cut"
    assert shop.upstream.adds == 3
    assert shop.events(numbers[0])[-4:] == [
        "ForwardAttempted",  # committed, but not known to be
        "ForwardNotPlaced",  # so never sent: back in the queue once the database answered
        "ForwardAttempted",
        "Forwarded",
    ]
    shop.check_sent_once(numbers)
    shop.check_read_models()


def test_an_outcome_recorded_before_the_read_model_shows_it_is_not_taken_for_interrupted(
    store: Store, shop: Shop
) -> None:
    # Found by the outage tests above: the outcome kept while the database was away is
    # recorded at the start of the next round, and the read model still says `sending` when
    # that round looks for attempts left behind. So after any round whose last outcome the
    # projector has not folded yet (a full round is followed at once by the next).
    number = shop.place()
    settle(store)
    store.ledger.begin_forward(number, "bulk", 501)
    settle(store)  # the read model: sending
    shop.hold_projector()
    store.ledger.record_forwarded(number, "9001")  # not folded yet
    Forwarder(store.ledger, store.db, shop.upstream.clients()).round()
    assert shop.order(number).forward_state is ForwardState.FORWARDED
    assert shop.order(number).doubt == ""


# ---- a projections rebuild ------------------------------------------------------------------


@dataclass
class Bots:
    """A bot claiming orders again and again; what it was handed."""

    store: Store
    stopping: threading.Event = field(default_factory=threading.Event)
    claimed: list[Order] = field(default_factory=list)

    def run(self) -> None:
        claims = WorkClaims(self.store.ledger, self.store.db)
        while not self.stopping.wait(0.02):
            self.claimed += claims.claim_orders("bot-1", limit=10)


# Found by the test below (a deadlock of its rebuild's switch, now and then): the switch
# locks the live tables one by one in registry order (Rebuild.lock); a read of two of them
# that opens them in another order holds one while it waits for the other.
FORWARDER_READS: dict[str, Callable[[Store], object]] = {
    "interrupted": lambda store: forwards.interrupted(store.db),
    "due_for_check": lambda store: forwards.due_for_check(store.db, "bulk", 1),
    "forward_of": lambda store: forwards.forward_of(store.db, 1),
    "forwards_of": lambda store: forwards.forwards_of(store.db, [1]),
}


@pytest.mark.parametrize("read", list(FORWARDER_READS))
def test_a_read_of_the_forwards_never_holds_a_table_a_rebuilds_switch_waits_for(
    postgres: PostgresAddress, store: Store, read: str
) -> None:
    first, *others = [projection.table for projection in PROJECTIONS]
    reading = threading.Thread(target=FORWARDER_READS[read], args=(store,))
    with (
        psycopg.connect(postgres.conninfo()) as switch,
        psycopg.connect(postgres.conninfo(), autocommit=True) as watcher,
    ):
        switch.execute("SET lock_timeout = '500ms'")  # a deadlock is found only after 1 s
        switch.execute(f"LOCK TABLE {first} IN ACCESS EXCLUSIVE MODE")
        reading.start()
        eventually(lambda: waiting_for(watcher, first))
        for table in others:
            switch.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    reading.join(timeout=30)


def waiting_for(conn: psycopg.Connection[tuple[object, ...]], table: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (table,),
    ).fetchone()
    return bool(row and row[0])


def test_a_rebuild_while_orders_are_forwarded_sends_each_once_and_none_to_the_bots(
    settings: Settings, shop: Shop
) -> None:
    linked = [shop.place() for _ in range(20)]
    own = [shop.place(OWN) for _ in range(5)]

    def arrivals() -> None:  # while the rebuilds run; a service is linked halfway
        for i in range(50):
            if i == 25:
                shop.store.ledger.link_service(LATE, "bulk", 503)
            if i % 5:
                linked.append(shop.place(LATE if i > 25 else LINKED))
            else:
                own.append(shop.place(OWN))

    bots = Bots(shop.store)
    bot = threading.Thread(target=bots.run, daemon=True)
    placing = threading.Thread(target=arrivals, daemon=True)
    bot.start()
    try:
        with forwarding(settings, shop.upstream) as running:
            running.forwarder.links.max_age = 0.1  # a new link seen at once, not within 5 s
            placing.start()
            sent_before, rebuilds = shop.upstream.adds, 0
            while rebuilds < 2 or (shop.upstream.adds == sent_before and rebuilds < 50):
                assert rebuild(shop.store.ledger, shop.store.db, PROJECTIONS, page_size=20)
                rebuilds += 1
            assert shop.upstream.adds > sent_before  # the forwarder went on meanwhile
            placing.join(timeout=60)
            shop.check_forwarded(linked)
        eventually(lambda: len(bots.claimed) == len(own))
    finally:
        placing.join(timeout=60)
        bots.stopping.set()
        bot.join(timeout=30)
    assert sorted(o.number for o in bots.claimed) == own
    assert shop.upstream.adds == len(linked)
    assert Counter(p.fields["service"] for p in shop.upstream.orders.values()) == {
        "501": 40,
        "503": 20,
    }
    shop.check_sent_once(linked)
    shop.check_read_models()
