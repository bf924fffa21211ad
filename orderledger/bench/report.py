"""The figures of one run: a table for people, one JSON object for machines."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Figures:
    baseline_rps: float
    status_single_rps: float
    status_single_ratio: float
    status_batch100_rps: float
    status_batch100_orders_per_s: float
    status_batch100_ratio: float
    add_rps: float
    projection_lag_p99_ms: float
    rebuild_events_per_s: float
    status_latency_growth: float
    worker_rss_mb: float

    def as_json(self) -> str:
        return json.dumps({k: round(v, 3) for k, v in asdict(self).items()})


# (figure, target, whether more is better) on a 2-core machine with 2 workers
TARGETS: dict[str, tuple[float, bool]] = {
    "status_single_ratio": (0.5, True),
    "status_batch100_ratio": (20, True),
    "add_rps": (1000, True),
    "projection_lag_p99_ms": (25, False),
    "rebuild_events_per_s": (30_000, True),
    "status_latency_growth": (1.2, False),
    "worker_rss_mb": (150, False),
}


def meets(name: str, value: float) -> bool | None:
    if name not in TARGETS:
        return None
    target, higher = TARGETS[name]
    return math.isfinite(value) and (value >= target if higher else value <= target)


def table(figures: Figures) -> str:
    lines = [f"{'figure':<30} {'value':>14}  {'target':>10}  met"]
    for name, value in asdict(figures).items():
        met = meets(name, value)
        target = (
            ""
            if name not in TARGETS
            else ("≥ " if TARGETS[name][1] else "≤ ") + (f"{TARGETS[name][0]:g}")
        )
        mark = "" if met is None else ("yes" if met else "NO")
        lines.append(f"{name:<30} {value:>14,.2f}  {target:>10}  {mark}")
    return "\n".join(lines)
