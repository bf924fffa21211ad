"""The upstream section (`orderledger bench --upstream`): forwarding to an upstream
orderledger on the same machine, and one status sync of many forwarded orders.

Three fresh PostgreSQL databases, dropped after: the upstream's (the real catalogue, the
downstream's funded account and its key), the forwarding downstream's and the syncing
downstream's (the same catalogue, its plain services linked to the upstream's of the same
number). The upstream's `orderledger serve` runs throughout, on a port chosen first so that
the downstreams can name it.

1. **Forwarding.** The ceiling: the same kind of `add`s sent in sequence by one bare client
   (the forwarder's own client, in a process of its own: bench/upstream_driver.py), after a
   warm-up; one forwarder sends in sequence, so this is the most it could do. Then a
   downstream `orderledger serve` (its status sync put off: that is part 2) and N orders
   placed there, 500 to a transaction; the time runs from the first placement until the
   upstream's store holds all N, and the downstream forwarder process's CPU meanwhile is
   read from /proc. Every order must then be forwarded, none in doubt, none twice.
2. **One sync round.** N orders at the upstream and N downstream forwarded to them, with the
   events the forwarder records (bench/forward_preload.py), projected. The ceiling: the same
   `status` calls (100 ids each) by the bare client, measured right before each round. After
   a round to warm up (not counted), a round with nothing changed must record nothing;
   before the last round, the upstream's staff start a share of the orders, and that round
   must record one event for each.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

import msgspec
import psycopg
from eventsourcing.utils import get_topic
from psycopg.sql import SQL, Identifier

from orderledger.bench import forward_preload, preload, servers
from orderledger.bench.report import UpstreamFigures, UpstreamMeasured, upstream_figures
from orderledger.bench.run import Bench, BenchFailed, Served
from orderledger.bench.upstream_driver import Command, Step
from orderledger.bootstrap import event_table_name
from orderledger.domain.order import ForwardState, Order
from orderledger.projections.order_forwards import ORDER_FORWARDS

UPSTREAM = "bench-upstream"
WARMUP_ADDS = 20
WARMUP_POLLS = 5  # calls
CHANGED_SHARE = 0.1
# The downstream forwarder's status sync waits this long after its first round (of nothing),
# so that forwarding is measured alone.
SYNC_PUT_OFF = {"ORDERLEDGER_UPSTREAM_SYNC_SECONDS": "86400"}
POLL_SECONDS = 0.05
IDLE_CHECK_SECONDS = 0.5
IDLE_CPU_SECONDS = 0.05  # what an idle forwarder's rounds cost in IDLE_CHECK_SECONDS, at most
FORWARD_TIMEOUT = 1800.0
PLACED = get_topic(Order.Placed)


class Driven:
    """The driver process: one command in, one step out."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def ask(self, command: Command, what: str) -> Step:
        stdin, stdout = self.pipes()
        stdin.write(msgspec.json.encode(command) + b"\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise BenchFailed(
                f"the upstream driver exited during {what}:\n{servers.tail(self.log)}"
            )
        step = msgspec.json.decode(line, type=Step)
        if step.error:
            raise BenchFailed(f"{what}: {step.error}")
        return step

    def pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        assert self.process.stdin is not None and self.process.stdout is not None
        return self.process.stdin, self.process.stdout


