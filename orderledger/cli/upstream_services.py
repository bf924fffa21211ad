"""`orderledger services import --from-upstream`, `services link` and `services unlink`: the
services an upstream provider fulfils (the `services` group registers them)."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal

from eventsourcing.persistence import IntegrityError

from orderledger.cli.catalogue_import import carry_out, current_catalogue, go_ahead
from orderledger.cli.common import CommandFailed, opened_store
from orderledger.cli.upstreams import asked, upstream_client
from orderledger.domain.errors import CatalogueChanged
from orderledger.domain.money import InvalidAmount, parse_amount, within_bound
from orderledger.domain.upstream_catalogue import Selection, plan_upstream_import


def import_from_upstream(args: argparse.Namespace) -> int:
    name = args.from_upstream
    if args.file is not None:
        raise CommandFailed("give a catalogue FILE or --from-upstream NAME, not both")
    if args.markup is None:
        raise CommandFailed("--from-upstream needs --markup PERCENT (0 for the upstream's rates)")
    markup = percent(args.markup)
    selection = Selection(frozenset(args.service or ()), args.category)
    with opened_store() as store, upstream_client(store, name) as client:
        offered = asked(name, client.services)
        for service, reason in offered.skipped:
            print(f"skipped {name}'s service {service}: {reason}", file=sys.stderr)
        unreadable = [int(s) for s, _ in offered.skipped if s.isascii() and s.isdigit()]
        planned = plan_upstream_import(
            name, offered.entries, current_catalogue(store.ledger), markup, selection, unreadable
        )
        for number in planned.not_offered:
            print(f"warning: {name} does not offer service {number}", file=sys.stderr)
        plan = planned.plan
        header = (
            f"upstream {name}: {len(offered.entries)} services, "
            f"{len(plan.added) + len(plan.changed) + len(plan.enabled) + len(plan.disabled)} "
            f"to touch; {plan.listed} services here are linked to it, "
            f"{plan.enabled_now} of them enabled"
        )
        notes = {local: f"(its {there})" for local, there in planned.links.items()}
        if not go_ahead(args, plan, header, notes):
            return 0
        links = {local: (name, there) for local, there in planned.links.items()}
        try:
            recorded, disabled = carry_out(store.ledger, plan, links)
        except IntegrityError:  # a number chosen here listed by another import meanwhile
            raise CatalogueChanged(
                "another import listed services meanwhile; run this one again (what it "
                "recorded is kept, and found by its links)"
            ) from None
    print(
        f"{len(offered.entries)} services at {name}: {recorded} change(s) recorded, "
        f"{disabled} service(s) it no longer offers disabled"
    )
    return 0


def percent(text: str) -> Decimal:
    try:
        value = within_bound(parse_amount(text), "markup")
    except InvalidAmount as error:
        raise CommandFailed(str(error)) from error
    if value < 0:
        raise CommandFailed(f"markup must not be negative, not {text}")
    return value


def link_service(args: argparse.Namespace) -> int:
    name, there = args.upstream, args.service
    with opened_store() as store:
        service = store.ledger.known_service(args.local_id)
        with upstream_client(store, name) as client:
            offered = asked(name, client.services)
        theirs = next((e for e in offered.entries if e.number == there), None)
        if theirs is None:
            unreadable = next((r for s, r in offered.skipped if s == str(there)), None)
            said = f" (its entry cannot be read: {unreadable})" if unreadable else ""
            raise CommandFailed(f"upstream {name} does not offer service {there}{said}")
        if theirs.type != service.type:
            print(
                f"warning: service {service.number} is {service.type}, {name}'s {there} is "
                f"{theirs.type}: its orders are sent with the fields of {service.type}",
                file=sys.stderr,
            )
        before = (service.upstream, service.upstream_service)
        store.ledger.link_service(service.number, name, there)
    if before == (name, there):
        print(f"service {service.number} is already fulfilled by {name}'s service {there}")
    else:
        print(
            f"service {service.number} ({service.name}) is now fulfilled by {name}'s service "
            f"{there} ({theirs.name})" + (f", no longer by {before[0]}" if before[0] else "")
        )
    return 0


def unlink_service(args: argparse.Namespace) -> int:
    with opened_store() as store:
        before = store.ledger.known_service(args.local_id).upstream
        store.ledger.unlink_service(args.local_id)
    if before is None:
        print(f"service {args.local_id} was not linked to an upstream")
    else:
        print(f"service {args.local_id} is no longer fulfilled by {before}: the bots take it")
    return 0
