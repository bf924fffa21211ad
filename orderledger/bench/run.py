"""One benchmark run, start to finish, on two fresh PostgreSQL databases dropped after it.

The order matters:
1. the catalogue and a funded account in both stores (the full one and the smaller one);
2. the baseline (a bare endpoint), with nothing else running;
3. each store filled and projected by its own server, then `VACUUM ANALYZE`d; a CHECKPOINT;
4. `status_latency_growth`: the two stores served in turn, a warm-up round and three
   counted rounds (see `growth`);
5. on the full store, one server: single `status`, `balance`, `status` of 100; the commit
   ceiling (on a scratch table, the server idle) and right after it `add` as fast as answers
   come; the notify ceiling (the same way) and right after it the projection lag at a third of
   that rate; a bot's reports;
6. with the server stopped, the scan ceiling and right after it the rebuild, on the full store.

Every ratio's two sides come from this run (see `report`). `worker_rss_mb` is the highest
peak resident memory of any worker of any `orderledger serve` the run started (the servers that
projected the preloads among them).
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import msgspec

from orderledger.bench import (
    commit_ceiling,
    growth,
    lag,
    notify_ceiling,
    preload,
    rebuild,
    report_lag,
    scan_ceiling,
    scratch_events,
    servers,
)
from orderledger.bench.load import LoadResult, LoadSpec
from orderledger.bench.postgres import fresh_database
from orderledger.bench.report import Figures, Measured, figures
from orderledger.bootstrap import Store
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings

# The projection lag is measured at this share of the run's own `add` rate, so a slower
# machine is loaded as much as a faster one.
LAG_SHARE = 1 / 3
SAMPLE_REQUESTS = 2_000
COMMAND_THREADS = 4
# Writers are serial (one table lock per transaction), so more command threads than this
# only hold PostgreSQL connections (100 by default, shared with everything else).
SERVER_ENV = {
    "ORDERLEDGER_COMMAND_THREADS": str(COMMAND_THREADS),
    "ORDERLEDGER_READ_POOL_SIZE": "4",
}
BOT = "bench-bot"


class BenchFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Options:
    orders: int = 100_000
    base_orders: int = 10_000
    workers: int = 2
    connections: int = 32
    warmup: float = 2.0
    duration: float = 10.0
    admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    catalogue: Path = field(default_factory=preload.default_catalogue)
    notify_samples: int = 1_000
    report_orders: int = 100  # a start and a delivery on each: twice as many samples
    forward_orders: int = 2_000  # the upstream section (bench/upstream.py)
    sync_orders: int = 10_000
    growth_rounds: int = growth.ROUNDS  # the status latency's growth: counted rounds
    growth_warmup: int = growth.WARMUP_ROUNDS  # and those measured alike and left out

    def quick(self) -> Options:
        """Small numbers for a smoke test: every scenario, a fraction of the time."""
        return replace(
            self,
            orders=2_000,
            base_orders=500,
            warmup=0.5,
            duration=2.0,
            notify_samples=200,
            report_orders=20,
            forward_orders=200,
            sync_orders=1_000,
            growth_rounds=1,  # each round starts a server per store: the most of the time
            growth_warmup=0,
        )


def drive(spec: LoadSpec) -> LoadResult:
    """Run the load generator in its own process and insist every answer passed its check."""
    done = subprocess.run(
        [sys.executable, "-m", "orderledger.bench.load"],
        input=msgspec.json.encode(spec),
        capture_output=True,
        timeout=spec.warmup + spec.duration + 120,
        check=False,
    )
    if done.returncode != 0:
        raise BenchFailed(f"the load generator failed:\n{done.stderr.decode()[-2000:]}")
    result = msgspec.json.decode(done.stdout, type=LoadResult)
    if result.failures:
        raise BenchFailed(
            f"{result.failures} answers failed their check ({spec.check}); "
            f"first: {result.first_failure}"
        )
    if not result.completed:
        raise BenchFailed(f"no answer completed in the measured window ({spec.check})")
    return result


def rps(result: LoadResult) -> float:
    return result.completed / result.elapsed


@dataclass
class Served:
    """One of the run's stores: its own database, a Store open on it, what was put in it."""

    name: str
    store: Store
    settings: Settings
    fixture: preload.Fixture | None = None
    numbers: list[int] = field(default_factory=list)

    def conninfo(self) -> str:
        assert self.settings.postgres is not None
        return self.settings.postgres.conninfo()

    def prepared(self) -> preload.Fixture:
        assert self.fixture is not None
        return self.fixture


