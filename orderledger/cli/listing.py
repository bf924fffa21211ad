"""`orders list`, `orders show`, `refills list`, `accounts list`: seeing without taking.

Each reads the read models (brought up to date first, as `projections status` does) and
changes nothing: listing waiting orders does not claim them. Tables are drawn with `rich`;
`--json` prints one JSON object for scripts, amounts as strings with five places, as the
protocol writes them. A full page ends with the command for the next one (`--before N`,
newest first), and `--json` gives it as `next_before`.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeAlias

from rich.console import Console
from rich.table import Table

from orderledger.cli.audit import json_lines, moment, money_json, money_text, state_text
from orderledger.cli.common import CommandFailed, catch_up, opened_store
from orderledger.domain.money import wire
from orderledger.domain.order import OrderStatus
from orderledger.domain.refill import RefillStatus
from orderledger.projections.account_balance import AccountBalanceRow
from orderledger.views.forwards import ForwardLine, forward_of, forwards_of
from orderledger.views.listings import (
    MAX_PAGE,
    ListingRefused,
    OrderFilter,
    OrderLine,
    Page,
    RefillLine,
    list_accounts,
    list_orders,
    list_refills,
    order_by_number,
)
from orderledger.views.order_history import OrderNotFound, order_history

Actions: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def status_of(choices: Iterable[str]) -> Any:
    """An argparse type: a status in any case, spaces or underscores (`in_progress`)."""
    known = {value.lower().replace(" ", "_"): value for value in choices}

    def parse(text: str) -> str:
        value = known.get(text.strip().lower().replace(" ", "_").replace("-", "_"))
        if value is None:
            raise argparse.ArgumentTypeError(
                f"no status {text!r}: one of {', '.join(known.values())}"
            )
        return value

    return parse


def page_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_PAGE:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_PAGE}, not {value}")
    return value


def number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an order or refill number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"not an order or refill number: {text!r}")
    return value


def since(text: str) -> datetime:
    try:
        return moment(text)
    except argparse.ArgumentTypeError as error:
        raise argparse.ArgumentTypeError(
            f"{error} (e.g. 2026-12-01, 2026-12-01T09:30 or 2026-12-01T09:30:00+02:00)"
        ) from None


def register_order_lists(actions: Actions) -> None:
    listing = actions.add_parser(
        "list",
        help="list orders, newest first, without claiming them (read-only)",
        description="Orders from the read models, newest first, a page at a time. Read-only: "
        "a Pending order stays Pending. A full page ends with the command for the next one.",
    )
    listing.add_argument(
        "--status",
        type=status_of(s.value for s in OrderStatus),
        action="append",
        default=[],
        metavar="S",
        help="only orders in this status (repeatable): " + ", ".join(s.value for s in OrderStatus),
    )
    listing.add_argument("--account", metavar="NAME", help="only this account's orders")
    listing.add_argument("--service", type=int, metavar="ID", help="only this service's orders")
    listing.add_argument("--link", metavar="TEXT", help="only orders for exactly this link")
    listing.add_argument(
        "--in-doubt",
        action="store_true",
        help="only orders forwarded to an upstream whose outcome is unknown (a timeout, a "
        "crash while sending, an answer that could not be read): resolve each with "
        "`orders attach` or `orders forward --again`",
    )
    listing.add_argument(
        "--since",
        type=since,
        metavar="T",
        help="only orders placed at or after this ISO 8601 moment (no zone: UTC)",
    )
    listing.add_argument(
        "--until",
        type=since,
        metavar="T",
        help="only orders placed before this ISO 8601 moment (no zone: UTC)",
    )
    page_options(listing, "order", "the page after this order (newest first)")
    listing.set_defaults(run=show_order_list)

    show = actions.add_parser(
        "show",
        help="an order as it stands and its history (read-only)",
        description="The order's row in the read models (status, charge, remains, link, ...) "
        "and every event of it and its refills, with the state each led to. Read-only.",
    )
    show.add_argument("order", type=number, help="the order number")
    show.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    show.set_defaults(run=show_order)


def page_options(listing: argparse.ArgumentParser, item: str, before: str) -> None:
    """A list's keyset page (`--before`, `--limit`) and `--json`, alike for every list."""
    listing.add_argument("--before", type=number, metavar=item.upper(), help=before)
    listing.add_argument(
        "--limit",
        type=page_size,
        default=50,
        help=f"{item}s per page (default 50, at most {MAX_PAGE})",
    )
    listing.add_argument("--json", action="store_true", help="one JSON object, for scripts")


