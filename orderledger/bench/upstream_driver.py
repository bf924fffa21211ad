"""A forwarder and a bare client of the same upstream, in a process of their own, driven one
step at a time: `python -m orderledger.bench.upstream_driver UPSTREAM` on the store that
$ORDERLEDGER_DATABASE_URL names, one JSON command a line on standard input, one JSON answer a
line on standard output.

Both use the client the forwarder of `orderledger serve` uses (`UpstreamClients`: the URL of
the Upstream aggregate, the key from the keys' table), so a step's ceiling and its figure
differ only by the forwarder's own work:
- `{"do": "adds", "fields": [...]}`: each `add` sent in turn by the bare client;
- `{"do": "poll", "ids": [...]}`: `status` of the ids, 100 to a call, by the bare client;
- `{"do": "round"}`: one status sync of the forwarder (`Forwarder.sync`), as serve's runs it.
An answer gives the wall seconds, the CPU seconds of this process (user and system, as
/proc/self/stat counts them), the events the store recorded meanwhile, and the orders a round
asked about; `error` says what went wrong, and the step's figures are then worthless.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import msgspec

from orderledger.application.forwarder import Forwarder
from orderledger.application.upstream_clients import UpstreamClients
from orderledger.bootstrap import Store
from orderledger.domain.claims import utc_now
from orderledger.projections.work_queue import micros
from orderledger.storage.settings import Settings
from orderledger.storage.upstream_checks import TABLE as CHECKS
from orderledger.upstream.answers import StatusAnswer
from orderledger.upstream.client import MAX_IDS


class Command(msgspec.Struct):
    do: str  # adds | poll | round
    fields: list[dict[str, str]] = []
    ids: list[str] = []


class Step(msgspec.Struct):
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    recorded: int = 0  # events the store recorded during the step
    asked: int = 0  # orders a round asked the upstream about
    error: str = ""


class Driver:
    def __init__(self, store: Store, upstream: str) -> None:
        self.store = store
        self.upstream = upstream
        self.clients = UpstreamClients(store.ledger, store.upstream_keys)
        # Never due by itself: the bench says when a round runs.
        self.forwarder = Forwarder(store.ledger, store.db, self.clients, sync_every=86_400)

    def head(self) -> int:
        return int(self.store.ledger.recorder.max_notification_id() or 0)

    def timed(self, work: Callable[[], int]) -> Step:
        head, cpu, began = self.head(), time.process_time(), time.perf_counter()
        asked = work()
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        return Step(seconds, cpu, self.head() - head, asked)

    def adds(self, fields: list[dict[str, str]]) -> int:
        client = self.clients(self.upstream)
        for one in fields:
            client.add(one)
        return 0

    def poll(self, ids: list[str]) -> int:
        client = self.clients(self.upstream)
        for start in range(0, len(ids), MAX_IDS):
            batch = ids[start : start + MAX_IDS]
            answers = client.status_many(batch)
            unread = [i for i in batch if not isinstance(answers.get(i), StatusAnswer)]
            if unread:
                raise RuntimeError(f"no status of {len(unread)} orders, first {unread[0]}")
        return len(ids)

    def round(self) -> int:
        now = utc_now()
        self.forwarder.sync(now)
        return self.checked_since(micros(now))

    def checked_since(self, at: int) -> int:
        """The forwarded orders the round asked about (each is marked as it is answered)."""
        rows = self.store.db.alone(f"SELECT count(*) FROM {CHECKS} WHERE checked_at >= %s", (at,))
        return int(str(rows[0][0]))

    def step(self, command: Command) -> Step:
        try:
            match command.do:
                case "adds":
                    return self.timed(lambda: self.adds(command.fields))
                case "poll":
                    return self.timed(lambda: self.poll(command.ids))
                case "round":
                    return self.timed(self.round)
            return Step(error=f"unknown step {command.do!r}")
        except Exception as error:  # told to the bench, which fails the run with it
            return Step(error=f"{type(error).__name__}: {error}")

    def close(self) -> None:
        self.clients.close()


def main() -> None:
    store = Store.open(Settings.from_env(), pool_size=2)
    driver = Driver(store, sys.argv[1])
    try:
        for line in sys.stdin.buffer:
            step = driver.step(msgspec.json.decode(line, type=Command))
            sys.stdout.buffer.write(msgspec.json.encode(step) + b"\n")
            sys.stdout.buffer.flush()
    finally:
        driver.close()
        store.close()


if __name__ == "__main__":
    main()
