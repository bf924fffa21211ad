"""What every command needs: a store opened from the environment, and clean failures."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

from orderledger.bootstrap import Store
from orderledger.domain.errors import LedgerError, UnknownOrder, UnknownRefill, UnknownService
from orderledger.domain.money import InvalidAmount, checked_amount, parse_amount
from orderledger.projections.runner import ConcurrentProjection
from orderledger.storage.credentials import Role
from orderledger.storage.settings import SettingsError


class CommandFailed(Exception):
    """A readable reason the command could not be carried out (exit status 1)."""


# The ledger names only the number (the HTTP layer maps the class to the protocol's text).
UNKNOWN = {
    UnknownOrder: "no order {}",
    UnknownRefill: "no refill {}",
    UnknownService: "no service {}",
}


def refusal(error: LedgerError) -> str:
    for cls, text in UNKNOWN.items():
        if isinstance(error, cls):
            return text.format(error)
    return str(error)


@contextmanager
def opened_store() -> Iterator[Store]:
    try:
        store = Store.open()
    except SettingsError as error:
        raise CommandFailed(str(error)) from error
    try:
        yield store
    finally:
        store.close()


def amount(text: str, *, positive: bool = True, signed: bool = False) -> Decimal:
    """An amount typed by the operator: a decimal number within the ledger's bound, with five
    places at most (the ledger refuses what it would have to round). `signed`: either sign,
    but not zero (a correction)."""
    try:
        value = parse_amount(text)
    except InvalidAmount as error:
        raise CommandFailed(str(error)) from error
    if signed:
        if value == 0:
            raise CommandFailed(f"amount must not be zero, not {text}")
    elif positive and value <= 0:
        raise CommandFailed(f"amount must be positive, not {text}")
    elif value < 0:
        raise CommandFailed(f"amount must not be negative, not {text}")
    try:
        return checked_amount(value)
    except InvalidAmount as error:
        raise CommandFailed(str(error)) from error


def catch_up(store: Store) -> None:
    """Bring the read models up to date before reading them (safe beside a running server)."""
    projector = store.projector()
    while True:
        try:
            projector.catch_up()
            return
        except ConcurrentProjection:
            continue


def run_safely(command: Callable[[], int | None]) -> int:
    try:
        return command() or 0
    except CommandFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except LedgerError as error:
        print(f"error: {refusal(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "interrupted; what was recorded so far is kept, run it again to resume", file=sys.stderr
        )
        return 130


def issue_token(role: Role, raw_name: str, usage: str) -> int:
    """Issue a bearer token for `role`, printed alone on the last line (stored hashed)."""
    name = raw_name.strip()
    if not name:
        raise CommandFailed(f"the {role.value} needs a name")
    with opened_store() as store:
        token = store.credentials.issue(role, name, name)
    print(f"{role.value} {name}: {usage}")
    print("token (shown once, stored only as a hash):")
    print(token)
    return 0
