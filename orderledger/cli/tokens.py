"""`operators list|revoke` and `auditors list|revoke`: who holds bearer tokens, and taking
them away.

A list shows names, how many tokens each holds and when they were issued: never a token or
its hash. A revocation deletes the name's credentials (every worker looks a token up afresh
on each request, so the next request with one is refused, whichever worker takes it), then
records an event `TokenHolder.Revoked` in the log, so the history says who lost access when.
"""

from __future__ import annotations

import argparse
import json
from typing import TypeAlias

from orderledger.application import access
from orderledger.cli.common import CommandFailed, opened_store
from orderledger.cli.listing import console, table
from orderledger.domain.claims import STAFF
from orderledger.storage.credentials import Role

Actions: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register_token_commands(actions: Actions, role: Role, who: str) -> None:
    listing = actions.add_parser(
        "list",
        help=f"every {who} holding tokens (names only, never a token)",
        description=f"Each {who}'s name, how many tokens it holds and when they were issued. "
        "Tokens are stored only as hashes and never shown.",
    )
    listing.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    listing.set_defaults(run=lambda args: list_holders(args, role))
    revoke = actions.add_parser(
        "revoke",
        help=f"revoke every token of a {who} (refused at once by every worker)",
        description=f"Delete every token issued under NAME as {who}; the next request with "
        "any of them is refused with 401 by every worker of every server. The revocation is "
        "recorded as an event.",
    )
    revoke.add_argument("name")
    revoke.set_defaults(run=lambda args: revoke_holder(args, role))


def list_holders(args: argparse.Namespace, role: Role) -> int:
    with opened_store() as store:
        holders = store.credentials.holders(role)
    if args.json:
        plain = [
            {
                "name": h.name,
                "tokens": h.tokens,
                "first_issued": h.first_issued,
                "last_issued": h.last_issued,
            }
            for h in holders
        ]
        print(json.dumps({f"{role.value}s": plain}))
        return 0
    rows = ((h.name, h.tokens, h.first_issued, h.last_issued) for h in holders)
    columns = ("name", "tokens", "first issued", "last issued")
    console().print(table(f"{len(holders)} {role.value}(s)", columns, rows))
    return 0


def revoke_holder(args: argparse.Namespace, role: Role) -> int:
    name = args.name.strip()
    with opened_store() as store:
        try:
            revoked = access.revoke_holder(
                store.ledger, store.credentials, role, name, by=STAFF.name
            )
        except (access.NoTokens, access.NotRecorded) as error:
            raise CommandFailed(str(error)) from error
    print(f"revoked {revoked} token(s) of {role.value} {name}; they are refused from now on")
    return 0
