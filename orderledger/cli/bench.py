"""`orderledger bench`: measure the hot paths against ceilings measured on this machine."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

import psycopg

from orderledger.bench.postgres import admin_url
from orderledger.bench.report import Figures, UpstreamFigures, table
from orderledger.bench.run import Bench, BenchFailed, Options
from orderledger.bench.servers import ServerFailed
from orderledger.bench.upstream import UpstreamBench
from orderledger.cli.common import CommandFailed


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    defaults = Options()
    parser = commands.add_parser(
        "bench",
        help="benchmark status, add, projections and rebuild against ceilings of this machine",
        description="Creates two fresh PostgreSQL databases (dropped afterwards), starts a bare "
        "Litestar endpoint and then `orderledger serve` with the same uvicorn settings, "
        "preloads orders from the real catalogue and drives load from a separate process "
        "over loopback. Each figure is also given as a ratio to a ceiling measured in the "
        "same run: the bare endpoint, bare event-store commits, a bare NOTIFY round trip, "
        "a bare scan of the log. Prints a table (with each target and whether it is met), "
        "or one JSON object with --json. Progress goes to stderr. Interrupting it stops the "
        "servers and drops the databases.",
    )
    parser.add_argument(
        "--orders",
        type=int,
        default=defaults.orders,
        help=f"orders in the store when measuring (default {defaults.orders:,})",
    )
    parser.add_argument(
        "--base-orders",
        type=int,
        default=defaults.base_orders,
        help=f"store size of the latency-growth reference (default {defaults.base_orders:,})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=defaults.workers,
        help=f"uvicorn workers of both servers (default {defaults.workers})",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=defaults.connections,
        help=f"concurrent client connections (default {defaults.connections})",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=defaults.duration,
        help=f"measured seconds per scenario (default {defaults.duration:g})",
    )
    parser.add_argument(
        "--admin-url",
        default=admin_url(),
        help="PostgreSQL URL allowed to create databases "
        "(default $ORDERLEDGER_BENCH_ADMIN_URL or postgresql://postgres@127.0.0.1:5432/postgres)",
    )
    parser.add_argument(
        "--catalogue",
        type=Path,
        default=defaults.catalogue,
        help="catalogue file to import (default: the real one in fixtures/catalogs)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small numbers (2,000 orders, 2 s per scenario) for a smoke test",
    )
    parser.add_argument(
        "--upstream",
        action="store_true",
        help="instead of the full run, the upstream section (issue 14): orders forwarded per "
        "second to an upstream orderledger on this machine, against the same adds sent in "
        "sequence by one bare client; and one status sync round of many forwarded orders, "
        "against the same status calls made by a bare client (three fresh databases)",
    )
    parser.add_argument(
        "--forward-orders",
        type=int,
        default=defaults.forward_orders,
        help=f"--upstream: orders forwarded (default {defaults.forward_orders:,})",
    )
    parser.add_argument(
        "--sync-orders",
        type=int,
        default=defaults.sync_orders,
        help=f"--upstream: forwarded orders in the sync round (default {defaults.sync_orders:,})",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=bench)


def options_from(args: argparse.Namespace) -> Options:
    options = Options(
        orders=args.orders,
        base_orders=args.base_orders,
        workers=args.workers,
        connections=args.connections,
        duration=args.duration,
        admin_url=args.admin_url,
        catalogue=args.catalogue,
        forward_orders=args.forward_orders,
        sync_orders=args.sync_orders,
    )
    if args.quick:
        options = options.quick()
    if options.orders < 100 or options.base_orders < 100:
        raise CommandFailed("--orders and --base-orders must be at least 100 (a batch is 100)")
    if options.workers < 1 or options.connections < 1:
        raise CommandFailed("--workers and --connections must be at least 1")
    if options.duration <= 0:
        raise CommandFailed("--duration must be more than 0 seconds")
    if options.forward_orders < 1 or options.sync_orders < 10:
        raise CommandFailed("--forward-orders must be at least 1 and --sync-orders at least 10")
    if not options.catalogue.is_file():
        raise CommandFailed(f"no catalogue at {options.catalogue}")
    return options


def bench(args: argparse.Namespace) -> int:
    options = options_from(args)
    began = time.monotonic()

    def say(message: str) -> None:
        print(f"[{time.monotonic() - began:6.1f}s] {message}", file=sys.stderr, flush=True)

    # A kill (SIGTERM) unwinds like Ctrl-C, so the servers stop and the database is dropped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        figures: Figures | UpstreamFigures
        if args.upstream:
            figures = UpstreamBench(options, say).run_upstream()
        else:
            figures = Bench(options, say).run()
    except (BenchFailed, ServerFailed, RuntimeError, psycopg.Error) as error:
        raise CommandFailed(str(error)) from error
    print(figures.as_json() if args.json else table(figures))
    return 0
