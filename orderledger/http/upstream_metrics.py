"""The forwarder's figures for `/metrics`: which upstreams are short of funds or backing us
off, and what became of each order sent.

The forwarder runs in a process of its own (cli/forwarder.py); under `orderledger serve` it
keeps these in the server's metrics directory like a worker, and the worker that is scraped
adds them to its answer (http/metrics.py). They go with the process: a forwarder that stops
leading, or dies, shows none.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from orderledger.application.forwarder import Standing

FUNDS_SHORT = Gauge(
    "orderledger_upstream_funds_short",
    "1 while an upstream refuses our orders for want of funds there (they wait, Pending).",
    ["upstream"],
    multiprocess_mode="livemax",
    registry=None,
)
BACKING_OFF = Gauge(
    "orderledger_upstream_backing_off",
    "1 while the forwarder waits on an upstream that backed it off (429, 5xx, unreachable).",
    ["upstream"],
    multiprocess_mode="livemax",
    registry=None,
)
FORWARDS = Counter(
    "orderledger_upstream_forwards",
    "Orders sent to an upstream, by outcome (placed, funds, refused, back off, unknown).",
    ["outcome"],
    registry=None,
)


def record_forwarder(standing: Standing) -> None:
    for name, (short, backing_off) in standing.upstreams.items():
        FUNDS_SHORT.labels(name).set(1 if short else 0)
        BACKING_OFF.labels(name).set(1 if backing_off else 0)
    for outcome, count in standing.outcomes.items():
        FORWARDS.labels(outcome).inc(count)
