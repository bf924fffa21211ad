"""The figures of one run: a table for people, one JSON object for machines.

Every target is on a ratio to something the same run measured on the same machine (a bare
endpoint, the commit, notify and scan ceilings, single `status`, the smaller store), or on
memory; the absolute figures are printed beside them for context, without a target.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Measured:
    """What one run measured, before any arithmetic."""

    baseline_rps: float
    status_single_rps: float
    status_batch100_rps: float
    balance_rps: float
    add_rps: float
    commit_ceiling_tps: float
    projection_lag_rate_per_s: float
    projection_lag_p99_ms: float
    notify_ceiling_p99_ms: float
    status_lag_after_report_ms: float
    rebuild_events_per_s: float
    scan_ceiling_events_per_s: float
    status_p50_ms_rounds: Sequence[tuple[float, float]]  # (smaller store, full store) per round
    worker_rss_mb: float


@dataclass(frozen=True)
class Figures:
    baseline_rps: float
    status_single_rps: float
    status_single_ratio: float
    status_batch100_rps: float
    status_batch100_orders_per_s: float
    status_batch100_ratio: float
    balance_rps: float
    balance_ratio: float
    commit_ceiling_tps: float
    add_rps: float
    add_ratio: float
    projection_lag_rate_per_s: float
    notify_ceiling_p99_ms: float
    projection_lag_p99_ms: float
    projection_lag_ratio: float
    status_lag_after_report_ms: float
    scan_ceiling_events_per_s: float
    rebuild_events_per_s: float
    rebuild_ratio: float
    status_p50_base_ms: float
    status_p50_full_ms: float
    status_latency_growth: float
    worker_rss_mb: float

    def as_json(self) -> str:
        return json.dumps({k: round(v, 3) for k, v in asdict(self).items()})


def ratio(part: float, whole: float) -> float:
    """part ÷ whole; infinite for a ceiling of 0 (never met by a ≤ target, see `meets`)."""
    return part / whole if whole else math.inf


def latency_growth(rounds: Sequence[tuple[float, float]]) -> float:
    """The median over the rounds of (full store's p50 ÷ smaller store's p50): each round
    pairs two measurements seconds apart, and the median leaves out one noisy round."""
    if not rounds:
        raise ValueError("no round of the latency growth was measured")
    return statistics.median(ratio(full, base) for base, full in rounds)


def figures(m: Measured) -> Figures:
    return Figures(
        baseline_rps=m.baseline_rps,
        status_single_rps=m.status_single_rps,
        status_single_ratio=ratio(m.status_single_rps, m.baseline_rps),
        status_batch100_rps=m.status_batch100_rps,
        status_batch100_orders_per_s=m.status_batch100_rps * 100,
        status_batch100_ratio=ratio(m.status_batch100_rps * 100, m.baseline_rps),
        balance_rps=m.balance_rps,
        balance_ratio=ratio(m.balance_rps, m.status_single_rps),
        commit_ceiling_tps=m.commit_ceiling_tps,
        add_rps=m.add_rps,
        add_ratio=ratio(m.add_rps, m.commit_ceiling_tps),
        projection_lag_rate_per_s=m.projection_lag_rate_per_s,
        notify_ceiling_p99_ms=m.notify_ceiling_p99_ms,
        projection_lag_p99_ms=m.projection_lag_p99_ms,
        projection_lag_ratio=ratio(m.projection_lag_p99_ms, m.notify_ceiling_p99_ms),
        status_lag_after_report_ms=m.status_lag_after_report_ms,
        scan_ceiling_events_per_s=m.scan_ceiling_events_per_s,
        rebuild_events_per_s=m.rebuild_events_per_s,
        rebuild_ratio=ratio(m.rebuild_events_per_s, m.scan_ceiling_events_per_s),
        status_p50_base_ms=statistics.median(base for base, _ in m.status_p50_ms_rounds),
        status_p50_full_ms=statistics.median(full for _, full in m.status_p50_ms_rounds),
        status_latency_growth=latency_growth(m.status_p50_ms_rounds),
        worker_rss_mb=m.worker_rss_mb,
    )


# (figure, target, whether more is better) on a 2-core machine with 2 workers (issue 11)
TARGETS: dict[str, tuple[float, bool]] = {
    "status_single_ratio": (0.85, True),
    "status_batch100_ratio": (40, True),
    "add_ratio": (3, True),
    "projection_lag_ratio": (3, False),
    "rebuild_ratio": (0.5, True),
    "balance_ratio": (0.9, True),
    "status_latency_growth": (1.1, False),
    "worker_rss_mb": (100, False),
}


def meets(name: str, value: float) -> bool | None:
    if name not in TARGETS:
        return None
    target, higher = TARGETS[name]
    return math.isfinite(value) and (value >= target if higher else value <= target)


def target_text(name: str) -> str:
    if name not in TARGETS:
        return ""
    target, higher = TARGETS[name]
    return ("≥ " if higher else "≤ ") + f"{target:g}"


def table(figures: Figures | UpstreamFigures) -> str:
    lines = [f"{'figure':<30} {'value':>14}  {'target':>10}  met"]
    for name, value in asdict(figures).items():
        met = meets(name, value)
        mark = "" if met is None else ("yes" if met else "NO")
        lines.append(f"{name:<30} {value:>14,.2f}  {target_text(name):>10}  {mark}")
    return "\n".join(lines)


# ---- the upstream section (`orderledger bench --upstream`, issue 14) --------------------------


@dataclass(frozen=True)
class UpstreamMeasured:
    """What one run of the upstream section measured, before any arithmetic."""

    forward_orders: int
    direct_add_s: float  # the ceiling: the same adds, in sequence, by one bare client
    forward_s: float  # from the first placement downstream until the upstream held them all
    forward_cpu_s: float  # the downstream forwarder process's CPU meanwhile
    direct_add_cpu_s: float  # the bare client's process's CPU for its adds
    sync_orders: int
    sync_changed: int  # orders the upstream changed before the second round
    bare_poll_s: float  # the ceiling: the round's `status` calls, made by a bare client
    bare_poll_cpu_s: float
    sync_round_s: float  # a round in which nothing changed (it records nothing)
    sync_round_cpu_s: float
    bare_poll_changed_s: float  # the ceiling again, measured just before the second round
    sync_round_changed_s: float
    sync_round_changed_cpu_s: float


@dataclass(frozen=True)
class UpstreamFigures:
    forward_orders: float
    direct_add_rps: float
    forwarded_per_s: float
    forward_ratio: float
    forward_cpu_ms_per_order: float
    direct_add_cpu_ms_per_order: float
    forward_cpu_ratio: float
    sync_orders: float
    sync_calls: float
    bare_poll_s: float
    sync_round_s: float
    sync_round_ratio: float
    sync_round_cpu_s: float
    sync_round_cpu_ratio: float
    sync_changed: float
    bare_poll_changed_s: float
    sync_round_changed_s: float
    sync_round_changed_ratio: float
    sync_round_changed_cpu_s: float

    def as_json(self) -> str:
        return json.dumps({k: round(v, 3) for k, v in asdict(self).items()})


def calls_of(orders: int) -> int:
    """`status` calls of a round over this many orders: at most 100 ids each."""
    return -(-orders // 100)


def upstream_figures(m: UpstreamMeasured) -> UpstreamFigures:
    """Each figure over its ceiling of the same run: forwarding over the same `add`s sent in
    sequence by one bare client (all one forwarder could do); a sync round over the same
    `status` calls made by a bare client; CPU over the bare client's CPU for the same work."""
    forwarded_per_s = ratio(m.forward_orders, m.forward_s)
    direct_add_rps = ratio(m.forward_orders, m.direct_add_s)
    per_order = 1000 / m.forward_orders if m.forward_orders else math.inf
    return UpstreamFigures(
        forward_orders=m.forward_orders,
        direct_add_rps=direct_add_rps,
        forwarded_per_s=forwarded_per_s,
        forward_ratio=ratio(forwarded_per_s, direct_add_rps),
        forward_cpu_ms_per_order=m.forward_cpu_s * per_order,
        direct_add_cpu_ms_per_order=m.direct_add_cpu_s * per_order,
        forward_cpu_ratio=ratio(m.forward_cpu_s, m.direct_add_cpu_s),
        sync_orders=m.sync_orders,
        sync_calls=calls_of(m.sync_orders),
        bare_poll_s=m.bare_poll_s,
        sync_round_s=m.sync_round_s,
        sync_round_ratio=ratio(m.sync_round_s, m.bare_poll_s),
        sync_round_cpu_s=m.sync_round_cpu_s,
        sync_round_cpu_ratio=ratio(m.sync_round_cpu_s, m.bare_poll_cpu_s),
        sync_changed=m.sync_changed,
        bare_poll_changed_s=m.bare_poll_changed_s,
        sync_round_changed_s=m.sync_round_changed_s,
        sync_round_changed_ratio=ratio(m.sync_round_changed_s, m.bare_poll_changed_s),
        sync_round_changed_cpu_s=m.sync_round_changed_cpu_s,
    )
