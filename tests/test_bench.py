"""The benchmark runs end to end and reports every figure it promises."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from orderledger.cli.main import main
from tests.conftest import ADMIN_URL
from tests.unit.test_bench_report import EARLIER_KEYS

FIGURES = EARLIER_KEYS | {
    # issue 11: the same run's ceilings, the ratios to them, and two new figures
    "balance_rps",
    "balance_ratio",
    "commit_ceiling_tps",
    "add_ratio",
    "projection_lag_rate_per_s",
    "notify_ceiling_p99_ms",
    "projection_lag_ratio",
    "status_lag_after_report_ms",
    "scan_ceiling_events_per_s",
    "rebuild_ratio",
    "status_p50_base_ms",
    "status_p50_full_ms",
}
# a row may become visible before its add's answer arrives: a lag of 0 is possible
MAY_BE_ZERO = {"projection_lag_p99_ms", "projection_lag_ratio"}


@pytest.mark.slow
def test_quick_bench_reports_every_figure_as_a_positive_number() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "orderledger.cli.main",
            "bench",
            "--quick",
            "--json",
            "--admin-url",
            ADMIN_URL,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout)
    assert set(figures) == FIGURES
    for name, value in figures.items():
        assert isinstance(value, float | int) and math.isfinite(value), name
        assert value > 0 or (name in MAY_BE_ZERO and value == 0), name
    assert figures["status_batch100_orders_per_s"] == pytest.approx(
        figures["status_batch100_rps"] * 100, rel=1e-3
    )
    assert figures["projection_lag_rate_per_s"] == pytest.approx(figures["add_rps"] / 3, rel=1e-2)


UPSTREAM_FIGURES = {
    "forward_orders",
    "direct_add_rps",
    "forwarded_per_s",
    "forward_ratio",
    "forward_cpu_ms_per_order",
    "direct_add_cpu_ms_per_order",
    "forward_cpu_ratio",
    "sync_orders",
    "sync_calls",
    "bare_poll_s",
    "sync_round_s",
    "sync_round_ratio",
    "sync_round_cpu_s",
    "sync_round_cpu_ratio",
    "sync_changed",
    "bare_poll_changed_s",
    "sync_round_changed_s",
    "sync_round_changed_ratio",
    "sync_round_changed_cpu_s",
}


@pytest.mark.slow
def test_the_upstream_section_forwards_every_order_and_times_each_sync_round() -> None:
    # The section itself fails the run if an order is not forwarded, is forwarded twice or
    # goes in doubt, if a round leaves an order unasked, or if the unchanged round records
    # anything or the changed one records other than one event per changed order.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "orderledger.cli.main",
            "bench",
            "--upstream",
            "--forward-orders",
            "20",
            "--sync-orders",
            "200",
            "--json",
            "--admin-url",
            ADMIN_URL,
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout)
    assert set(figures) == UPSTREAM_FIGURES
    for name, value in figures.items():
        assert isinstance(value, float | int) and math.isfinite(value) and value > 0, name
    assert (figures["forward_orders"], figures["sync_orders"]) == (20, 200)
    assert (figures["sync_calls"], figures["sync_changed"]) == (2, 20)
    assert figures["forward_ratio"] == pytest.approx(
        figures["forwarded_per_s"] / figures["direct_add_rps"], rel=1e-2
    )
    assert "sync round with nothing changed" in done.stderr  # progress on stderr


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["bench", "--workers", "0"], "--workers and --connections must be at least 1"),
        (["bench", "--connections", "0"], "--workers and --connections must be at least 1"),
        (["bench", "--duration", "0"], "--duration must be more than 0 seconds"),
        (["bench", "--upstream", "--forward-orders", "0"], "--forward-orders must be at least 1"),
        (["bench", "--upstream", "--sync-orders", "5"], "--sync-orders at least 10"),
        (["serve", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_impossible_settings_are_refused_before_anything_starts(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) != 0
    assert said in capsys.readouterr().err
