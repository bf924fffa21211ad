"""`status` and `refill_status` answer with every event committed before the request arrived,
however far behind the read models are: a bot's report or a network's request a moment ago
is in the next answer, single or multi, on PostgreSQL's fast path too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient

from orderledger.bootstrap import Store, runtime
from orderledger.cli.common import catch_up
from orderledger.http import presenters
from orderledger.http.api_v2 import parsed_action, plain_status
from orderledger.http.app import create_app
from orderledger.projections import replay
from orderledger.storage.credentials import Role
from orderledger.views.key_lookups import key_holder
from orderledger.views.reads import ReadModels
from tests.conftest import entry, open_account
from tests.http.conftest import Network


@dataclass
class Desk:
    """The network and a bot, on an app whose live projector is stopped."""

    network: Network
    account: str
    bot: dict[str, str]
    reads: ReadModels  # the app's own

    @property
    def client(self) -> TestClient:  # type: ignore[type-arg]
        return self.network.client

    def report(self, kind: str, number: int, action: str, body: Any = None) -> None:
        answer = self.client.post(
            f"/dispatch/{kind}/{number}/{action}", json=body, headers=self.bot
        )
        assert answer.status_code == 200, answer.text

    def claim(self, kind: str, count: int) -> list[int]:
        catch_up(self.network.store)  # the bot's work queue is a read model too
        answer = self.client.post(
            f"/dispatch/{kind}/claim", json={"limit": count}, headers=self.bot
        )
        assert answer.status_code == 200, answer.text
        return sorted(
            item["order" if kind == "orders" else "refill"] for item in answer.json()[kind]
        )

    def truth(self, numbers: list[int]) -> dict[str, Any]:
        """Each order's answer folded from its events alone, by the projection's own fold."""
        rows = replay.orders_of(self.network.store.ledger, self.account, numbers)
        return {str(n): presenters.order_status(rows[n]) for n in numbers}


@contextmanager
def desk(store: Store) -> Iterator[Desk]:
    store.ledger.sync_services([entry(1, cancel=True), entry(2, refill=True)])
    account, key = open_account(store, deposit="100")
    token = store.credentials.issue(Role.OPERATOR, "bot-1", "bot-1")
    served = runtime(store.settings, projector=False)
    with TestClient(create_app(store.settings, parts=served)) as client:
        bot = {"Authorization": f"Bearer {token}"}
        yield Desk(Network(client, store, key), str(account.id), bot, served.reads)


def test_each_status_right_after_a_report_or_a_cancel_request_shows_it(store: Store) -> None:
    with desk(store) as at:
        orders = [at.network.add(link=f"https://example.com/{i}") for i in range(3)]
        assert at.claim("orders", 3) == orders
        first, second, third = orders
        steps: list[tuple[int, str, Any, str]] = [
            (first, "start", {"start_count": 7}, "In progress"),
            (first, "deliver", {"delivered": 30}, "In progress"),
            (first, "partial", {"remains": 70}, "Partial"),
            (second, "cancel request", None, "Processing"),
            (second, "cancel", None, "Canceled"),
            (third, "start", {"start_count": 1}, "In progress"),
            (third, "complete", None, "Completed"),
            (third, "refund", None, "Refunded"),
        ]
        wrong = []
        for number, action, body, status in steps:
            if action == "cancel request":
                asked = at.network.call(action="cancel", order=str(number))
                assert asked == {"order": number, "cancel": presenters.CANCEL_RECEIVED}
            else:
                at.report("orders", number, action, body)
            single = at.network.call(action="status", order=str(number))
            multi = at.network.call(action="status", orders=",".join(map(str, orders)))
            truth = at.truth(orders)
            if single != truth[str(number)] or single["status"] != status or multi != truth:
                wrong.append((action, number, single, multi, truth))
        assert wrong == []
        assert at.truth([first])[str(first)]["remains"] == "70"


def test_each_refill_status_right_after_a_report_shows_it(store: Store) -> None:
    with desk(store) as at:
        orders = [at.network.add(service=2, link=f"https://example.com/{i}") for i in range(2)]
        for number in orders:
            store.ledger.complete_order(number)
        refills = [int(at.network.call(action="refill", order=str(n))["refill"]) for n in orders]
        asked = ",".join(map(str, refills))
        assert (
            at.network.call(action="refill_status", refill=str(refills[0]))["status"] == "Pending"
        )
        assert at.claim("refills", 2) == refills
        steps = [
            (refills[0], "start", "In progress"),
            (refills[0], "complete", "Completed"),
            (refills[1], "reject", "Rejected"),
        ]
        wrong = []
        expected = {n: "Pending" for n in refills}
        for number, action, status in steps:
            at.report("refills", number, action)
            expected[number] = status
            single = at.network.call(action="refill_status", refill=str(number))
            multi = at.network.call(action="refill_status", refills=asked)
            if single != {"refill": number, "status": status} or multi != [
                {"refill": n, "status": expected[n]} for n in refills
            ]:
                wrong.append((action, number, single, multi))
        assert wrong == []


def ready_answer(at: Desk, fields: dict[str, str]) -> bytes | None:
    """The whole answer the key's own query brings (None: the request takes the usual path)."""
    asked = plain_status(parsed_action({"key": at.network.key, **fields}))
    holder = at.client.blocking_portal.call(key_holder, at.reads, at.network.key, asked)
    assert holder is not None
    return holder.ready


def test_postgres_answers_status_from_the_stored_answers_unless_the_rows_are_behind(
    store: Store, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("the stored answers are PostgreSQL's")
    with desk(store) as at:
        orders = [at.network.add(link=f"https://example.com/{i}") for i in range(3)]
        catch_up(store)
        single = {"action": "status", "order": str(orders[0])}
        multi = {"action": "status", "orders": ",".join(map(str, orders))}
        assert ready_answer(at, single) is not None
        assert ready_answer(at, multi) is not None

        store.ledger.start_order(orders[0], 5)
        assert ready_answer(at, single) is None
        assert ready_answer(at, multi) is None
        assert ready_answer(at, {"action": "status", "order": str(orders[1])}) is not None
        assert at.network.call(**single)["status"] == "In progress"

        catch_up(store)
        assert ready_answer(at, single) is not None
        assert ready_answer(at, multi) is not None
        assert at.network.call(**multi) == at.truth(orders)


def test_status_folds_every_event_a_row_lacks_and_orders_it_has_no_row_of(store: Store) -> None:
    with desk(store) as at:
        projected = at.network.add(link="https://example.com/a")
        catch_up(store)
        store.ledger.start_order(projected, 2)
        store.ledger.report_delivery(projected, 50)
        store.ledger.stop_partial(projected, 50)
        placed = at.network.add(link="https://example.com/b")
        store.ledger.start_order(placed, 4)
        both = [projected, placed]
        answer = at.network.call(action="status", orders=",".join(map(str, both)))
        assert answer == at.truth(both)
        assert [answer[str(n)]["status"] for n in both] == ["Partial", "In progress"]
        assert at.network.call(action="status", order=str(placed)) == at.truth(both)[str(placed)]
