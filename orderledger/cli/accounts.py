"""`orderledger accounts`: create accounts, take deposits, show where an account stands."""

from __future__ import annotations

import argparse
import re
import sys

from orderledger.application.access import NotRecorded, new_api_key
from orderledger.cli.common import CommandFailed, amount, opened_store
from orderledger.cli.listing import show_account_list
from orderledger.cli.statement import register_statement
from orderledger.domain.account import Account, Billing
from orderledger.domain.claims import STAFF
from orderledger.domain.money import MAX_AMOUNT, ZERO, wire
from orderledger.storage.credentials import Role

CURRENCY = re.compile(r"^[A-Z]{3}$")
AMOUNT_RULE = f"below {MAX_AMOUNT:f}, five decimal places at most"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("accounts", help="the network's accounts")
    actions = parser.add_subparsers(dest="accounts_action", required=True)

    create = actions.add_parser(
        "create",
        help="open an account and print its API key (shown once)",
        description="Open an account. Prepaid with a zero balance unless told otherwise. "
        "The API key is printed alone on the last line and stored only as a hash.",
    )
    create.add_argument("name")
    create.add_argument("--currency", default="USD", help="ISO code (default USD)")
    billing = create.add_mutually_exclusive_group()
    billing.add_argument("--prepaid", action="store_true", help="refuse orders it cannot pay")
    billing.add_argument(
        "--postpaid", action="store_true", help="show a fixed balance, invoice later"
    )
    create.add_argument(
        "--balance", help=f"the fixed figure a postpaid account shows ({AMOUNT_RULE})"
    )
    create.set_defaults(run=create_account)

    deposit = actions.add_parser(
        "deposit",
        help="add funds to an account",
        description="Record a deposit, with an optional note (a payment's reference, say) "
        "that the account's statement shows.",
    )
    deposit.add_argument("name")
    deposit.add_argument("amount", help=f"a positive amount ({AMOUNT_RULE})")
    deposit.add_argument("--note", default="", help="kept with the deposit")
    deposit.set_defaults(run=deposit_funds)

    adjust = actions.add_parser(
        "adjust",
        help="correct an account's balance by a signed amount, with a note",
        description="Record a signed correction of the balance (an over-credit taken back, a "
        "goodwill credit): an event of its own, shown in the statement with its note. A "
        "negative adjustment may take a prepaid balance below zero: `balance` then answers "
        "the negative figure and every order is refused until the account is funded again.",
    )
    adjust.add_argument("name")
    adjust.add_argument(
        "amount", help=f"a signed amount, not zero ({AMOUNT_RULE}); e.g. -12.5 or 3"
    )
    adjust.add_argument("--note", required=True, help="why (kept with the adjustment)")
    adjust.set_defaults(run=adjust_balance)

    listing = actions.add_parser(
        "list",
        help="every account with its balance (read-only)",
        description="Every account from the account-balance read model, by name: billing, "
        "currency, balance and totals. Read-only.",
    )
    listing.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    listing.set_defaults(run=show_account_list)

    show = actions.add_parser("show", help="an account's balance and totals")
    show.add_argument("name")
    show.set_defaults(run=show_account)

    key = actions.add_parser(
        "new-key", help="revoke an account's API keys and print a new one (shown once)"
    )
    key.add_argument("name")
    key.set_defaults(run=new_key)

    register_statement(actions)


def describe(account: Account) -> list[str]:
    lines = [
        f"account   {account.name}",
        f"id        {account.id}",
        f"currency  {account.currency}",
        f"billing   {account.billing.value}",
    ]
    if account.billing is Billing.POSTPAID:
        lines += [f"shown     {wire(account.credit)}", f"owed      {wire(account.owed)}"]
    lines += [
        f"balance   {wire(account.balance)}",
        f"deposits  {wire(account.deposits)}",
        f"charges   {wire(account.charges)}",
        f"refunds   {wire(account.refunds)}",
    ]
    if account.adjustments:
        lines.append(f"adjusted  {wire(account.adjustments)}")
    return lines


def create_account(args: argparse.Namespace) -> int:
    currency = args.currency.strip().upper()
    if not CURRENCY.match(currency):
        raise CommandFailed(f"currency must be a three-letter code, not {args.currency!r}")
    if args.balance is not None and not args.postpaid:
        raise CommandFailed("--balance goes with --postpaid (a prepaid account takes deposits)")
    if args.postpaid and args.balance is None:
        raise CommandFailed("--postpaid needs --balance AMOUNT, the figure the network sees")
    billing = Billing.POSTPAID if args.postpaid else Billing.PREPAID
    credit = amount(args.balance, positive=False) if args.postpaid else ZERO
    if not args.name.strip():
        raise CommandFailed("the account needs a name")
    with opened_store(create=True) as store:
        account = store.ledger.open_account(args.name, currency, billing, credit)
        print("\n".join(describe(account)))
        try:
            key = store.credentials.issue(Role.API, str(account.id), account.name)
        except Exception as error:
            # The account is recorded; running `create` again would only say it exists.
            raise CommandFailed(
                f"account {account.name!r} was created, but its API key was not issued "
                f"({error}): run `orderledger accounts new-key {account.name}`"
            ) from error
    print("API key (shown once, stored only as a hash):")
    print(key)
    return 0


def deposit_funds(args: argparse.Namespace) -> int:
    value = amount(args.amount)
    with opened_store() as store:
        account = store.ledger.deposit(args.name, value, args.note.strip(), by=STAFF.name)
    print("\n".join(describe(account)))
    return 0


def adjust_balance(args: argparse.Namespace) -> int:
    value = amount(args.amount, signed=True)
    if not args.note.strip():
        raise CommandFailed("--note must say why the balance is adjusted")
    with opened_store() as store:
        account = store.ledger.adjust(args.name, value, args.note, by=STAFF.name)
    print("\n".join(describe(account)))
    return 0


def show_account(args: argparse.Namespace) -> int:
    with opened_store() as store:
        account = store.ledger.account(args.name)
    print("\n".join(describe(account)))
    return 0


def new_key(args: argparse.Namespace) -> int:
    with opened_store() as store:
        try:
            issued = new_api_key(store.ledger, store.credentials, args.name, by=STAFF.name)
        except NotRecorded as error:
            # The key works: it must still be shown, once, or it is lost.
            print(f"warning: {error}", file=sys.stderr)
            print("the new API key (shown once):")
            print(error.key)
            return 1
    print(f"revoked {issued.revoked} key(s) of {issued.account}; the new API key (shown once):")
    print(issued.key)
    return 0
