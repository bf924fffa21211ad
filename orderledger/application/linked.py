"""Which services an upstream fulfils: the one place that finds out.

Read from the Service aggregates for now (every service ever listed, brought current in one
query where the store can); the catalogue read model's link columns can replace this without
any caller changing. The answer is kept for `MAX_AGE` seconds: bots ask at every claim, and a
service linked meanwhile is still refused to them by `claim_order` itself.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

from orderledger.application.ledger import Ledger

MAX_AGE = 5.0


@dataclass(frozen=True)
class Link:
    service: int
    upstream: str
    upstream_service: int


class LinkedServices:
    def __init__(self, ledger: Ledger, max_age: float = MAX_AGE) -> None:
        self.ledger = ledger
        self.max_age = max_age
        self.lock = threading.Lock()
        self.read_at = -1e18
        self.links: dict[int, Link] = {}

    def current(self) -> dict[int, Link]:
        with self.lock:
            if time.monotonic() - self.read_at >= self.max_age:
                self.links = linked_services(self.ledger)
                self.read_at = time.monotonic()
            return self.links


def linked_services(ledger: Ledger) -> dict[int, Link]:
    """Every service an upstream fulfils now, by its number here."""
    numbers = list(ledger.listed_service_numbers())
    links: dict[int, Link] = {}
    for number, service in ledger.services(numbers).items():
        if service is not None and service.upstream is not None:
            assert service.upstream_service is not None
            links[number] = Link(number, service.upstream, service.upstream_service)
    return links


KEPT: weakref.WeakKeyDictionary[Ledger, LinkedServices] = weakref.WeakKeyDictionary()
KEPT_LOCK = threading.Lock()


def linked_of(ledger: Ledger) -> LinkedServices:
    """The links as kept for this ledger (made when first asked)."""
    with KEPT_LOCK:
        found = KEPT.get(ledger)
        if found is None:
            found = KEPT[ledger] = LinkedServices(ledger)
        return found
