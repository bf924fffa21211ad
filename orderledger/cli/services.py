"""`orderledger services`: import the catalogue, list it."""

from __future__ import annotations

import argparse
from pathlib import Path

from orderledger.cli.catalogue_import import carry_out, current_catalogue, go_ahead
from orderledger.cli.common import CommandFailed, catch_up, opened_store
from orderledger.cli.upstream_services import import_from_upstream, link_service, unlink_service
from orderledger.domain.catalogue import CatalogueError, plan_import, read_catalogue
from orderledger.domain.money import plain
from orderledger.views.catalogue import every_service


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
    fulfilled = sum(1 for r in rows if r.upstream)
    print(
        f"{len(rows)} services, {sum(1 for r in rows if r.enabled)} enabled"
        + (f", {fulfilled} fulfilled by upstreams (-> NAME ITS_ID)" if fulfilled else "")
    )
    return 0
