"""`orderledger upstreams`: the other providers that fulfil some of our services.

An upstream's API key is read from a file (or standard input), kept in the store's
upstream-keys table (storage/upstream_keys.py) and nowhere else: never printed, logged, put
in an event or in an error message.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from orderledger.bootstrap import Store
from orderledger.cli.common import CommandFailed, catch_up, opened_store
from orderledger.cli.statement import add_statement_options, print_statement_lines
from orderledger.domain.catalogue import CatalogueEntry
from orderledger.domain.money import plain
from orderledger.domain.upstream import check_upstream_name, check_upstream_url
from orderledger.upstream.client import UpstreamClient
from orderledger.upstream.errors import KeyRefused, UpstreamError
from orderledger.views.upstream_statement import (
    COLUMNS,
    upstream_statement,
    upstream_statement_rows,
)
from orderledger.views.upstreams import UpstreamRow, upstreams_overview

T = TypeVar("T")
CHECK_TIMEOUT = 15.0  # seconds `add` waits for the upstream's balance before adding anyway


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "upstreams", help="other providers that fulfil some of our services"
    )
    actions = parser.add_subparsers(dest="upstreams_action", required=True)

    add = actions.add_parser(
        "add",
        help="add an upstream provider, its API key read from a file",
        description="Asks the upstream for its balance with the key first: a key it refuses "
        "is refused here, and nothing is recorded. The key is kept in the store, never shown. "
        "A key file others may read is refused (chmod 600 it, or give --key-file - and the "
        "key on standard input). An upstream that exists already is changed only with "
        "--replace: its key replaced, and its URL moved if --url differs.",
    )
    add.add_argument("name", help="1-64 letters, digits, '.', '_' or '-'")
    add.add_argument("--url", required=True, help="its API v2 endpoint, http(s)://host/api/v2")
    add.add_argument(
        "--key-file", required=True, help="a file holding the key alone ('-': standard input)"
    )
    add.add_argument(
        "--replace", action="store_true", help="an existing upstream: new key, and new URL"
    )
    add.set_defaults(run=add_upstream)

    listing = actions.add_parser(
        "list", help="every upstream: its URL, whether it has funds for us, services linked"
    )
    listing.add_argument("--json", action="store_true", help="one JSON object")
    listing.set_defaults(run=list_upstreams)

    balance = actions.add_parser("balance", help="ask the upstream for our balance there")
    balance.add_argument("name")
    balance.set_defaults(run=show_balance)

    services = actions.add_parser(
        "services",
        help="the upstream's catalogue, as its `services` answer gives it",
        description="Entries it answers that cannot be read are named on standard error.",
    )
    services.add_argument("name")
    services.add_argument(
        "--json", action="store_true", help="a JSON array in the shape of the `services` answer"
    )
    services.set_defaults(run=show_services)

    statement = actions.add_parser(
        "statement",
        help="what the upstream charged for our orders, and refunded, with the running total",
        description="Read from the orders' events: each report of what the upstream charges "
        "for an order is one line, a charge or (lower than before) a refund of the difference. "
        "The total is what the orders forwarded to it cost now.",
    )
    statement.add_argument("name")
    add_statement_options(statement)
    statement.set_defaults(run=print_upstream_statement)


# ---- the key ------------------------------------------------------------------------------


def read_key(source: str) -> str:
    """The key alone, from a file only its owner may read, or from standard input ('-')."""
    if source == "-":
        text = sys.stdin.read()
    else:
        path = Path(source)
        try:
            mode = path.stat().st_mode
            if os.name == "posix" and mode & 0o077:
                raise CommandFailed(
                    f"the key file {source} may be read by other users (mode "
                    f"{mode & 0o777:o}): `chmod 600 {source}` first, or give --key-file - and "
                    "the key on standard input"
                )
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            raise CommandFailed(f"cannot read the key file {source}: {reason}") from None
    key = text.strip()
    if not key:
        raise CommandFailed(f"the key file {source} is empty")
    if any(character.isspace() for character in key):
        raise CommandFailed(f"the key file {source} should hold the key alone, on one line")
    return key


# ---- asking the upstream ------------------------------------------------------------------


@contextmanager
def upstream_client(store: Store, name: str, timeout: float = 30.0) -> Iterator[UpstreamClient]:
    upstream = store.ledger.known_upstream(name)
    key = store.upstream_keys.get(name)
    if key is None:
        raise CommandFailed(
            f"no key is kept for upstream {name}: `upstreams add {name} --url {upstream.url} "
            "--key-file FILE --replace`"
        )
    with UpstreamClient(upstream.url, key, timeout=timeout) as client:
        yield client


def asked(name: str, call: Callable[[], T]) -> T:
    """The upstream's answer, or its failure in one line (the client keeps the key out)."""
    try:
        return call()
    except UpstreamError as error:
        raise CommandFailed(f"upstream {name}: {error.reason}") from None


