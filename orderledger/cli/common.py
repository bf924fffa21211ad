"""What every command needs: the settings checked, a store opened from the environment, and
clean failures."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

from orderledger.bootstrap import Store, backend_for
from orderledger.domain.errors import (
    LedgerError,
    UnknownAccount,
    UnknownOrder,
    UnknownRefill,
    UnknownService,
    UnknownUpstream,
)
from orderledger.domain.money import InvalidAmount, typed_amount
from orderledger.projections.runner import ConcurrentProjection
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings, SettingsError
from orderledger.views.account_statement import AccountNotFound
from orderledger.views.order_history import OrderNotFound


class CommandFailed(Exception):
    """A readable reason the command could not be carried out (exit status 1)."""


class NotFound(CommandFailed):
    """Something the command looked for is not in the store: raised inside `opened_store`,
    the message gets the store's location (`no operator bob in embedded SQLite in /srv/var`),
    so a command run against the wrong store says which one it read."""


# What a command may look for and not find in the store (see opened_store).
NOT_FOUND = (
    NotFound,
    UnknownAccount,
    UnknownOrder,
    UnknownRefill,
    UnknownService,
    UnknownUpstream,
    OrderNotFound,
    AccountNotFound,
)

# The ledger names only the number (the HTTP layer maps the class to the protocol's text).
UNKNOWN = {
    UnknownOrder: "no order {}",
    UnknownRefill: "no refill {}",
    UnknownService: "no service {}",
}


def refusal(error: Exception) -> str:
    for cls, text in UNKNOWN.items():
        if isinstance(error, cls):
            return text.format(error)
    return str(error)


def configured_settings() -> Settings:
    """Every setting from the environment, or the one that is wrong, in one line."""
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise CommandFailed(str(error)) from None


def no_store(settings: Settings) -> CommandFailed:
    """The refusal of a command that needs a store where there is none, naming where it looked."""
    return CommandFailed(
        f"no store in {settings.describe()}: check {settings.where_to_look()}; "
        "`orderledger serve` (or accounts create, services import) makes a new one"
    )


@contextmanager
def opened_store(*, create: bool = False) -> Iterator[Store]:
    """The configured store, opened for the command. Where there is none yet, only a command
    that sets a deployment up (`create`: accounts create, services import, operators create,
    auditors create; serve makes its own) makes one, and says so on stderr; every other
    command refuses, naming where it looked, so one run from the wrong folder (or with the
    wrong URL) never reads or writes an empty store of its own. What the command does not find
    in the store (NOT_FOUND) is named with the store's location."""
    settings = configured_settings()
    try:
        backend = backend_for(settings)
        existed = backend.store_exists()
        if not existed and not create:
            raise no_store(settings)
        store = Store.open(settings, backend=backend)
    except SettingsError as error:
        raise CommandFailed(str(error)) from error
    if not existed:
        print(f"made a new store: {settings.describe()}", file=sys.stderr)
    try:
        yield store
    except NOT_FOUND as error:
        raise CommandFailed(f"{refusal(error)} in {settings.describe()}") from error
    finally:
        store.close()


def amount(text: str, *, positive: bool = True, signed: bool = False) -> Decimal:
    """An amount typed by the operator (`money.typed_amount`), or the command's refusal."""
    try:
        return typed_amount(text, positive=positive, signed=signed)
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
    with opened_store(create=True) as store:
        token = store.credentials.issue(role, name, name)
    print(f"{role.value} {name}: {usage}")
    print("token (shown once, stored only as a hash):")
    print(token)
    return 0
