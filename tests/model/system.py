"""orderledger as the model test drives it: one process's state (a Store and the app on it),
opened and closed from the same settings, and the catalogue imported as an operator does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eventsourcing.domain import Aggregate
from litestar.testing import TestClient

from orderledger.bootstrap import Store, runtime
from orderledger.cli.main import main
from orderledger.domain.account import Account
from orderledger.domain.active_link import ActiveLink
from orderledger.domain.order import Order
from orderledger.domain.refill import Refill
from orderledger.domain.service import Service
from orderledger.http.app import create_app
from orderledger.storage.settings import Settings

# A snapshot every few events of every aggregate type, so each load after a restart starts
# from one; the ledger's own interval (200 for accounts) is never reached in a short run.
SNAPSHOT_EVERY: dict[type[Aggregate], int] = {
    Account: 3,
    Order: 3,
    Refill: 2,
    Service: 2,
    ActiveLink: 2,
}
# Long enough that no claim runs out while the test's clock moves on (at most 30 min a step).
LEASE = timedelta(days=30)


@dataclass
class Clock:
    """The app's clock (drip-feed runs fall due as it moves)."""

    moment: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.moment


class Running:
    """What one process holds: a Store (the command line's view) and the app serving
    /api/v2 and the fulfilment API with its own runtime (Store, live projector and aggregate
    cache) on the test's clock."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.store = Store.open(settings)
        served = runtime(settings, clock=clock)
        self.client: TestClient[Any] = TestClient(create_app(settings, parts=served))
        self.client.__enter__()
        for ledger in (self.store.ledger, served.store.ledger):
            ledger.snapshot_every = dict(SNAPSHOT_EVERY)

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.store.close()

    def api(self, key: str, action: str, **fields: str) -> tuple[int, Any]:
        response = self.client.post("/api/v2", data={"key": key, "action": action, **fields})
        return response.status_code, response.json()

    def bot_report(self, token: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A bot's report over the fulfilment API: `path` under its prefix, as a bot posts it."""
        headers = {"Authorization": f"Bearer {token}"}
        response = self.client.post(f"/dispatch/{path}", json=body, headers=headers)
        return response.status_code, response.json()


def import_catalogue(path: Path, entries: list[dict[str, Any]]) -> None:
    """`orderledger services import FILE` (the settings come from the environment)."""
    path.write_text(json.dumps(entries), encoding="utf-8")
    assert main(["services", "import", str(path)]) == 0
