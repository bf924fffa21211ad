"""The forwarder's figures for /metrics: an upstream short of funds or backing us off, and
the outcomes of the orders it sent."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from orderledger.application.forwarder import Standing
from orderledger.http import upstream_metrics
from orderledger.http.upstream_metrics import record_forwarder


def scraped() -> str:
    registry = CollectorRegistry(auto_describe=False)
    for metric in (
        upstream_metrics.FUNDS_SHORT,
        upstream_metrics.BACKING_OFF,
        upstream_metrics.FORWARDS,
    ):
        registry.register(metric)
    return generate_latest(registry).decode()


def test_an_upstream_short_of_funds_shows_and_the_outcomes_add_up() -> None:
    record_forwarder(Standing({"bulk": (True, False)}, {"placed": 3, "funds": 1}))
    record_forwarder(Standing({"bulk": (False, True)}, {"placed": 2}))
    text = scraped()
    assert 'orderledger_upstream_funds_short{upstream="bulk"} 0.0' in text
    assert 'orderledger_upstream_backing_off{upstream="bulk"} 1.0' in text
    assert 'orderledger_upstream_forwards_total{outcome="placed"} 5.0' in text
