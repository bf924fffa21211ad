"""Taking tokens away and issuing an account a new API key: the credentials first (stored
only as hashes, outside the event log), then the event that is the log's account of it,
naming who did it and never the token. The command line and the console both do it here.

The credentials and the events are two stores, so the two writes cannot be one
transaction. The credentials go first: a revocation must take effect even if the log cannot
be written, and a new key must not be recorded as issued before it exists. When the event
then fails, `NotRecorded` says the change is made but not in the log, and carries what the
caller must still show (the new key, once).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orderledger.application.ledger import Ledger
from orderledger.storage.credentials import Credentials, Role


class NoTokens(LookupError):
    """Nobody of that name holds a token in that role: nothing was revoked."""


class NotRecorded(RuntimeError):
    """The credentials changed, but recording the event failed (the message says which)."""

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key  # a new API key that exists and must still be shown once


@dataclass(frozen=True)
class NewKey:
    account: str
    revoked: int
    key: str = field(repr=False)  # shown once, then forgotten


def revoke_holder(ledger: Ledger, credentials: Credentials, role: Role, name: str, by: str) -> int:
    """Revoke every token of `name` in `role` (refused by every worker from the next
    request on: each looks a token up afresh), then record `TokenHolder.Revoked` by `by`."""
    revoked = credentials.revoke_named(role, name)
    if not revoked:
        raise NoTokens(f"no {role.value} {name!r} holds a token")
    try:
        ledger.record_revocation(role.value, name, revoked, by=by)
    except Exception as error:
        raise NotRecorded(
            f"the {revoked} token(s) of {role.value} {name!r} are revoked (refused from now "
            f"on), but recording the revocation in the log failed: {error}"
        ) from error
    return revoked


def new_api_key(ledger: Ledger, credentials: Credentials, name: str, by: str) -> NewKey:
    """Replace the account's API keys with one new key (one transaction of the
    credentials), then record `Account.ApiKeyIssued` by `by`. UnknownAccount if there is no
    such account (nothing changed)."""
    account = ledger.account(name)
    revoked, key = credentials.replace(Role.API, str(account.id), account.name)
    try:
        ledger.record_key_issued(account.name, revoked, by=by)
    except Exception as error:
        raise NotRecorded(
            f"a new API key of {account.name!r} is issued and its {revoked} earlier key(s) "
            f"revoked, but recording it in the log failed: {error}",
            key=key,
        ) from error
    return NewKey(account.name, revoked, key)
