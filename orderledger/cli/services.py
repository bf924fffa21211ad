"""`orderledger services`: import the catalogue, list it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from eventsourcing.persistence import IntegrityError
from tqdm import tqdm

from orderledger.application.ledger import Ledger
from orderledger.cli.common import CommandFailed, catch_up, opened_store
from orderledger.cli.upstreams import asked, upstream_client
from orderledger.domain.catalogue import (
    CatalogueError,
    ImportPlan,
    Selection,
    plan_import,
    plan_upstream_import,
    read_catalogue,
)
from orderledger.domain.errors import CatalogueChanged
from orderledger.domain.money import InvalidAmount, parse_amount, plain, within_bound
from orderledger.domain.service import Service
from orderledger.views.catalogue import every_service

BATCH = 250
SHOWN_WHEN_ASKING = 10  # services of each kind listed when --yes is needed; --dry-run lists all


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("services", help="the service catalogue")
    actions = parser.add_subparsers(dest="services_action", required=True)
    load = actions.add_parser(
        "import",
        help="import a catalogue file in the shape of the `services` answer, or an upstream's",
        description="Records only what changed: new services, changed fields, services missing "
        "from the file disabled (never deleted). Safe to interrupt and run again. An import "
        "that would disable more than half of the enabled services asks for --yes. With "
        "--from-upstream NAME instead of a file: the upstream's catalogue, each service "
        "imported as a local one linked to it (a new one takes the next free number; one "
        "imported before is found by its link and updated), its rate marked up by --markup "
        "percent (rounded up to 5 places, or the upstream rate's own places where it has "
        "more); the services linked to NAME it no longer offers are disabled. --service and "
        "--category narrow the import (both given: both must hold), and then only what they "
        "select is added, changed or disabled.",
    )
    load.add_argument("file", type=Path, nargs="?", help="the catalogue file")
    load.add_argument(
        "--from-upstream", metavar="NAME", help="import the catalogue of this upstream instead"
    )
    load.add_argument(
        "--markup", metavar="PERCENT", help="with --from-upstream: the rate's markup, e.g. 25"
    )
    load.add_argument(
        "--service",
        type=int,
        action="append",
        metavar="ID",
        help="with --from-upstream: only this service of the upstream's (repeatable)",
    )
    load.add_argument(
        "--category", metavar="TEXT", help="with --from-upstream: only this category (any case)"
    )
    load.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would be added, changed, enabled and disabled; record nothing",
    )
    load.add_argument(
        "--yes", action="store_true", help="go ahead even if most of the catalogue is disabled"
    )
    load.set_defaults(run=import_services)
    listing = actions.add_parser(
        "list", help="list the catalogue, disabled services and links to upstreams marked"
    )
    listing.set_defaults(run=list_services)
    link = actions.add_parser(
        "link",
        help="fulfil a service by forwarding its orders to an upstream's service",
        description="Asks the upstream whether it offers the service (and warns when its type "
        "differs from ours). Orders placed from then on are forwarded.",
    )
    link.add_argument("local_id", type=int, metavar="LOCAL_ID")
    link.add_argument("--upstream", required=True, metavar="NAME")
    link.add_argument("--service", required=True, type=int, metavar="UPSTREAM_ID")
    link.set_defaults(run=link_service)
    unlink = actions.add_parser(
        "unlink", help="give a service's orders back to the bots (no longer forwarded)"
    )
    unlink.add_argument("local_id", type=int, metavar="LOCAL_ID")
    unlink.set_defaults(run=unlink_service)


def import_services(args: argparse.Namespace) -> int:
    if args.from_upstream is not None:
        return import_from_upstream(args)
    if args.file is None:
        raise CommandFailed("give a catalogue FILE, or --from-upstream NAME")
    for option, value in (
        ("--markup", args.markup),
        ("--service", args.service),
        ("--category", args.category),
    ):
        if value is not None:
            raise CommandFailed(f"{option} goes with --from-upstream, not with a file")
    try:
        entries = read_catalogue(args.file)
    except CatalogueError as error:
        raise CommandFailed(str(error)) from error
    with opened_store(create=not args.dry_run) as store:
        plan = plan_import(entries, current_catalogue(store.ledger))
        header = (
            f"{args.file}: {len(entries)} services; the catalogue has {plan.listed}, "
            f"{plan.enabled_now} of them enabled"
        )
        if not go_ahead(args, plan, header):
            return 0
        recorded, disabled = carry_out(store.ledger, plan)
    print(
        f"{len(entries)} services in {args.file}: {recorded} change(s) recorded, "
        f"{disabled} service(s) no longer in the file disabled"
    )
    return 0


def go_ahead(
    args: argparse.Namespace, plan: ImportPlan, header: str, notes: Mapping[int, str] = {}
) -> bool:
    """A dry run prints the plan (False: nothing to record); an import that would disable
    most of what it covers is refused without --yes; otherwise True."""
    if args.dry_run:
        print("\n".join(plan_lines(header, plan, notes=notes)))
        print("dry run: nothing recorded")
        return False
    if plan.disables_most() and not args.yes:
        print("\n".join(plan_lines(header, plan, SHOWN_WHEN_ASKING, notes)), file=sys.stderr)
        raise CommandFailed(
            "this import would disable most of the catalogue; run it again with --yes "
            "to go ahead (or --dry-run to see every change)"
        )
    return True


def carry_out(
    ledger: Ledger, plan: ImportPlan, links: Mapping[int, tuple[str, int]] | None = None
) -> tuple[int, int]:
    """Record the plan (each new service with its link, if any, in the same transaction):
    events recorded, services disabled."""
    recorded = 0
    with tqdm(total=len(plan.to_sync), unit="service", desc="importing") as bar:
        for start in range(0, len(plan.to_sync), BATCH):
            batch = plan.to_sync[start : start + BATCH]
            recorded += ledger.sync_services(batch, links)
            bar.update(len(batch))
    return recorded, ledger.disable_services(s.number for s in plan.disabled)


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


def current_catalogue(ledger: Ledger) -> dict[int, Service]:
    """Every service ever listed, as it stands (enabled or not)."""
    return {n: s for n in ledger.listed_service_numbers() if (s := ledger.service(n)) is not None}


def plan_lines(
    header: str, plan: ImportPlan, shown: int | None = None, notes: Mapping[int, str] = {}
) -> list[str]:
    """What the import would do: the counts, then each service (`shown` of each kind; a new
    service's note after it)."""
    lines = [
        header,
        f"would add {len(plan.added)}, change {len(plan.changed)}, enable {len(plan.enabled)}, "
        f"disable {len(plan.disabled)} of the {plan.enabled_now} enabled services",
    ]
    kinds: list[tuple[str, list[str]]] = [
        ("add", [f"{e.number}  {e.name}  {notes.get(e.number, '')}".rstrip() for e in plan.added]),
        ("change", [f"{e.number}  {e.name}  ({', '.join(names)})" for e, names in plan.changed]),
        ("enable", [f"{e.number}  {e.name}" for e in plan.enabled]),
        ("disable", [f"{s.number}  {s.name}" for s in plan.disabled]),
    ]
    for kind, items in kinds:
        lines += [f"  {kind:<8} {item}" for item in items[:shown]]
        if shown is not None and len(items) > shown:
            lines.append(f"  ... and {len(items) - shown} more to {kind}")
    return lines


def list_services(args: argparse.Namespace) -> int:
    with opened_store() as store:
        catch_up(store)
        rows = every_service(store.db)
    for row in rows:
        flags = "".join(
            letter if bool(on) else "-"
            for letter, on in (("D", row.dripfeed), ("R", row.refill), ("C", row.cancel))
        )
        state = "" if row.enabled else "  [disabled]"
        linked = f"  -> {row.upstream} {row.upstream_service}" if row.upstream else ""
        print(
            f"{row.number:>7}  {row.type:<24} {plain(row.rate):>10}  {row.min:>7}-{row.max:<9} "
            f"{flags}  {row.name}{state}{linked}"
        )
    print(
        f"{len(rows)} services, {sum(1 for r in rows if r.enabled)} enabled, "
        f"{sum(1 for r in rows if r.upstream)} fulfilled by upstreams (-> NAME ITS_ID)"
    )
    return 0


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
