"""`orderledger refills`: staff move refills through their lifecycle by hand, whoever holds
their claim."""

from __future__ import annotations

import argparse

from orderledger.bootstrap import Store
from orderledger.cli.common import opened_store
from orderledger.cli.listing import register_refill_lists
from orderledger.domain.claims import STAFF
from orderledger.domain.refill import Refill


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("refills", help="list, start, complete, reject or fail refills")
    actions = parser.add_subparsers(dest="refills_action", required=True)
    for name, help in (
        ("start", "mark a Pending refill In progress"),
        ("complete", "finish a refill as Completed"),
        ("reject", "refuse a refill (Rejected)"),
        ("fail", "finish a refill as Failed"),
    ):
        action = actions.add_parser(name, help=help, description=help)
        action.add_argument("refill", type=int, help="the refill number")
        if name in ("reject", "fail"):
            action.add_argument("--reason", default="", help="why (kept with the refill)")
        action.set_defaults(run=move_refill, refill_action=name)
    register_refill_lists(actions)


def moved(store: Store, args: argparse.Namespace) -> Refill:
    ledger = store.ledger
    match args.refill_action:
        case "start":
            return ledger.start_refill(args.refill, by=STAFF)
        case "complete":
            return ledger.complete_refill(args.refill, by=STAFF)
        case "reject":
            return ledger.reject_refill(args.refill, args.reason, by=STAFF)
        case _:
            return ledger.fail_refill(args.refill, args.reason, by=STAFF)


def move_refill(args: argparse.Namespace) -> int:
    with opened_store() as store:
        refill = moved(store, args)
    reason = f" ({refill.reason})" if refill.reason else ""
    print(f"refill {refill.number} of order {refill.order_number}: {refill.status.value}{reason}")
    return 0