class UpstreamBench(Bench):
    def run_upstream(self) -> UpstreamFigures:
        with ExitStack() as stack:
            scratch = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="orderledger-bench-"))
            )
            up = self.open_store(stack, "upstream", scratch)
            forwarding = self.open_store(stack, "forwarding", scratch)
            syncing = self.open_store(stack, "syncing", scratch)
            return upstream_figures(self.measure_upstream(up, forwarding, syncing, scratch))
        raise AssertionError("unreachable")

    def measure_upstream(
        self, up: Served, forwarding: Served, syncing: Served, scratch: Path
    ) -> UpstreamMeasured:
        o = self.options
        self.say(f"importing the catalogue {o.catalogue.name} into the three stores")
        for served in (up, forwarding, syncing):
            served.fixture = preload.prepare(served.store, o.catalogue)
        port = servers.free_port()
        for served in (forwarding, syncing):
            self.link(served, up, port)
        for served in (up, forwarding, syncing):  # here, rather than by each server as it starts
            served.store.projector().catch_up()
        self.say(f"the upstream: orderledger serve, {o.workers} worker(s)")
        with self.serving(up, scratch, port=port) as upstream:
            direct_s, direct_cpu = self.direct_adds(forwarding, scratch)
            preload.wait_until_projected(up.store, upstream.alive)
            forward_s, forward_cpu = self.forwarded(up, forwarding, scratch)
            sync = self.sync_rounds(up, syncing, upstream, scratch)
        return UpstreamMeasured(
            forward_orders=o.forward_orders,
            direct_add_s=direct_s,
            forward_s=forward_s,
            forward_cpu_s=forward_cpu,
            direct_add_cpu_s=direct_cpu,
            **sync,
        )

    def link(self, served: Served, up: Served, port: int) -> None:
        """The upstream known downstream (its URL, the key of our account there) and the
        services the bench orders linked to the upstream's of the same number."""
        ledger = served.store.ledger
        served.store.upstream_keys.put(UPSTREAM, up.prepared().key)
        ledger.add_upstream(UPSTREAM, f"http://{servers.HOST}:{port}/api/v2")
        for number, _ in served.prepared().services:
            ledger.link_service(number, UPSTREAM, number)

    @contextmanager
    def driver(self, served: Served, scratch: Path) -> Iterator[Driven]:
        assert served.settings.postgres is not None
        env = {"ORDERLEDGER_DATABASE_URL": served.settings.postgres.url()}
        log_path = scratch / f"driver-{served.name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "orderledger.bench.upstream_driver", UPSTREAM],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env={**os.environ, **env},
            )
        try:
            yield Driven(process, log_path)
        finally:
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    # ---- 1. forwarding ---------------------------------------------------------------------

    def direct_adds(self, forwarding: Served, scratch: Path) -> tuple[float, float]:
        count = self.options.forward_orders
        fixture = forwarding.prepared()

        def fields(kind: str, n: int) -> list[dict[str, str]]:
            made = []
            for i in range(n):
                service, values = fixture.add_fields(i, f"https://bench.example/{kind}/{i}")
                made.append({"service": str(service), **values})
            return made

        self.say(f"ceiling: {count:,} adds in sequence by one bare client of the upstream")
        with self.driver(forwarding, scratch) as driven:
            driven.ask(Command("adds", fields=fields("warm", WARMUP_ADDS)), "the warm-up adds")
            step = driven.ask(Command("adds", fields=fields("direct", count)), "the direct adds")
        self.say(f"  {count / step.seconds:,.1f} adds/s, {step.cpu_seconds:.2f} s CPU")
        return step.seconds, step.cpu_seconds

    def forwarded(self, up: Served, forwarding: Served, scratch: Path) -> tuple[float, float]:
        count = self.options.forward_orders
        placed = Placed(up)
        # One worker: the downstream's workers answer nothing here; its forwarder is a
        # process of its own whatever their number.
        with placed, self.serving(forwarding, scratch, SYNC_PUT_OFF, workers=1) as downstream:
            forwarder = downstream.child("orderledger.cli.forwarder")
            self.settled(forwarder)
            self.say(f"forwarding: {count:,} orders placed downstream of linked services")
            cpu, began = servers.cpu_seconds(forwarder), time.perf_counter()
            preload.preload(forwarding.store, forwarding.prepared(), 0, count)
            while placed.count() < count:
                self.alive(downstream, "while forwarding")
                if time.perf_counter() - began > FORWARD_TIMEOUT:
                    raise BenchFailed(f"{placed.count()} of {count} orders forwarded")
                time.sleep(POLL_SECONDS)
            seconds = time.perf_counter() - began
            cpu = servers.cpu_seconds(forwarder) - cpu
            self.say(f"  {count / seconds:,.1f} orders/s, {cpu:.2f} s CPU of the forwarder")
            self.all_forwarded(forwarding, downstream, count)
            if placed.count() != count:
                raise BenchFailed(f"the upstream holds {placed.count()} orders, not {count}")
        return seconds, cpu

    def settled(self, pid: int) -> None:
        """Until the process has started and gone idle (its CPU still for a while): the
        forwarder's start-up is neither timed nor counted."""
        deadline = time.monotonic() + servers.STARTUP_SECONDS
        before = servers.cpu_seconds(pid)
        while time.monotonic() < deadline:
            time.sleep(IDLE_CHECK_SECONDS)
            now = servers.cpu_seconds(pid)
            if now - before <= IDLE_CPU_SECONDS:
                return
            before = now
        raise BenchFailed(f"the forwarder process {pid} never went idle")

    def all_forwarded(self, forwarding: Served, downstream: servers.Server, count: int) -> None:
        """Every order forwarded, as the downstream recorded it; none in doubt."""
        deadline = time.monotonic() + 120
        while True:
            states = forward_states(forwarding)
            if states.get(ForwardState.FORWARDED.value, 0) == count:
                return
            if states.get(ForwardState.IN_DOUBT.value) or time.monotonic() > deadline:
                raise BenchFailed(f"not every order was forwarded: {states}")
            self.alive(downstream, "while the forwarder recorded its outcomes")
            time.sleep(POLL_SECONDS)

    def alive(self, server: servers.Server, when: str) -> None:
        if not server.alive():
            raise BenchFailed(f"the server stopped {when}; see {server.log}")

    # ---- 2. one sync round -----------------------------------------------------------------

    def sync_rounds(
        self, up: Served, syncing: Served, upstream: servers.Server, scratch: Path
    ) -> dict[str, Any]:
        count = self.options.sync_orders
        self.say(f"sync: {count:,} orders at the upstream, forwarded to from downstream")
        theirs = forward_preload.upstream_orders(up.store, up.prepared(), count)
        forward_preload.forwarded_orders(syncing.store, UPSTREAM, theirs)
        syncing.store.projector().catch_up()
        preload.wait_until_projected(up.store, upstream.alive)
        for served in (up, syncing):
            preload.vacuum(served.conninfo())
        ids = [str(order.number) for order in theirs]
        changed = round(count * CHANGED_SHARE)
        with self.driver(syncing, scratch) as driven:
            driven.ask(Command("poll", ids=ids[: WARMUP_POLLS * 100]), "the warm-up polls")
            # serve's forwarder runs a round every minute: the one measured is not its first
            self.sync_round(driven, count, 0, "to warm up (not counted)")
            poll = self.poll(driven, ids)
            unchanged = self.sync_round(driven, count, 0, "with nothing changed")
            self.say(f"  the upstream's staff start {changed:,} of the orders")
            forward_preload.start_share(up.store, theirs, changed)
            preload.wait_until_projected(up.store, upstream.alive)
            poll_changed = self.poll(driven, ids)
            moved = self.sync_round(driven, count, changed, f"with {changed:,} changed")
        return {
            "sync_orders": count,
            "sync_changed": changed,
            "bare_poll_s": poll.seconds,
            "bare_poll_cpu_s": poll.cpu_seconds,
            "sync_round_s": unchanged.seconds,
            "sync_round_cpu_s": unchanged.cpu_seconds,
            "bare_poll_changed_s": poll_changed.seconds,
            "sync_round_changed_s": moved.seconds,
            "sync_round_changed_cpu_s": moved.cpu_seconds,
        }

    def poll(self, driven: Driven, ids: list[str]) -> Step:
        self.say(f"  ceiling: status of {len(ids):,} orders, 100 a call, by a bare client")
        step = driven.ask(Command("poll", ids=ids), "the bare polling")
        self.say(f"    {step.seconds:.2f} s, {step.cpu_seconds:.2f} s CPU")
        return step

    def sync_round(self, driven: Driven, count: int, changes: int, what: str) -> Step:
        self.say(f"  one sync round {what}")
        step = driven.ask(Command("round"), f"the sync round {what}")
        if step.asked != count:
            raise BenchFailed(f"the round {what} asked about {step.asked} of {count} orders")
        if step.recorded != changes:
            raise BenchFailed(f"the round {what} recorded {step.recorded} events, not {changes}")
        self.say(f"    {step.seconds:.2f} s, {step.cpu_seconds:.2f} s CPU")
        return step


class Placed:
    """How many orders the store has committed since this was opened, asked again and again
    on one connection (the events after the head of then: an index range, not the log)."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.after = int(served.store.ledger.recorder.max_notification_id() or 0)
        self.query = SQL(
            "SELECT count(*) FROM {0} WHERE notification_id > %s AND topic = %s"
        ).format(Identifier(event_table_name(served.store.ledger.recorder)))

    def __enter__(self) -> Placed:
        self.conn = psycopg.connect(self.served.conninfo(), autocommit=True)
        return self

    def __exit__(self, *_: object) -> None:
        self.conn.close()

    def count(self) -> int:
        row = self.conn.execute(self.query, (self.after, PLACED), prepare=True).fetchone()
        return int(str(row[0])) if row else 0


def forward_states(served: Served) -> dict[str, int]:
    """How many orders are in each forwarding state, as the read model has it now."""
    rows = served.store.db.alone(
        f"SELECT state, count(*) FROM {ORDER_FORWARDS.table} GROUP BY state", ()
    )
    return {str(state): int(str(n)) for state, n in rows}
