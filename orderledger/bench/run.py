"""One benchmark run, start to finish, on a fresh PostgreSQL database dropped after it.

The order matters: the baseline first (nothing else running), then the orderledger server
with a store of `base_orders` (for the latency-growth reference), then the full store
(status, batch status, add, projection lag), and the rebuild last with the server stopped.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import msgspec

from orderledger.bench import lag, preload, rebuild, servers
from orderledger.bench.load import LoadResult, LoadSpec
from orderledger.bench.postgres import fresh_database
from orderledger.bench.report import Figures
from orderledger.bootstrap import Store
from orderledger.storage.settings import PostgresAddress, Settings

LAG_RATE = 300.0
SAMPLE_REQUESTS = 2_000
# Writers are serial (one table lock per transaction), so more command threads than this
# only hold PostgreSQL connections (100 by default, shared with everything else).
SERVER_ENV = {"ORDERLEDGER_COMMAND_THREADS": "4", "ORDERLEDGER_READ_POOL_SIZE": "4"}


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

    def quick(self) -> Options:
        """Small numbers for a smoke test: every scenario, a fraction of the time."""
        return replace(self, orders=2_000, base_orders=500, warmup=0.5, duration=2.0)


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


class Bench:
    def __init__(self, options: Options, say: Callable[[str], None]) -> None:
        self.options = options
        self.say = say
        self.random = random.Random(5)

    def spec(self, server: servers.Server, check: str, **fields: object) -> LoadSpec:
        o = self.options
        return LoadSpec(
            port=server.port,
            check=check,
            connections=o.connections,
            warmup=o.warmup,
            duration=o.duration,
            **fields,  # type: ignore[arg-type]
        )

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
        o = self.options
        with (
            fresh_database(o.admin_url) as address,
            tempfile.TemporaryDirectory(prefix="orderledger-bench-") as scratch,
        ):
            settings = Settings(postgres=address, data_dir=Path(scratch) / "var")
            store = Store.open(settings, pool_size=2)
            try:
                return self.measure(store, address, Path(scratch))
            finally:
                store.close()

    def measure(self, store: Store, address: PostgresAddress, scratch: Path) -> Figures:
        """The figures, on the fresh PostgreSQL database at `address` (the store's)."""
        o = self.options
        self.say(f"importing the catalogue {o.catalogue.name}")
        fixture = preload.prepare(store, o.catalogue)

        self.say(f"baseline: bare Litestar endpoint, {o.workers} worker(s)")
        bare_command = servers.baseline_command(o.workers)
        with servers.running(bare_command, scratch / "baseline.log", workers=o.workers) as bare:
            baseline = rps(drive(self.spec(bare, "baseline", bodies=["key=x&action=status"])))

        env = {"ORDERLEDGER_DATABASE_URL": address.url(), **SERVER_ENV}
        command = servers.orderledger_command(o.workers)
        log = scratch / "orderledger.log"
        with servers.running(command, log, env, workers=o.workers) as server:
            numbers = self.fill(store, address, fixture, server, 0, min(o.base_orders, o.orders))
            self.say(f"status at {len(numbers):,} orders")
            spec = self.spec(server, "status", bodies=self.status_bodies(fixture.key, numbers))
            base_p50 = drive(spec).p50_ms

            numbers += self.fill(
                store, address, fixture, server, len(numbers), o.orders - len(numbers)
            )
            self.say(f"status at {len(numbers):,} orders")
            spec = self.spec(server, "status", bodies=self.status_bodies(fixture.key, numbers))
            single = drive(spec)
            self.say("status of 100 orders at once")
            spec = self.spec(server, "batch", bodies=self.batch_bodies(fixture.key, numbers))
            batch = drive(spec)

            self.say("add, as fast as answers come")
            added = drive(self.spec(server, "add", template=self.add_template(fixture, "add")))
            preload.wait_until_projected(store, server.alive)

            self.say(f"projection lag while adding {LAG_RATE:.0f} orders a second")
            lag_p99 = self.projection_lag(store, address, server, fixture, added)
            rss = server.peak_worker_rss_mb()

        self.say("rebuilding every projection from the whole log")
        rebuilt = rebuild.rebuild_events_per_s(store)
        return Figures(
            baseline_rps=baseline,
            status_single_rps=rps(single),
            status_single_ratio=rps(single) / baseline,
            status_batch100_rps=rps(batch),
            status_batch100_orders_per_s=rps(batch) * 100,
            status_batch100_ratio=rps(batch) * 100 / baseline,
            add_rps=rps(added),
            projection_lag_p99_ms=lag_p99,
            rebuild_events_per_s=rebuilt,
            status_latency_growth=single.p50_ms / base_p50,
            worker_rss_mb=rss,
        )

    def fill(
        self,
        store: Store,
        address: PostgresAddress,
        fixture: preload.Fixture,
        server: servers.Server,
        first: int,
        count: int,
    ) -> list[int]:
        if count <= 0:
            return []
        began = time.monotonic()
        done = [0]

        def progress(n: int) -> None:
            done[0] += n
            if done[0] % 10_000 < n:
                self.say(f"  preloaded {done[0]:,} of {count:,} orders")

        self.say(f"preloading {count:,} orders")
        numbers = preload.preload(store, fixture, first, count, progress)
        self.say(f"  {count / (time.monotonic() - began):,.0f} orders/s; waiting for projections")
        preload.wait_until_projected(store, server.alive)
        # A bulk load wakes PostgreSQL's autovacuum, which otherwise lands in whichever
        # measurement comes next (it made `status` at 100,000 orders look slower than at
        # 10,000). An operator would vacuum after a bulk import too; done at both points.
        self.say("  VACUUM ANALYZE after the load")
        preload.vacuum(address.conninfo())
        return numbers

    def projection_lag(
        self,
        store: Store,
        address: PostgresAddress,
        server: servers.Server,
        fixture: preload.Fixture,
        added: LoadResult,
    ) -> float:
        after = max(number for number, _ in added.answered)
        spec = self.spec(
            server,
            "add",
            template=self.add_template(fixture, "steady"),
            rate=LAG_RATE,
        )
        with (
            lag.connect(address.conninfo()) as conn,
            lag.RowWatcher(conn, after) as watcher,
        ):
            steady = drive(spec)
            preload.wait_until_projected(store, server.alive)
            time.sleep(0.05)  # one more poll after the last row
        return lag.lag_p99_ms(steady.answered, watcher.seen)