def register_refill_lists(actions: Actions) -> None:
    listing = actions.add_parser(
        "list",
        help="list refills, newest first (read-only)",
        description="Refills from the read models, newest first, a page at a time. Read-only.",
    )
    listing.add_argument(
        "--status",
        type=status_of(s.value for s in RefillStatus),
        action="append",
        default=[],
        metavar="S",
        help="only refills in this status (repeatable): "
        + ", ".join(s.value for s in RefillStatus),
    )
    listing.add_argument("--account", metavar="NAME", help="only this account's refills")
    page_options(listing, "refill", "the page after this refill")
    listing.set_defaults(run=show_refill_list)


def console() -> Console:
    # Not a terminal (a pipe, a file): wide enough that rows are not wrapped into columns.
    return Console(width=None if sys.stdout.isatty() else 200, highlight=False)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Table:
    drawn = Table(title=title, title_justify="left")
    for name in columns:
        numeric = name in {"order", "refill", "service", "charge", "quantity", "remains"}
        drawn.add_column(name, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        drawn.add_row(*(str(value) for value in row))
    return drawn


def doubt_cells(sent: ForwardLine | None) -> tuple[str, str]:
    if sent is None:
        return "-", "-"
    return f"{sent.upstream} (attempt {sent.attempts})", sent.doubt


def forward_json(sent: ForwardLine) -> dict[str, object]:
    return {
        "upstream": sent.upstream,
        "upstream_service": sent.upstream_service,
        "state": sent.state or "waiting",
        "upstream_order": sent.upstream_order or None,
        "attempts": sent.attempts,
        "doubt": sent.doubt,
        "upstream_cost": None if sent.cost is None else wire(sent.cost),
        "upstream_currency": sent.currency,
        "since": sent.changed_at,
    }


def order_json(line: OrderLine, sent: ForwardLine | None = None) -> dict[str, object]:
    extra: dict[str, object] = {} if sent is None else {"forward": forward_json(sent)}
    return extra | {
        "order": line.number,
        "account": line.account,
        "service": line.service,
        "status": line.status,
        "link": line.link,
        "charge": wire(line.charge),
        "quantity": line.quantity,
        "remains": line.remains,
        "start_count": line.start_count,
        "currency": line.currency,
        "placed_at": line.placed_at,
    }


def next_page_hint(argv_flags: list[str], page: Page) -> str | None:
    if page.next_before is None:
        return None
    return shlex.join([*argv_flags, "--before", str(page.next_before)])


def order_flags(args: argparse.Namespace) -> list[str]:
    """The command as given, without its page cursor: the next page's command."""
    flags = ["orderledger", "orders", "list"]
    for status in args.status:
        flags += ["--status", status]
    for flag, value in (("--account", args.account), ("--service", args.service)):
        if value is not None:
            flags += [flag, str(value)]
    if args.link is not None:
        flags += ["--link", args.link]
    if args.since is not None:
        flags += ["--since", args.since.isoformat()]
    if args.until is not None:
        flags += ["--until", args.until.isoformat()]
    if args.in_doubt:
        flags.append("--in-doubt")
    if args.limit != 50:
        flags += ["--limit", str(args.limit)]
    return flags


def show_order_list(args: argparse.Namespace) -> int:
    wanted = OrderFilter(
        statuses=args.status,
        account=args.account,
        service=args.service,
        link=args.link,
        since=args.since,
        until=args.until,
        before=args.before,
        limit=args.limit,
        in_doubt=args.in_doubt,
    )
    with opened_store() as store:
        catch_up(store)
        try:
            page = list_orders(store.db, wanted)
        except ListingRefused as error:
            raise CommandFailed(str(error)) from error
        sent = forwards_of(store.db, [o.number for o in page.rows]) if args.in_doubt else {}
    if args.json:
        orders = [order_json(o, sent.get(o.number)) for o in page.rows]
        print(json.dumps({"orders": orders, "next_before": page.next_before}))
        return 0
    columns: tuple[str, ...] = ("order", "account", "service", "status", "charge", "remains")
    columns += ("upstream", "why") if args.in_doubt else ("link", "placed")
    rows = (
        (
            o.number,
            o.account,
            o.service,
            o.status,
            f"{wire(o.charge)} {o.currency}",
            f"{o.remains}/{o.quantity}",
            *(doubt_cells(sent.get(o.number)) if args.in_doubt else (o.link, o.placed_at)),
        )
        for o in page.rows
    )
    out = console()
    out.print(table(f"{len(page.rows)} order(s)", columns, rows))
    hint = next_page_hint(order_flags(args), page)
    if hint:
        out.print(f"next page: {hint}", soft_wrap=True)
    return 0


def show_order(args: argparse.Namespace) -> int:
    with opened_store() as store:
        catch_up(store)
        try:
            history = order_history(store.ledger, args.order)
        except OrderNotFound as error:
            raise CommandFailed(str(error)) from error
        line = order_by_number(store.db, args.order)
        sent = forward_of(store.db, args.order)
    if args.json:
        document = {
            "order": order_json(line, sent) if line else None,
            "history": [json.loads(line) for line in json_lines(replace(history, money=None))],
            "money": money_json(history.money) if history.money else None,
        }
        print(json.dumps(document))
        return 0
    out = console()
    if line is not None:
        o = line
        out.print(
            table(
                f"order {o.number}",
                ("field", "value"),
                [
                    ("account", o.account),
                    ("service", o.service),
                    ("status", o.status),
                    ("charge", f"{wire(o.charge)} {o.currency}"),
                    ("quantity", o.quantity),
                    ("remains", o.remains),
                    ("start count", o.start_count),
                    ("link", o.link),
                    ("placed", o.placed_at),
                    *forward_fields(sent),
                ],
            )
        )
    if history.money is not None:
        out.print(money_text(history.money))
    rows = (
        (
            e.time.isoformat(),
            f"{e.aggregate} v{e.version}",
            e.event,
            " ".join(f"{k}={json.dumps(v)}" for k, v in e.facts.items()),
            e.who or "(unknown)",
            state_text(e.state),
        )
        for e in history.entries
    )
    out.print(table("history", ("time", "aggregate", "event", "facts", "by", "state after"), rows))
    return 0


def forward_fields(sent: ForwardLine | None) -> list[tuple[str, object]]:
    """An order sent to an upstream: where it stands there (what the console shows too)."""
    if sent is None:
        return []
    fields: list[tuple[str, object]] = [
        ("upstream", f"{sent.upstream} (its service {sent.upstream_service})"),
        ("forwarding", f"{sent.state or 'waiting to be sent'}, attempt {sent.attempts}"),
        ("upstream order", sent.upstream_order or "-"),
    ]
    if sent.doubt:
        fields.append(("in doubt", sent.doubt))
    if sent.cost is not None:
        fields.append(("upstream cost", f"{wire(sent.cost)} {sent.currency}"))
    return fields


def refill_flags(args: argparse.Namespace) -> list[str]:
    flags = ["orderledger", "refills", "list"]
    for status in args.status:
        flags += ["--status", status]
    if args.account is not None:
        flags += ["--account", args.account]
    if args.limit != 50:
        flags += ["--limit", str(args.limit)]
    return flags


def show_refill_list(args: argparse.Namespace) -> int:
    with opened_store() as store:
        catch_up(store)
        try:
            page = list_refills(store.db, args.status, args.account, args.before, args.limit)
        except ListingRefused as error:
            raise CommandFailed(str(error)) from error
    if args.json:
        refills = [refill_json(r) for r in page.rows]
        print(json.dumps({"refills": refills, "next_before": page.next_before}))
        return 0
    out = console()
    rows = ((r.number, r.order, r.account, r.status) for r in page.rows)
    out.print(table(f"{len(page.rows)} refill(s)", ("refill", "order", "account", "status"), rows))
    hint = next_page_hint(refill_flags(args), page)
    if hint:
        out.print(f"next page: {hint}", soft_wrap=True)
    return 0


def refill_json(line: RefillLine) -> dict[str, object]:
    return {
        "refill": line.number,
        "order": line.order,
        "account": line.account,
        "status": line.status,
    }


def account_json(row: AccountBalanceRow) -> dict[str, object]:
    return {
        "account": row.name,
        "currency": row.currency,
        "billing": row.billing,
        "balance": wire(row.balance),
        "credit": wire(row.credit),
        "deposits": wire(row.deposits),
        "charges": wire(row.charges),
        "refunds": wire(row.refunds),
        "adjustments": wire(row.adjustments),
    }


def show_account_list(args: argparse.Namespace) -> int:
    with opened_store() as store:
        catch_up(store)
        accounts = list_accounts(store.db)
    if args.json:
        print(json.dumps({"accounts": [account_json(a) for a in accounts]}))
        return 0
    columns = ("account", "billing", "balance", "deposits", "charges", "refunds", "adjustments")
    rows = (
        (
            a.name,
            a.billing,
            f"{wire(a.balance)} {a.currency}",
            wire(a.deposits),
            wire(a.charges),
            wire(a.refunds),
            wire(a.adjustments),
        )
        for a in accounts
    )
    console().print(table(f"{len(accounts)} account(s)", columns, rows))
    return 0
