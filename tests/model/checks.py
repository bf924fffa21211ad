"""After every step: what the network, the bots and the command line see, against the model."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from orderledger.application.ledger import Ledger
from orderledger.domain.account import Billing
from orderledger.domain.active_link import ActiveLink
from orderledger.domain.ids import account_id, active_link_id
from orderledger.domain.order import Order, OrderStatus
from orderledger.domain.refill import Refill, RefillStatus
from orderledger.domain.service import Service
from tests.model import reference
from tests.model.system import Running

UNKNOWN = 999_999  # an order and refill number nobody has


def check_services(running: Running, key: str, model: reference.Ledger) -> None:
    """The `services` answer, and each service as the command line loads it."""
    _, answer = running.api(key, "services")
    for item in answer:
        item["rate"] = Decimal(item["rate"])
    assert answer == [s.listed() for _, s in sorted(model.services.items()) if s.enabled]
    for number, service in model.services.items():
        loaded = running.store.ledger.load(Service, Service.create_id(number))
        assert loaded is not None and isinstance(loaded.rate, Decimal)
        assert (loaded.rate, loaded.max, loaded.refill, loaded.enabled) == (
            service.rate,
            service.max,
            service.refill,
            service.enabled,
        )


def check_account(running: Running, key: str, name: str, model: reference.Ledger) -> None:
    """The account's balance, every order's status and every refill's, as its key sees them
    (another key's order and an unknown number are unknown to it)."""
    account = model.accounts[name]
    _, answer = running.api(key, "balance")
    assert answer == account.shown(), name
    mine = sorted(n for n, o in model.orders.items() if o.account == name)
    asked = [*mine, *[n for n, o in model.orders.items() if o.account != name][:1], UNKNOWN]
    _, answer = running.api(key, "status", orders=",".join(map(str, asked)))
    unknown = {"error": "Incorrect order ID"}
    assert answer == {
        str(n): model.orders[n].status_answer(account.currency) if n in mine else unknown
        for n in asked
    }
    refills = sorted(n for n, r in model.refills.items() if r.account == name)
    asked = [*refills, UNKNOWN]
    _, answer = running.api(key, "refill_status", refills=",".join(map(str, asked)))
    not_found = {"error": "Refill not found"}
    assert answer == [
        {"refill": n, "status": model.refills[n].status if n in refills else not_found}
        for n in asked
    ]


def check_order_status(running: Running, key: str, order: reference.Order, currency: str) -> None:
    _, answer = running.api(key, "status", order=str(order.number))
    assert answer == order.status_answer(currency), order


def check_work_order(answer: dict[str, Any], model: reference.Ledger) -> None:
    """A bot's answer: the order as it now stands."""
    order = model.orders[answer["order"]]
    seen = {k: answer[k] for k in ("status", "delivered", "remains", "charge", "claimed_by")}
    assert seen == {
        "status": order.status,
        "delivered": order.delivered,
        "remains": order.remains,
        "charge": reference.wire(order.net_charge),
        "claimed_by": order.claimed_by,
    }


def check_aggregates(ledger: Ledger, model: reference.Ledger) -> None:
    """Every aggregate as the command line loads it (from a snapshot after a restart), with
    its enums as enums and its money as Decimal."""
    for name, expected in model.accounts.items():
        account = ledger.account(name)
        assert isinstance(account.billing, Billing) and isinstance(account.credit, Decimal)
        assert (account.balance, account.billing is Billing.POSTPAID) == (
            expected.balance,
            expected.postpaid,
        ), name
    for number, order in model.orders.items():
        loaded = ledger.order(number)
        assert loaded is not None and isinstance(loaded.status, OrderStatus)
        assert (loaded.status.value, loaded.net_charge, loaded.remains, loaded.claimed_by) == (
            order.status,
            order.net_charge,
            order.remains,
            order.claimed_by,
        ), number
        assert (dict(loaded.posts), loaded.open_refill, loaded.cancel_requested) == (
            order.posts,
            order.open_refill,
            order.cancel_requested,
        ), number
    for number, refill in model.refills.items():
        loaded_refill = ledger.refill(number)
        assert isinstance(loaded_refill.status, RefillStatus)
        assert (loaded_refill.status.value, loaded_refill.claimed_by) == (
            refill.status,
            refill.claimed_by,
        ), number
    check_links(ledger, model)


def check_links(ledger: Ledger, model: reference.Ledger) -> None:
    """Which order holds each account's service and link (the active-order rule)."""
    used = {(o.account, o.service, o.link) for o in model.orders.values() if o.link}
    for account, number, link in used:
        guard = ledger.load(ActiveLink, active_link_id(account_id(account), number, link))
        holder = guard.order_number if guard is not None else None
        assert holder == model.links.get((account, number, link)), (account, number, link)


def snapshotted(ledger: Ledger, model: reference.Ledger) -> Counter[str]:
    """How many aggregates of each type have a snapshot (so restarts loaded from them)."""
    ids = {
        "Account": [account_id(name) for name in model.accounts],
        "Order": [Order.create_id(n) for n in model.orders],
        "Refill": [Refill.create_id(n) for n in model.refills],
        "Service": [Service.create_id(n) for n in model.services],
        "ActiveLink": [
            active_link_id(account_id(o.account), o.service, o.link)
            for o in model.orders.values()
            if o.link
        ],
    }
    assert ledger.snapshots is not None
    return Counter(
        {
            kind: sum(1 for i in set(each) if list(ledger.snapshots.get(i, desc=True, limit=1)))
            for kind, each in ids.items()
        }
    )
