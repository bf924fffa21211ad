"""`orderledger projections`: status, rebuild and verify the read models."""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from orderledger.cli.common import CommandFailed, catch_up, opened_store
from orderledger.projections.lag import projection_lags
from orderledger.projections.rebuild import REBUILD_PAGE_SIZE, Rebuild
from orderledger.projections.rebuild_lock import RebuildRunning, only_rebuild
from orderledger.projections.registry import BY_NAME, PROJECTIONS
from orderledger.projections.runner import FoldFailed
from orderledger.projections.verify import verify


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("projections", help="the read models: status, rebuild, verify")
    actions = parser.add_subparsers(dest="projections_action", required=True)

    status = actions.add_parser(
        "status", help="each projection's position, the head of the event log, and the lag"
    )
    status.set_defaults(run=show_lags)

    rebuild = actions.add_parser(
        "rebuild",
        help="rebuild read models from the first event, beside the live ones, then switch",
        description="Folds the whole event log into new tables beside the live ones, one "
        "transaction per page, while the API keeps answering from the live tables; then "
        "switches them in one transaction, catching up what arrived meanwhile. Interrupt it "
        "at any moment (Ctrl-C, or a kill): running it again resumes where it stopped.",
    )
    rebuild.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"projections to rebuild (default all: {', '.join(BY_NAME)})",
    )
    rebuild.add_argument(
        "--page-size",
        type=int,
        default=REBUILD_PAGE_SIZE,
        help=f"events per transaction (default {REBUILD_PAGE_SIZE:,})",
    )
    rebuild.add_argument(
        "--restart",
        action="store_true",
        help="discard an interrupted rebuild and start again from the first event",
    )
    rebuild.set_defaults(run=rebuild_projections)

    check = actions.add_parser(
        "verify",
        help="replay every aggregate and compare with every row; non-zero exit on a difference",
        description="Brings the read models up to date, then replays the whole event log with "
        "the projections' own folds and compares every row (missing, extra, different), and "
        "checks every account adds up: credit + deposits − charges + refunds, also as its "
        "orders recorded them. Read-only.",
    )
    check.set_defaults(run=verify_projections)


def show_lags(args: argparse.Namespace) -> int:
    with opened_store() as store:
        lines = projection_lags(store.ledger, store.db)
    print(f"{'projection':<18} {'position':>10} {'head':>10} {'lag':>8}  rebuild")
    for line in lines:
        rebuilding = "" if line.rebuild_position is None else f"at {line.rebuild_position}"
        print(f"{line.name:<18} {line.position:>10} {line.head:>10} {line.lag:>8}  {rebuilding}")
        if line.failure is not None:
            print(f"  {line.failure}")
    return 0


def rebuild_projections(args: argparse.Namespace) -> int:
    unknown = [name for name in args.names if name not in BY_NAME]
    if unknown:
        raise CommandFailed(f"no projection {', '.join(unknown)}; there are {', '.join(BY_NAME)}")
    if args.page_size < 1:
        raise CommandFailed("--page-size must be at least 1")
    projections = [BY_NAME[name] for name in args.names] or list(PROJECTIONS)
    with opened_store() as store:
        job = Rebuild(store.ledger, store.db, projections, args.page_size)
        try:
            with only_rebuild(store.db):
                position = build_and_switch(job, args.restart)
        except RebuildRunning as error:
            raise CommandFailed(str(error)) from None
        except FoldFailed as error:
            raise CommandFailed(
                f"{error}; nothing was switched: fix the fold, then run this again to resume"
            ) from None
    names = ", ".join(p.name for p in job.projections)
    print(f"rebuilt {names} up to event {position} and switched them live")
    return 0


def build_and_switch(job: Rebuild, restart: bool) -> int:
    if restart:
        job.discard()
    job.prepare()
    start, head = job.position(), job.head()
    if start:
        print(f"resuming the rebuild at event {start} of {head}", file=sys.stderr)
    with tqdm(total=max(head - start, 0), unit="event", desc="rebuilding") as bar:
        # The head moves while the server takes orders: grow the total to match.
        def advance(count: int) -> None:
            bar.total = max(bar.total or 0, bar.n + count)
            bar.update(count)

        job.build(progress=advance)
        bar.total = bar.n  # ids skipped by rolled-back writes never arrive: it is done
        bar.refresh()
    return job.switch()


def verify_projections(args: argparse.Namespace) -> int:
    with opened_store() as store:
        catch_up(store)
        head = store.projector().head()
        with tqdm(total=head, unit="event", desc="verifying") as bar:
            differences = verify(store.ledger, store.db, progress=bar.update)
            bar.total = bar.n
            bar.refresh()
    if differences:
        for difference in differences:
            print(difference)
        print(f"{len(differences)} difference(s) between the events and the read models")
        return 1
    print(f"the read models match all {head} events")
    return 0
