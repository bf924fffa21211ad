"""The commit ceiling: how many event-store writes per second this PostgreSQL commits.

Each of `connections` threads (as many as the server's command connections: its command
threads per worker times its workers) has its own connection and, in a closed loop, makes one
write exactly as the event store makes one (`scratch_events.write`: table lock, NOTIFY, one
small insert, a durable COMMIT), one transaction per write. The figure counts the writes
committed inside the measured window, after a warm-up, divided by its length.

The table lock makes writers serial, so this is about one over (the lock's hold time: the
insert, the commit's WAL flush and a round trip). A design that commits one transaction per
`add` reaches about this figure; grouping many orders into one transaction is how `add_rps`
can go above it, which is what `add_ratio` = `add_rps` ÷ this shows.
"""

from __future__ import annotations

import threading
import time

from orderledger.bench import scratch_events


class Writer(threading.Thread):
    def __init__(self, conninfo: str, ready: threading.Barrier, window: list[float]) -> None:
        super().__init__(name="bench-commit-writer", daemon=True)
        self.conninfo = conninfo
        self.ready = ready
        self.window = window  # [start, end], set once every writer is connected
        self.committed = 0
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            with scratch_events.connect(self.conninfo) as conn:
                state = scratch_events.sample_state()
                self.ready.wait(timeout=60)
                start, end = self.window
                while (now := time.monotonic()) < end:
                    scratch_events.write(conn, state)
                    if start <= now:
                        self.committed += 1
        except BaseException as error:  # reported by the caller
            self.failure = error
            self.ready.abort()


def commits_per_s(conninfo: str, connections: int, warmup: float, duration: float) -> float:
    """Writes committed per second by `connections` closed-loop writers (the scratch table
    must exist). A write counts when it began inside the window, so none is cut short."""
    window = [0.0, 0.0]

    def open_window() -> None:
        now = time.monotonic()
        window[:] = [now + warmup, now + warmup + duration]

    ready = threading.Barrier(connections, action=open_window)
    writers = [Writer(conninfo, ready, window) for _ in range(connections)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=warmup + duration + 120)
    failures = [w.failure for w in writers if w.failure is not None]
    real = [f for f in failures if not isinstance(f, threading.BrokenBarrierError)]
    if real or failures:
        raise RuntimeError(f"the commit ceiling's writers failed: {(real or failures)[0]!r}")
    if any(w.is_alive() for w in writers):
        raise RuntimeError("the commit ceiling's writers did not finish")
    return sum(w.committed for w in writers) / duration
