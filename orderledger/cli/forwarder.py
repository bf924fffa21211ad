"""The forwarder of `orderledger serve`, in a process of its own beside the workers and the
projector.

Why a process of its own rather than a thread of the projector's process: the projector was
given a process so that nothing else waits for its interpreter lock, and the forwarder's work
(building `add`s, reading answers, two commits per order) would be exactly that; and a fault
of one (an upstream's odd answer, a defect) must not stop the other. It costs one more small
process and its two database connections per server, once the store has an upstream: `serve`
starts it only then (cli/projector.py's `wanted`, storage/upstream_keys.AnyKept).

`serve` keeps it running as it keeps the projector (cli/projector.py's supervisor: started
again if it dies; it stops when told or when its standard input closes). One forwarder leads
across every server (application/forwarding_loop.py); the others wait to take over.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from orderledger.application.forwarder import Forwarder
from orderledger.application.forwarding_loop import ForwardingLoop, leadership
from orderledger.application.upstream_clients import UpstreamClients
from orderledger.bootstrap import Store
from orderledger.cli.projector import beside_serve
from orderledger.http.upstream_metrics import record_forwarder
from orderledger.storage.settings import Settings

log = logging.getLogger(__name__)

COMMAND = (sys.executable, "-m", "orderledger.cli.forwarder")


def command(level: str = "info", form: str = "text") -> list[str]:
    """The forwarder process's command line, logging as `serve --log-level/--log-format`."""
    return [*COMMAND, "--log-level", level, "--log-format", form]


def main(argv: Sequence[str] | None = None) -> int:
    stopping = beside_serve(argv)
    settings = Settings.from_env()
    store = Store.open(settings, pool_size=2)
    clients = UpstreamClients(store.ledger, store.upstream_keys)
    forwarder = Forwarder(
        store.ledger, store.db, clients, sync_every=float(settings.upstream_sync_seconds)
    )
    loop = ForwardingLoop(
        forwarder,
        leadership(store.db, f"orderledger forwarder {os.getpid()}"),
        after_round=lambda: record_forwarder(forwarder.standing()),
    )
    try:
        loop.start()
        while not stopping.wait(1.0):
            pass
    finally:
        loop.stop()
        clients.close()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
