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


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["bench", "--workers", "0"], "--workers and --connections must be at least 1"),
        (["bench", "--connections", "0"], "--workers and --connections must be at least 1"),
        (["bench", "--duration", "0"], "--duration must be more than 0 seconds"),
        (["serve", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_impossible_settings_are_refused_before_anything_starts(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) != 0
    assert said in capsys.readouterr().err
