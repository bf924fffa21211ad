"""A refill whose claim was released is back in the queue table as nobody's."""

from __future__ import annotations

import pytest

from orderledger.application.claiming import WorkClaims
from orderledger.cli.main import main
from tests.audit.conftest import live_tables
from tests.conftest import use_settings
from tests.fulfilment.conftest import DEFAULT, World
from tests.fulfilment.support import caught_up


def test_a_released_refill_claim_shows_unclaimed_in_the_work_queue(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    net, bot, clock = world.network, world.bot, world.clock
    number = net.add(DEFAULT, link="https://x/refill", quantity=100)
    bot.claim()
    bot.ok(f"orders/{number}/complete")
    refill = int(net.call("refill", order=number)["refill"])
    caught_up(world.store)
    bot.ok("refills/claim", {"lease_seconds": 60})
    clock.advance(seconds=61)
    caught_up(world.store)  # the sweep finds expired claims in the queue table
    WorkClaims(world.store.ledger, world.store.db).sweep(clock())
    assert world.store.ledger.refill(refill).claimed_by is None

    [row] = [r for r in live_tables(world.store)["work_queue"] if r.kind == "refill"]
    assert (row.number, row.claimed_by, row.claim_expires_at) == (refill, "", 0)
    use_settings(monkeypatch, world.store.settings)
    assert main(["projections", "verify"]) == 0
