"""`orderledger orders history`: an order's full history, for auditors.

`register_history(actions)` adds `history` to any `orders` group. Until the `orders` group of
the fulfilment commands exists on this branch, `register` makes an `orders` group holding only
`history`; the merged group calls `register_history` instead.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from orderledger.cli.common import opened_store
from orderledger.domain.money import wire
from orderledger.views.event_facts import InvalidMoment, parse_moment
from orderledger.views.order_history import HistoryEntry, Margin, OrderHistory, OrderState
from orderledger.views.order_history import order_history as read_history


def register_history(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    history = actions.add_parser(
        "history",
        help="every event of an order and its refills, with the state each led to",
        description="Prints every event of the order and of its refills in the order they "
        "happened: time, aggregate, version, event, its facts and the order's state after it "
        "(status, charge, remains, start_count, refills); for an order forwarded to an upstream, "
        "its price, the upstream's cost and the margin. Read-only.",
    )
    history.add_argument("order", type=int, help="the order number")
    history.add_argument(
        "--at",
        type=moment,
        metavar="TIMESTAMP",
        help="show the history up to this ISO 8601 moment and the state as it was then "
        "(no zone: UTC)",
    )
    history.add_argument("--json", action="store_true", help="JSON lines, one per event")
    history.set_defaults(run=show_history)


def moment(text: str) -> datetime:
    try:
        return parse_moment(text)
    except InvalidMoment as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def show_history(args: argparse.Namespace) -> int:
    with opened_store() as store:
        history = read_history(store.ledger, args.order, args.at)
    print("\n".join(json_lines(history) if args.json else text_lines(history)))
    return 0


def state_text(state: OrderState) -> str:
    refills = ", ".join(f"refill {n} {status}" for n, status in state.refills.items())
    return (
        f"{state.status}, charge {state.charge}, remains {state.remains}, "
        f"start_count {state.start_count}" + (f", {refills}" if refills else "")
    )


def entry_text(entry: HistoryEntry) -> list[str]:
    facts = " ".join(f"{k}={json.dumps(v)}" for k, v in entry.facts.items())
    parts = [entry.time.isoformat(), f"{entry.aggregate} v{entry.version}", entry.event]
    parts += [facts] if facts else []
    parts.append(f"by {entry.who or '(unknown)'}")
    return ["  ".join(parts), f"    -> {state_text(entry.state)}"]


def money_text(money: Margin) -> str:
    cost = "not reported yet" if money.cost is None else f"{wire(money.cost)} {money.cost_currency}"
    margin = "-" if money.margin is None else f"{wire(money.margin)} {money.currency}"
    return (
        f"forwarded to {money.upstream}: price {wire(money.price)} {money.currency}, "
        f"upstream cost {cost.strip()}, margin {margin}"
    )


def money_json(money: Margin) -> dict[str, object]:
    return {
        "upstream": money.upstream,
        "price": wire(money.price),
        "currency": money.currency,
        "upstream_cost": None if money.cost is None else wire(money.cost),
        "upstream_currency": money.cost_currency,
        "margin": None if money.margin is None else wire(money.margin),
    }


def text_lines(history: OrderHistory) -> list[str]:
    lines = [f"order {history.order}"]
    for entry in history.entries:
        lines += entry_text(entry)
    if history.money is not None:
        lines.append(money_text(history.money))
    if history.at is not None:
        state = history.state
        lines.append(
            f"at {history.at.isoformat()}: "
            + (state_text(state) if state else "the order did not exist yet")
        )
    return lines


def state_json(state: OrderState | None) -> dict[str, object] | None:
    return None if state is None else vars(state)


def json_lines(history: OrderHistory) -> list[str]:
    lines = [
        json.dumps(
            {
                "order": history.order,
                "time": e.time.isoformat(),
                "aggregate": e.aggregate,
                "version": e.version,
                "event": e.event,
                "who": e.who,
                "facts": e.facts,
                "state": state_json(e.state),
            }
        )
        for e in history.entries
    ]
    if history.money is not None:
        lines.append(json.dumps({"order": history.order, "money": money_json(history.money)}))
    if history.at is not None:
        lines.append(
            json.dumps(
                {
                    "order": history.order,
                    "at": history.at.isoformat(),
                    "state": state_json(history.state),
                }
            )
        )
    return lines