# ---- the commands -------------------------------------------------------------------------


def add_upstream(args: argparse.Namespace) -> int:
    name = check_upstream_name(args.name)
    url = check_upstream_url(args.url)
    key = read_key(args.key_file)
    with opened_store(create=True) as store:
        existing = store.ledger.upstream(name)
        if existing is not None and not args.replace:
            raise CommandFailed(
                f"upstream {name} already exists (at {existing.url}); add --replace to give it "
                "this key" + (" and URL" if url != existing.url else "")
            )
        balance = checked_balance(name, url, key)
        store.upstream_keys.put(name, key)  # first: every upstream recorded has a key
        for made in store.backend.keep_private(store.db):
            print(made, file=sys.stderr)
        if existing is None:
            store.ledger.add_upstream(name, url)
        else:
            store.ledger.move_upstream(name, url)
    done = "added" if existing is None else "key replaced"
    if existing is not None and existing.url != url:
        done += f", moved from {existing.url}"
    print(f"upstream {name} {done}: {url}")
    if balance is not None:
        print(f"balance there: {balance}")
    return 0


def checked_balance(name: str, url: str, key: str) -> str | None:
    """Our balance at the upstream with this key; a key it refuses is refused here. An
    upstream that does not answer now is added anyway (said on standard error)."""
    try:
        with UpstreamClient(url, key, timeout=CHECK_TIMEOUT) as client:
            answer = client.balance()
    except KeyRefused as error:
        raise CommandFailed(
            f"upstream {name} refused the key ({error.reason}); nothing recorded"
        ) from None
    except UpstreamError as error:
        print(
            f"warning: could not ask {name} for its balance ({error.reason}); added anyway, "
            f"`orderledger upstreams balance {name}` asks again",
            file=sys.stderr,
        )
        return None
    return f"{answer.amount:f} {answer.currency}".strip()


def list_upstreams(args: argparse.Namespace) -> int:
    with opened_store() as store:
        catch_up(store)
        rows = upstreams_overview(store.ledger, store.db, store.upstream_keys.names())
    if args.json:
        print(json.dumps({"upstreams": [row.plain() for row in rows]}))
        return 0
    for row in rows:
        print(f"{row.name:<20} {row.url}")
        print(f"{'':<20} funds {funds_text(row)}, {row.services_linked} service(s) linked")
    print(f"{len(rows)} upstream(s)")
    return 0


def funds_text(row: UpstreamRow) -> str:
    if not row.funds_short:
        return "ok"
    until = f", orders held until {row.retry_at.isoformat()}" if row.retry_at else ""
    return f"SHORT ({row.short_reason}){until}"


def show_balance(args: argparse.Namespace) -> int:
    with opened_store() as store, upstream_client(store, args.name) as client:
        answer = asked(args.name, client.balance)
    print(f"{args.name}: {answer.amount:f} {answer.currency}".rstrip())
    return 0


def show_services(args: argparse.Namespace) -> int:
    with opened_store() as store, upstream_client(store, args.name) as client:
        offered = asked(args.name, client.services)
    for service, reason in offered.skipped:
        print(f"skipped {args.name}'s service {service}: {reason}", file=sys.stderr)
    if args.json:
        print(json.dumps([answer_of(entry) for entry in offered.entries]))
        return 0
    for entry in offered.entries:
        print(service_line(entry))
    print(f"{len(offered.entries)} services at {args.name}")
    return 0


def answer_of(entry: CatalogueEntry) -> dict[str, object]:
    """An entry in the shape of the protocol's `services` answer."""
    return {
        "service": entry.number,
        "name": entry.name,
        "type": entry.type,
        "category": entry.category,
        "rate": plain(entry.rate),
        "min": str(entry.min),
        "max": str(entry.max),
        "dripfeed": entry.dripfeed,
        "refill": entry.refill,
        "cancel": entry.cancel,
        "description": entry.description,
    }


def service_line(entry: CatalogueEntry) -> str:
    flags = "".join(
        letter if on else "-"
        for letter, on in (("D", entry.dripfeed), ("R", entry.refill), ("C", entry.cancel))
    )
    return (
        f"{entry.number:>7}  {entry.type:<24} {plain(entry.rate):>10}  "
        f"{entry.min:>7}-{entry.max:<9} {flags}  {entry.name}  [{entry.category}]"
    )


def print_upstream_statement(args: argparse.Namespace) -> int:
    with opened_store() as store:
        store.ledger.known_upstream(args.name)
        statement = upstream_statement(store.ledger, args.name, args.start, args.end)
    rows = upstream_statement_rows(statement, args.start, args.end)
    print_statement_lines(rows, COLUMNS, args.format)
    return 0
