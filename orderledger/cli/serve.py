"""`orderledger serve`: the API and the live projector, in one or more worker processes."""

from __future__ import annotations

import argparse
import os

from orderledger.bootstrap import backend_for
from orderledger.cli import forwarder, projector
from orderledger.cli.common import CommandFailed
from orderledger.cli.projector import ProjectorProcess
from orderledger.http.logs import FORMATS, LEVELS, log_config
from orderledger.http.port_lock import PortTaken, claimed_port
from orderledger.http.server import metrics_directory, run_uvicorn
from orderledger.storage.settings import PROJECTOR_IN_WORKERS, Settings, SettingsError
from orderledger.storage.upstream_keys import AnyKept


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "serve",
        help="serve /api/v2 and keep the read models current",
        description="Serve /api/v2 on the configured store (ORDERLEDGER_DATABASE_URL, else "
        "embedded SQLite under ./var). The live projector and the forwarder to upstream "
        "providers (once the store has an upstream) each run in a process of their own beside "
        "the workers; one of each leads at a time across servers.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--log-level",
        choices=LEVELS,
        default="info",
        help="the least severe records logged; the access log is at info (default info)",
    )
    parser.add_argument(
        "--log-format",
        choices=FORMATS,
        default="text",
        help="text lines, or one JSON object per line (default text)",
    )
    parser.set_defaults(run=serve)


def serve(args: argparse.Namespace) -> int:
    if args.workers < 1:
        raise CommandFailed("--workers must be at least 1")
    settings = reachable_settings()
    print(f"orderledger on {settings.describe()}", flush=True)
    workers = f"{args.workers} worker{'s' if args.workers > 1 else ''}"

    def announce(url: str) -> None:
        print(f"listening on {url}/api/v2 ({workers})", flush=True)

    # The workers (spawned with this environment) leave the live projector to its process.
    os.environ[PROJECTOR_IN_WORKERS] = "0"
    # The forwarder's process starts once the store has an upstream: until then it would
    # have nothing to do, at the cost of a process and its queries twice a second.
    upstream_added = AnyKept(backend_for(settings))
    try:
        with (
            claimed_port(args.host, args.port),
            metrics_directory(),
            ProjectorProcess(projector.command(args.log_level, args.log_format)),
            ProjectorProcess(
                forwarder.command(args.log_level, args.log_format),
                name="forwarder",
                wanted=upstream_added,
            ),
        ):
            run_uvicorn(
                "orderledger.http.app:create_app",
                args.host,
                args.port,
                args.workers,
                log_config=log_config(args.log_level, args.log_format),
                forwarded_allow_ips=settings.forwarded_allow_ips,
                announce=announce,
            )
    except PortTaken as error:
        raise CommandFailed(f"{error}; not starting") from error
    finally:
        upstream_added.close()
    return 0


def reachable_settings() -> Settings:
    """The settings, once their database answers: a wrong one is one line here, before
    any worker starts (and fails with a traceback each)."""
    try:
        settings = Settings.from_env()
        backend_for(settings).check_reachable()
    except SettingsError as error:
        raise CommandFailed(str(error)) from error
    return settings
