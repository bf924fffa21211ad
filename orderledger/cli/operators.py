"""`orderledger operators`: bearer tokens for delivery bots and staff."""

from __future__ import annotations

import argparse

from orderledger.cli.common import issue_token
from orderledger.cli.tokens import register_token_commands
from orderledger.storage.credentials import Role


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("operators", help="tokens for delivery bots and staff")
    actions = parser.add_subparsers(dest="operators_action", required=True)
    create = actions.add_parser(
        "create",
        help="issue an operator token for /dispatch (shown once)",
        description="Issue a bearer token for the fulfilment API under NAME, the name claims are "
        "recorded with. The token is printed alone on the last line and stored only as a hash; "
        "run it again for another token (the earlier ones keep working).",
    )
    create.add_argument("name", help="the bot's or person's name, recorded with each claim")
    create.set_defaults(run=create_operator)
    register_token_commands(actions, Role.OPERATOR, "operator")


def create_operator(args: argparse.Namespace) -> int:
    return issue_token(
        Role.OPERATOR, args.name, "send 'Authorization: Bearer <token>' to /dispatch"
    )
