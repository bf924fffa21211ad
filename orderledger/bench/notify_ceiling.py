"""The notify ceiling: p99 of the bare write → NOTIFY → LISTEN → read round trip.

One connection makes an event-store write (`scratch_events.write`: table lock, NOTIFY, one
small insert, a durable COMMIT); another, which LISTENs on the channel, wakes on the
notification and SELECTs the rows after the last it read. A sample is the time from the
writer starting its transaction to the listener holding the new row. Writes go one at a time,
each after the last was read and a short random pause (so the listener is asleep when the
next notification comes, as the server's projector is between orders), `samples` of them.

This is the least any projection lag can be on this machine: orderledger's projector is
woken the same way, reads the new events and commits its rows (the one durable commit in
this round trip stands for that one). `projection_lag_ratio` = `projection_lag_p99_ms` ÷ this
p99. (The projection lag is timed from the `add`'s answer, after its commit; this round trip
includes a commit, so the two each hold one.)
"""

from __future__ import annotations

import random
import threading
import time

from orderledger.bench import scratch_events
from orderledger.bench.load import percentile

PAUSE_SECONDS = 0.002  # at most, between one sample's read and the next write
SAMPLE_TIMEOUT = 10.0


class Listener(threading.Thread):
    def __init__(self, conn: scratch_events.Connection) -> None:
        super().__init__(name="bench-notify-listener", daemon=True)
        self.conn = conn
        self.seen: dict[int, float] = {}
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        watermark = 0
        try:
            while not self.stopping.is_set():
                # The generator holds the connection's lock while it runs: leave it first.
                if not list(self.conn.notifies(timeout=0.2, stop_after=1)):
                    continue
                rows = self.conn.execute(
                    scratch_events.SELECT_AFTER, (watermark,), prepare=True
                ).fetchall()
                now = time.perf_counter()
                with self.changed:
                    for (number,) in rows:
                        self.seen[int(str(number))] = now
                        watermark = max(watermark, int(str(number)))
                    self.changed.notify_all()
        except BaseException as error:
            self.failure = error
            with self.changed:
                self.changed.notify_all()

    def wait_for(self, number: int) -> float:
        deadline = time.monotonic() + SAMPLE_TIMEOUT
        with self.changed:
            while number not in self.seen:
                if self.failure is not None:
                    raise RuntimeError(f"the notify ceiling's listener failed: {self.failure!r}")
                if not self.changed.wait(timeout=max(0.0, deadline - time.monotonic())):
                    raise RuntimeError(f"no notification for row {number} in {SAMPLE_TIMEOUT} s")
            return self.seen[number]


def round_trips_ms(conninfo: str, samples: int, seed: int = 11) -> list[float]:
    """Each sample's write-to-read time in ms, in order (the scratch table must exist)."""
    pause = random.Random(seed)
    times: list[float] = []
    with (
        scratch_events.connect(conninfo) as listening,
        scratch_events.connect(conninfo) as writing,
    ):
        listening.execute(f"LISTEN {scratch_events.CHANNEL}")
        listener = Listener(listening)
        listener.start()
        try:
            state = scratch_events.sample_state()
            for _ in range(samples):
                time.sleep(pause.uniform(0, PAUSE_SECONDS))
                began = time.perf_counter()
                number = scratch_events.write(writing, state)
                times.append((listener.wait_for(number) - began) * 1000)
        finally:
            listener.stopping.set()
            listener.join(timeout=5)
    return times


def p99_ms(conninfo: str, samples: int) -> float:
    return percentile(sorted(round_trips_ms(conninfo, samples)), 0.99)
