"""A downstream orderledger forwarding to a real upstream orderledger, each `serve` with a
store of its own: orders of several types forwarded with every field, the upstream's staff
moving them and the downstream's `status` following; the upstream stopped and back; and
kill -9 of the downstream in the middle of forwarding 100 orders."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from orderledger.bootstrap import Store
from orderledger.domain.order import ForwardState
from orderledger.storage.settings import Settings
from tests.integration.servers import environment
from tests.integration.upstream_servers import (
    COMMENTS,
    DEFAULT,
    DRIP,
    LOCAL,
    POLL,
    Chain,
    eventually,
    make_chain,
    placed,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def chain(settings: Settings, store: Store, tmp_path: Path) -> Iterator[Chain]:
    made = make_chain(settings, store, tmp_path)
    try:
        yield made
    finally:
        made.downstream_server.stop()
        made.upstream_server.stop()
        made.upstream.close()


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orderledger.cli.main", *args],
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def forwarded(chain: Chain, numbers: list[int]) -> bool:
    return all(chain.order(n).forward_state is ForwardState.FORWARDED for n in numbers)


def test_orders_are_forwarded_with_their_fields_and_their_status_follows_the_upstream(
    chain: Chain, settings: Settings
) -> None:
    # An order the upstream will not know: as if its `add` had answered with another id.
    ledger, network = chain.downstream.ledger, chain.downstream.ledger.account("network")
    unknown = ledger.place_order(network.id, 1, {"link": "https://x/z", "quantity": "100"})
    ledger.begin_forward(unknown.number, "bulk", DEFAULT)
    ledger.record_forwarded(unknown.number, "999999")
    with chain.upstream_server.running(), chain.downstream_server.running():
        default = chain.add(LOCAL[DEFAULT], link="https://x/a", quantity="1000")
        comments = chain.add(LOCAL[COMMENTS], link="https://x/b", comments="one\ntwo\nthree")
        drip = chain.add(LOCAL[DRIP], link="https://x/c", quantity="100", runs="3", interval="5")
        poll = chain.add(LOCAL[POLL], link="https://x/d", quantity="200", answer_number="2")
        numbers = [default, comments, drip, poll]
        eventually(lambda: forwarded(chain, numbers), what="every order forwarded")
        assert len(placed(chain.upstream)) == 4  # the one with a made-up id was never sent
        metrics = chain.downstream_server.url.replace("/api/v2", "/metrics")
        eventually(
            lambda: (
                'orderledger_upstream_forwards_total{outcome="placed"} 4.0'
                in httpx.get(metrics, timeout=10).text
            ),
            what="the forwarder's figures in /metrics",
        )
        for number in numbers:
            mine, theirs = chain.order(number), chain.upstream_order(number)
            assert (theirs.link, theirs.quantity, theirs.runs, theirs.interval) == (
                mine.link,
                mine.quantity,
                mine.runs,
                mine.interval,
            )
            assert theirs.details == mine.details
            assert theirs.service_number == {v: k for k, v in LOCAL.items()}[mine.service_number]

        staff = chain.upstream.ledger
        up = {n: chain.upstream_order(n).number for n in numbers}
        staff.start_order(up[default], 50)
        staff.report_delivery(up[default], 300)
        eventually(
            lambda: (
                chain.status(default)
                == {**chain.status(default), "status": "In progress", "remains": "700"}
            ),
            what="the start and the delivery followed",
        )
        assert chain.status(default)["start_count"] == "50"
        staff.complete_order(up[default])
        staff.start_order(up[comments], 5)
        staff.stop_partial(up[comments], 1)
        staff.cancel_order(up[drip])
        staff.complete_order(up[poll])
        eventually(
            lambda: (
                [chain.status(n)["status"] for n in numbers]
                == ["Completed", "Partial", "Canceled", "Completed"]
            ),
            what="every end followed",
        )
        partial = chain.status(comments)
        assert (partial["remains"], partial["charge"]) == ("1", "0.02400")  # 36 less a third
        assert chain.status(drip)["charge"] == "0.00000"
        lost = chain.order(unknown.number)  # only this one is in doubt
        assert lost.forward_state is ForwardState.IN_DOUBT and "Incorrect order ID" in lost.doubt
        eventually(lambda: chain.order(default).upstream_cost is not None, what="the cost")

    history = cli(settings, "orders", "history", str(default))
    assert history.returncode == 0, history.stderr
    assert (
        "forwarded to bulk: price 3.00000 USD, upstream cost 2.50000 USD, margin 0.50000 USD"
        in history.stdout
    )


def test_orders_wait_while_the_upstream_is_down_and_go_when_it_is_back(chain: Chain) -> None:
    with chain.downstream_server.running():
        numbers = [
            chain.add(LOCAL[DEFAULT], link=f"https://x/{i}", quantity="100") for i in range(3)
        ]
        eventually(
            lambda: chain.order(numbers[0]).forward_attempts >= 2,
            what="tried, and tried again after a pause",
        )
        assert {chain.status(n)["status"] for n in numbers} == {"Pending"}
        assert {chain.order(n).forward_state for n in numbers} == {None}
        with chain.upstream_server.running():
            eventually(lambda: forwarded(chain, numbers), what="forwarded once it is back")
            assert len(placed(chain.upstream)) == 3


def test_kill_9_while_forwarding_100_orders_places_none_twice(
    chain: Chain, settings: Settings
) -> None:
    network = chain.downstream.ledger.account("network")
    numbers = [
        chain.downstream.ledger.place_order(
            network.id, LOCAL[DEFAULT], {"link": f"https://x/k{i}", "quantity": "100"}
        ).number
        for i in range(100)
    ]
    with chain.upstream_server.running():
        chain.downstream_server.start()
        eventually(lambda: len(placed(chain.upstream)) >= 30, what="30 forwarded")
        chain.downstream_server.kill()
        chain.downstream_server.process = None
        with chain.downstream_server.running():
            eventually(
                lambda: all(
                    chain.order(n).forward_state in (ForwardState.FORWARDED, ForwardState.IN_DOUBT)
                    for n in numbers
                ),
                timeout=120,
                what="every order forwarded or in doubt",
            )
            upstream_links = Counter(o.link for o in placed(chain.upstream))
            assert max(upstream_links.values()) == 1  # none placed twice
            doubtful = [n for n in numbers if chain.order(n).forward_state is ForwardState.IN_DOUBT]
            for n in set(numbers) - set(doubtful):
                assert chain.upstream_order(n).link == chain.order(n).link
            assert len(upstream_links) >= 100 - len(doubtful)
            listed = cli(settings, "orders", "list", "--in-doubt", "--json")
            assert listed.returncode == 0, listed.stderr
            assert sorted(o["order"] for o in json.loads(listed.stdout)["orders"]) == doubtful
            print(f"\nkill -9 while forwarding: {len(doubtful)} order(s) in doubt after restart")

            # An operator looks each one up at the upstream, and resolves it.
            by_link = {o.link: o.number for o in placed(chain.upstream)}
            for n in doubtful:
                link = chain.order(n).link
                if link in by_link:
                    done = cli(
                        settings, "orders", "attach", str(n), "--upstream-order", str(by_link[link])
                    )
                else:
                    done = cli(settings, "orders", "forward", str(n), "--again")
                assert done.returncode == 0, done.stderr
            eventually(lambda: forwarded(chain, numbers), what="all forwarded once resolved")
            upstream_orders = placed(chain.upstream)
            assert sorted(o.link for o in upstream_orders) == sorted(
                f"https://x/k{i}" for i in range(100)
            )
            assert {chain.upstream_order(n).link for n in numbers} == {
                o.link for o in upstream_orders
            }
        verified = cli(settings, "projections", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
    assert chain.downstream.ledger.account("network").balance == Decimal("970")  # 100 × 0.30
