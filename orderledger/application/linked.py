"""Which services an upstream fulfils: the one place that finds out.

Read from the catalogue read model's link columns (views/catalogue.linked_services): one
query of the catalogue's table (a row per service), where reading the services' own events
would scan the whole log. The read model is a few milliseconds behind the
log, and the answer is kept for `MAX_AGE` seconds on top: bots ask at every claim, and a
service linked meanwhile is still refused to them by `claim_order` itself, while the
forwarder takes its orders at its next round.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

from orderledger.storage.database import Database
from orderledger.views.catalogue import linked_services as linked_in_catalogue

MAX_AGE = 5.0


@dataclass(frozen=True)
class Link:
    service: int
    upstream: str
    upstream_service: int


class LinkedServices:
    def __init__(self, db: Database, max_age: float = MAX_AGE) -> None:
        self.db = db
        self.max_age = max_age
        self.lock = threading.Lock()
        self.read_at = -1e18
        self.links: dict[int, Link] = {}

    def current(self) -> dict[int, Link]:
        with self.lock:
            if time.monotonic() - self.read_at >= self.max_age:
                self.links = linked_services(self.db)
                self.read_at = time.monotonic()
            return self.links


def linked_services(db: Database) -> dict[int, Link]:
    """Every service an upstream fulfils now, by its number here."""
    return {
        number: Link(number, upstream, upstream_service)
        for number, (upstream, upstream_service) in linked_in_catalogue(db).items()
    }


KEPT: weakref.WeakKeyDictionary[Database, LinkedServices] = weakref.WeakKeyDictionary()
KEPT_LOCK = threading.Lock()


def linked_of(db: Database) -> LinkedServices:
    """The links as kept for this store's read models (made when first asked)."""
    with KEPT_LOCK:
        found = KEPT.get(db)
        if found is None:
            found = KEPT[db] = LinkedServices(db)
        return found
