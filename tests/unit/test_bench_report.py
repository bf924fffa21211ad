"""The benchmark's arithmetic: each ratio against its own ceiling, the growth, the targets."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, replace

import pytest

from orderledger.bench import growth
from orderledger.bench.report import (
    TARGETS,
    Measured,
    UpstreamMeasured,
    figures,
    latency_growth,
    meets,
    table,
    upstream_figures,
)

MEASURED = Measured(
    baseline_rps=10_000,
    status_single_rps=8_000,
    status_batch100_rps=3_000,
    balance_rps=4_000,
    add_rps=2_000,
    commit_ceiling_tps=500,
    projection_lag_rate_per_s=2_000 / 3,
    projection_lag_p99_ms=9,
    notify_ceiling_p99_ms=2,
    status_lag_after_report_ms=5,
    rebuild_events_per_s=50_000,
    scan_ceiling_events_per_s=200_000,
    status_p50_ms_rounds=[(4.0, 4.4), (4.0, 8.0), (5.0, 5.0)],
    worker_rss_mb=65,
)
# every key the benchmark printed before issue 11, which its readers may still look for
EARLIER_KEYS = {
    "baseline_rps",
    "status_single_rps",
    "status_single_ratio",
    "status_batch100_rps",
    "status_batch100_orders_per_s",
    "status_batch100_ratio",
    "add_rps",
    "projection_lag_p99_ms",
    "rebuild_events_per_s",
    "status_latency_growth",
    "worker_rss_mb",
}


def test_each_ratio_divides_by_its_own_ceiling() -> None:
    f = figures(MEASURED)
    assert f.status_single_ratio == pytest.approx(0.8)
    assert f.status_batch100_orders_per_s == pytest.approx(300_000)
    assert f.status_batch100_ratio == pytest.approx(30)
    assert f.balance_ratio == pytest.approx(0.5)  # balance ÷ single status
    assert f.add_ratio == pytest.approx(4)  # add ÷ the commit ceiling
    assert f.projection_lag_ratio == pytest.approx(4.5)  # lag ÷ the notify ceiling
    assert f.rebuild_ratio == pytest.approx(0.25)  # rebuild ÷ the scan ceiling
    assert f.commit_ceiling_tps == 500
    assert f.notify_ceiling_p99_ms == 2
    assert f.scan_ceiling_events_per_s == 200_000
    assert f.projection_lag_rate_per_s == pytest.approx(2_000 / 3)


def test_the_growth_is_the_median_of_each_rounds_own_ratio() -> None:
    f = figures(MEASURED)
    assert f.status_latency_growth == pytest.approx(1.1)  # of 1.1, 2.0 and 1.0
    assert f.status_p50_base_ms == pytest.approx(4.0)
    assert f.status_p50_full_ms == pytest.approx(5.0)
    # one disturbed round does not decide it either way
    assert latency_growth([(4.0, 4.0), (4.0, 40.0), (4.0, 4.2)]) == pytest.approx(1.05)
    assert latency_growth([(4.0, 4.0), (40.0, 4.0), (4.0, 4.2)]) == pytest.approx(1.0)


def test_the_growth_leaves_out_its_warm_up_rounds() -> None:
    measured = iter([9.0, 1.0, 4.0, 4.4, 4.0, 4.0, 5.0, 5.5])  # base, full, base, full, ...
    rounds = growth.alternate(lambda: next(measured), lambda: next(measured), 3, warmup=1)
    assert rounds == [(4.0, 4.4), (4.0, 4.0), (5.0, 5.5)]


def test_no_round_is_no_growth() -> None:
    with pytest.raises(ValueError, match="no round"):
        latency_growth([])


def test_the_stores_are_served_in_turn_the_smaller_first_in_each_round() -> None:
    served: list[str] = []

    def measure(name: str, p50: float) -> float:
        served.append(name)
        return p50

    rounds = growth.alternate(lambda: measure("base", 1.0), lambda: measure("full", 2.0))
    assert served == ["base", "full"] * 4  # a warm-up round first, not counted
    assert rounds == [(1.0, 2.0)] * 3


def test_a_zero_ceiling_never_meets_a_target() -> None:
    f = figures(replace(MEASURED, notify_ceiling_p99_ms=0, commit_ceiling_tps=0))
    assert math.isinf(f.projection_lag_ratio)
    assert meets("projection_lag_ratio", f.projection_lag_ratio) is False
    assert meets("add_ratio", f.add_ratio) is False


@pytest.mark.parametrize(
    ("name", "value", "met"),
    [
        ("status_single_ratio", 0.85, True),
        ("status_single_ratio", 0.84, False),
        ("status_batch100_ratio", 40, True),
        ("add_ratio", 2.99, False),
        ("projection_lag_ratio", 3, True),
        ("projection_lag_ratio", 3.01, False),
        ("rebuild_ratio", 0.5, True),
        ("balance_ratio", 0.89, False),
        ("status_latency_growth", 1.1, True),
        ("status_latency_growth", 1.11, False),
        ("worker_rss_mb", 100, True),
        ("worker_rss_mb", 101, False),
        ("add_rps", 1, None),  # an absolute figure has no target any more
    ],
)
def test_the_targets_of_issue_11(name: str, value: float, met: bool | None) -> None:
    assert meets(name, value) is met


def test_every_target_is_on_a_figure_the_run_reports() -> None:
    assert set(TARGETS) <= set(asdict(figures(MEASURED)))
    assert len(TARGETS) == 8


def test_the_json_keeps_every_earlier_key_and_adds_the_ceilings_and_ratios() -> None:
    printed = json.loads(figures(MEASURED).as_json())
    assert set(printed) >= EARLIER_KEYS
    assert {
        "commit_ceiling_tps",
        "add_ratio",
        "notify_ceiling_p99_ms",
        "projection_lag_ratio",
        "scan_ceiling_events_per_s",
        "rebuild_ratio",
        "balance_rps",
        "balance_ratio",
        "status_lag_after_report_ms",
    } <= set(printed)
    assert all(isinstance(v, float | int) for v in printed.values())


def test_the_table_shows_every_figure_and_each_target_with_whether_it_is_met() -> None:
    lines = table(figures(MEASURED)).splitlines()
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == set(asdict(figures(MEASURED)))
    assert rows["add_ratio"].split()[-3:] == ["≥", "3", "yes"]
    assert rows["projection_lag_ratio"].split()[-3:] == ["≤", "3", "NO"]
    assert rows["rebuild_ratio"].split()[-3:] == ["≥", "0.5", "NO"]
    assert rows["status_latency_growth"].split()[-3:] == ["≤", "1.1", "yes"]
    assert rows["add_rps"].split()[1:] == ["2,000.00"]  # no target beside it


UPSTREAM = UpstreamMeasured(
    forward_orders=2_000,
    direct_add_s=20.0,  # 100 adds/s by the bare client
    forward_s=50.0,  # 40 forwarded/s
    forward_cpu_s=30.0,
    direct_add_cpu_s=6.0,
    sync_orders=10_000,
    sync_changed=1_000,
    bare_poll_s=2.0,
    bare_poll_cpu_s=0.5,
    sync_round_s=12.0,
    sync_round_cpu_s=8.0,
    bare_poll_changed_s=2.5,
    sync_round_changed_s=20.0,
    sync_round_changed_cpu_s=11.0,
)


def test_forwarding_is_divided_by_the_same_adds_sent_in_sequence_by_one_bare_client() -> None:
    f = upstream_figures(UPSTREAM)
    assert f.direct_add_rps == pytest.approx(100)
    assert f.forwarded_per_s == pytest.approx(40)
    assert f.forward_ratio == pytest.approx(0.4)
    assert f.forward_cpu_ms_per_order == pytest.approx(15)
    assert f.direct_add_cpu_ms_per_order == pytest.approx(3)
    assert f.forward_cpu_ratio == pytest.approx(5)


def test_each_sync_round_is_divided_by_the_bare_polling_measured_just_before_it() -> None:
    f = upstream_figures(UPSTREAM)
    assert f.sync_calls == 100  # 10,000 orders, 100 ids a call
    assert f.sync_round_ratio == pytest.approx(6)  # 12 s over 2 s
    assert f.sync_round_cpu_ratio == pytest.approx(16)  # 8 s over 0.5 s
    assert f.sync_round_changed_ratio == pytest.approx(8)  # 20 s over its own 2.5 s
    assert (f.sync_orders, f.sync_changed) == (10_000, 1_000)


def test_a_last_short_call_is_still_a_call() -> None:
    assert upstream_figures(replace(UPSTREAM, sync_orders=10_001)).sync_calls == 101
    assert upstream_figures(replace(UPSTREAM, sync_orders=200)).sync_calls == 2


def test_the_upstream_figures_have_no_target_and_a_zero_ceiling_is_infinite() -> None:
    f = upstream_figures(replace(UPSTREAM, bare_poll_s=0, direct_add_cpu_s=0))
    assert math.isinf(f.sync_round_ratio) and math.isinf(f.forward_cpu_ratio)
    rows = {line.split()[0]: line for line in table(upstream_figures(UPSTREAM)).splitlines()[1:]}
    assert set(rows) == set(asdict(upstream_figures(UPSTREAM)))
    assert rows["forward_ratio"].split()[1:] == ["0.40"]  # no target, no verdict
    assert not set(rows) & set(TARGETS)
    printed = json.loads(upstream_figures(UPSTREAM).as_json())
    assert printed["sync_round_ratio"] == 6 and printed["forward_ratio"] == 0.4
