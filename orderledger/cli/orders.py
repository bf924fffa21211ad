"""`orderledger orders`: staff drive orders by hand, as the bots do through /dispatch.

Staff act on any order, whoever holds its claim (`STAFF`); bots are bound to their claims.
Each action is one subcommand registered by `register_order_actions`; another group of order
commands (e.g. `history`) is added by registering one more subparser on the same `actions`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta
from typing import TypeAlias

from orderledger.application.claiming import WorkClaims
from orderledger.application.ledger import Ledger
from orderledger.cli.audit import register_history
from orderledger.cli.common import CommandFailed, opened_store
from orderledger.cli.listing import register_order_lists
from orderledger.domain.claims import STAFF
from orderledger.domain.order import Order
from orderledger.http.fulfilment_schemas import work_order

Actions: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(commands: Actions) -> None:
    parser = commands.add_parser("orders", help="claim and report on orders by hand")
    actions = parser.add_subparsers(dest="orders_action", required=True)
    register_order_actions(actions)
    register_history(actions)
    register_order_lists(actions)


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def register_order_actions(actions: Actions) -> None:
    claim = actions.add_parser(
        "claim",
        help="take the oldest waiting orders (moves them to Processing)",
        description="Claim the oldest Pending orders (and due drip-feed runs, and orders whose "
        "claim ran out) for OPERATOR, so no bot takes them meanwhile. Prints each order with "
        "what is needed to deliver it.",
    )
    claim.add_argument(
        "--service",
        type=int,
        action="append",
        default=[],
        metavar="ID",
        help="only orders of this service (repeatable)",
    )
    claim.add_argument("--limit", type=count, default=1, help="how many orders (default 1)")
    claim.add_argument("--operator", default="staff", help="name the claim is recorded with")
    claim.add_argument(
        "--lease", type=count, default=60, help="minutes before the claim runs out (default 60)"
    )
    claim.set_defaults(run=claim_orders)

    def action(
        name: str,
        help: str,
        command: Callable[[Ledger, argparse.Namespace], Order],
        *options: tuple[str, dict[str, object]],
    ) -> None:
        parser = actions.add_parser(name, help=help, description=help)
        parser.add_argument("order", type=count, help="the order number")
        for flag, spec in options:
            parser.add_argument(flag, **spec)  # type: ignore[arg-type]
        parser.set_defaults(run=lambda args: report(args, command))

    action(
        "start",
        "record the start count (moves the order to In progress)",
        lambda ledger, a: ledger.start_order(a.order, a.start_count, by=STAFF),
        ("--start-count", {"type": count, "required": True, "metavar": "N"}),
    )
    action(
        "deliver",
        "record how much is delivered so far (cumulative)",
        lambda ledger, a: ledger.report_delivery(a.order, a.delivered, by=STAFF),
        ("--delivered", {"type": count, "required": True, "metavar": "N"}),
    )
    action(
        "complete",
        "finish the order as Completed",
        lambda ledger, a: ledger.complete_order(a.order, by=STAFF),
    )
    action(
        "partial",
        "stop as Partial and refund the undelivered share",
        lambda ledger, a: ledger.stop_partial(a.order, a.remains, by=STAFF),
        ("--remains", {"type": count, "required": True, "metavar": "N"}),
    )
    action(
        "cancel",
        "cancel an order nothing was delivered of (full refund)",
        lambda ledger, a: ledger.cancel_order(a.order, by=STAFF),
    )
    action(
        "fail",
        "finish the order as Failed (full refund)",
        lambda ledger, a: ledger.fail_order(a.order, a.reason, by=STAFF),
        ("--reason", {"required": True, "help": "why it failed"}),
    )
    action(
        "refund",
        "refund a Completed or Partial order in full",
        lambda ledger, a: ledger.refund_order(a.order, by=STAFF),
    )
    register_resolutions(actions, action)


def register_resolutions(actions: Actions, action: Callable[..., None]) -> None:
    """An order in doubt at its upstream (`orders list --in-doubt`) is resolved by staff,
    once they have looked at the upstream: it is this order there, or it was never placed."""
    action(
        "attach",
        "the order in doubt is this upstream order: forwarded, its status followed from now on",
        lambda ledger, a: ledger.attach_upstream_order(a.order, a.upstream_order, by=STAFF),
        (
            "--upstream-order",
            {"required": True, "metavar": "ID", "help": "the upstream's id of the order"},
        ),
    )
    action(
        "forward",
        "the order in doubt was never placed at its upstream: forward it again (only with "
        "--again; look at the upstream first, or it may be placed twice)",
        forward_again,
        (
            "--again",
            {"action": "store_true", "help": "required: send it again, as a new attempt"},
        ),
    )


def forward_again(ledger: Ledger, args: argparse.Namespace) -> Order:
    if not args.again:
        raise CommandFailed(
            "orders forward sends an order in doubt again: say --again, once the upstream "
            "shows it does not have it"
        )
    return ledger.forward_again(args.order, by=STAFF)


def describe(order: Order) -> str:
    work = work_order(order)
    lines = [
        f"order {work.order}  {work.status}  service {work.service} ({work.type})",
        f"  link {work.link or '-'}  quantity {work.quantity}"
        + (f" × {work.runs} runs every {work.interval} min" if work.runs else ""),
        f"  delivered {work.delivered}  remains {work.remains}  start count {work.start_count}"
        f"  charge {work.charge} {work.currency}",
    ]
    lines += [f"  {name}: {value}" for name, value in work.details.items()]
    if work.cancel_requested:
        lines.append("  the network asked to cancel it")
    if work.claimed_by:
        lines.append(f"  claimed by {work.claimed_by} until {work.claim_expires_at}")
    if order.forward_state is not None or order.upstream_order:
        state = order.forward_state.value if order.forward_state else "waiting to be sent"
        lines.append(
            f"  upstream {order.upstream}: {state}"
            + (f" as {order.upstream_order}" if order.upstream_order else "")
            + (f" ({order.doubt})" if order.doubt else "")
        )
    return "\n".join(lines)


def claim_orders(args: argparse.Namespace) -> int:
    if args.limit < 1 or args.lease < 1:
        raise CommandFailed("--limit and --lease must be at least 1")
    with opened_store() as store:
        claimed = WorkClaims(store.ledger, store.db).claim_orders(
            args.operator, args.limit, args.service, timedelta(minutes=args.lease)
        )
    for order in claimed:
        print(describe(order))
    print(f"{len(claimed)} order(s) claimed by {args.operator}")
    return 0


def report(args: argparse.Namespace, command: Callable[[Ledger, argparse.Namespace], Order]) -> int:
    with opened_store() as store:
        order = command(store.ledger, args)
    print(describe(order))
    return 0