class Bench:
    def __init__(self, options: Options, say: Callable[[str], None]) -> None:
        self.options = options
        self.say = say
        self.random = random.Random(5)
        self.rss_mb: list[float] = []
        self.started = 0

    def spec(self, server: servers.Server, check: str, **fields: object) -> LoadSpec:
        o = self.options
        values: dict[str, object] = {
            "connections": o.connections,
            "warmup": o.warmup,
            "duration": o.duration,
            **fields,
        }
        return LoadSpec(port=server.port, check=check, **values)  # type: ignore[arg-type]

    def status_bodies(self, key: str, numbers: list[int]) -> list[str]:
        picks = [self.random.choice(numbers) for _ in range(SAMPLE_REQUESTS)]
        return [f"key={key}&action=status&order={n}" for n in picks]

    def batch_bodies(self, key: str, numbers: list[int]) -> list[str]:
        bodies = []
        for _ in range(SAMPLE_REQUESTS // 10):
            ids = ",".join(str(n) for n in self.random.sample(numbers, 100))
            bodies.append(f"key={key}&action=status&orders={ids}")
        return bodies

    def add_template(self, fixture: preload.Fixture, kind: str) -> str:
        service, quantity = fixture.services[0]
        return (
            f"key={fixture.key}&action=add&service={service}&quantity={quantity}"
            f"&link=https://bench.example/{kind}/{{i}}"
        )

    def run(self) -> Figures:
        with ExitStack() as stack:
            scratch = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="orderledger-bench-"))
            )
            full = self.open_store(stack, "full", scratch)
            base = self.open_store(stack, "base", scratch)
            return figures(self.measure(full, base, scratch))
        raise AssertionError("unreachable")

    def open_store(self, stack: ExitStack, name: str, scratch: Path) -> Served:
        address = stack.enter_context(
            fresh_database(self.options.admin_url, prefix=f"orderledger_bench_{name}")
        )
        settings = Settings(postgres=address, data_dir=scratch / name / "var")
        store = Store.open(settings, pool_size=2)
        stack.callback(store.close)
        return Served(name, store, settings)

    @contextmanager
    def serving(
        self,
        served: Served,
        scratch: Path,
        extra: dict[str, str] | None = None,
        port: int = 0,
        workers: int = 0,
    ) -> Iterator[servers.Server]:
        """`orderledger serve` on this store (`--workers`, unless told otherwise); its
        workers' peak memory is kept as it stops."""
        workers = workers or self.options.workers
        assert served.settings.postgres is not None
        env = {
            "ORDERLEDGER_DATABASE_URL": served.settings.postgres.url(),
            **SERVER_ENV,
            **(extra or {}),
        }
        self.started += 1
        log = scratch / f"orderledger-{self.started}-{served.name}.log"
        command = servers.orderledger_command(workers)
        with servers.running(command, log, env, port=port, workers=workers) as server:
            yield server
            self.rss_mb.append(server.peak_worker_rss_mb())

    def measure(self, full: Served, base: Served, scratch: Path) -> Measured:
        o = self.options
        self.say(f"importing the catalogue {o.catalogue.name} into both stores")
        for served in (full, base):
            served.fixture = preload.prepare(served.store, o.catalogue)

        self.say(f"baseline: bare Litestar endpoint, {o.workers} worker(s)")
        bare_command = servers.baseline_command(o.workers)
        with servers.running(bare_command, scratch / "baseline.log", workers=o.workers) as bare:
            baseline = rps(drive(self.spec(bare, "baseline", bodies=["key=x&action=status"])))

        for served, count in ((base, min(o.base_orders, o.orders)), (full, o.orders)):
            self.say(f"the {served.name} store")
            with self.serving(served, scratch) as server:
                served.numbers = self.fill(served, server, count)

        self.say("CHECKPOINT after the loads")
        preload.checkpoint(full.conninfo())
        rounds = growth.alternate(
            lambda: self.status_p50(base, scratch),
            lambda: self.status_p50(full, scratch),
            rounds=o.growth_rounds,
            warmup=o.growth_warmup,
        )

        fixture = full.prepared()
        with self.serving(full, scratch) as server:
            self.say(f"status at {len(full.numbers):,} orders")
            bodies = self.status_bodies(fixture.key, full.numbers)
            single = drive(self.spec(server, "status", bodies=bodies))
            self.say("balance")
            balance = drive(
                self.spec(server, "balance", bodies=[f"key={fixture.key}&action=balance"])
            )
            self.say("status of 100 orders at once")
            spec = self.spec(server, "batch", bodies=self.batch_bodies(fixture.key, full.numbers))
            batch = drive(spec)

            # Each ceiling is measured just before its figure, the server idle: on a machine
            # shared with other work, the same minute is the fairest comparison.
            with scratch_events.scratch_table(full.conninfo()):
                commits = self.commit_ceiling(full)
                self.say("add, as fast as answers come")
                spec = self.spec(server, "add", template=self.add_template(fixture, "add"))
                added = drive(spec)
                preload.wait_until_projected(full.store, server.alive)

                notify_p99 = self.notify_ceiling(full)
                rate = rps(added) * LAG_SHARE
                self.say(f"projection lag while adding {rate:.0f} orders a second")
                lag_p99 = self.projection_lag(full, server, added, rate)

            self.say(f"status after a bot's report, {2 * o.report_orders} reports")
            token = full.store.credentials.issue(Role.OPERATOR, BOT, BOT)
            after_report = report_lag.p99_ms(server.port, token, fixture.key, o.report_orders)

        self.say("scan ceiling: reading and decoding the whole log")
        scan = scan_ceiling.events_per_s(full.store)
        self.say(f"  {scan:,.0f} events/s")
        self.say("rebuilding every projection from the whole log")
        rebuilt = rebuild.rebuild_events_per_s(full.store)
        return Measured(
            baseline_rps=baseline,
            status_single_rps=rps(single),
            status_batch100_rps=rps(batch),
            balance_rps=rps(balance),
            add_rps=rps(added),
            commit_ceiling_tps=commits,
            projection_lag_rate_per_s=rate,
            projection_lag_p99_ms=lag_p99,
            notify_ceiling_p99_ms=notify_p99,
            status_lag_after_report_ms=after_report,
            rebuild_events_per_s=rebuilt,
            scan_ceiling_events_per_s=scan,
            status_p50_ms_rounds=rounds,
            worker_rss_mb=max(self.rss_mb),
        )

    def commit_ceiling(self, full: Served) -> float:
        o = self.options
        connections = COMMAND_THREADS * o.workers
        self.say(f"commit ceiling: bare event-store writes from {connections} connections")
        commits = commit_ceiling.commits_per_s(full.conninfo(), connections, o.warmup, o.duration)
        self.say(f"  {commits:,.0f} commits/s")
        return commits

    def notify_ceiling(self, full: Served) -> float:
        samples = self.options.notify_samples
        self.say(f"notify ceiling: {samples} bare write-notify-read round trips")
        notify_p99 = notify_ceiling.p99_ms(full.conninfo(), samples)
        self.say(f"  p99 {notify_p99:.2f} ms")
        return notify_p99

    def status_p50(self, served: Served, scratch: Path) -> float:
        """One round of the latency growth: a server on this store, single `status`, p50."""
        self.say(f"  status p50 at {len(served.numbers):,} orders")
        key = served.prepared().key
        with self.serving(served, scratch) as server:
            spec = self.spec(
                server,
                "status",
                bodies=self.status_bodies(key, served.numbers),
                duration=self.options.duration * growth.ROUND_SHARE,
            )
            result = drive(spec)
        self.say(f"    p50 {result.p50_ms:.2f} ms, {rps(result):,.0f} requests/s")
        return result.p50_ms

    def fill(self, served: Served, server: servers.Server, count: int) -> list[int]:
        began = time.monotonic()
        done = [0]

        def progress(n: int) -> None:
            done[0] += n
            if done[0] % 10_000 < n:
                self.say(f"  preloaded {done[0]:,} of {count:,} orders")

        self.say(f"preloading {count:,} orders")
        numbers = preload.preload(served.store, served.prepared(), 0, count, progress)
        self.say(f"  {count / (time.monotonic() - began):,.0f} orders/s; waiting for projections")
        preload.wait_until_projected(served.store, server.alive)
        # A bulk load wakes PostgreSQL's autovacuum, which otherwise lands in whichever
        # measurement comes next (it made `status` at 100,000 orders look slower than at
        # 10,000). An operator would vacuum after a bulk import too; done for both stores.
        self.say("  VACUUM ANALYZE after the load")
        preload.vacuum(served.conninfo())
        return numbers

    def projection_lag(
        self, full: Served, server: servers.Server, added: LoadResult, rate: float
    ) -> float:
        after = max(number for number, _ in added.answered)
        spec = self.spec(
            server,
            "add",
            template=self.add_template(full.prepared(), "steady"),
            rate=rate,
        )
        with (
            lag.connect(full.conninfo()) as conn,
            lag.RowWatcher(conn, after) as watcher,
        ):
            steady = drive(spec)
            preload.wait_until_projected(full.store, server.alive)
            time.sleep(0.05)  # one more poll after the last row
        return lag.lag_p99_ms(steady.answered, watcher.seen)
