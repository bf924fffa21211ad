"""`orderledger auditors`: tokens that may read histories over HTTP, and nothing else."""

from __future__ import annotations

import argparse

from orderledger.cli.common import issue_token
from orderledger.cli.tokens import register_token_commands
from orderledger.storage.credentials import Role


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("auditors", help="read-only access to the history over HTTP")
    actions = parser.add_subparsers(dest="auditors_action", required=True)
    create = actions.add_parser(
        "create",
        help="issue an auditor token (shown once)",
        description="Issue a bearer token for GET /audit/...: read-only, no API key rights. "
        "The token is printed alone on the last line and stored only as a hash.",
    )
    create.add_argument("name", help="who the token is for")
    create.set_defaults(run=create_auditor)
    register_token_commands(actions, Role.AUDITOR, "auditor")


def create_auditor(args: argparse.Namespace) -> int:
    return issue_token(
        Role.AUDITOR, args.name, "send it as `Authorization: Bearer TOKEN` to /audit/..."
    )
