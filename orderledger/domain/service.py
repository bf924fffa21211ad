"""One service of the provider's catalogue. Services are disabled, never deleted."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from orderledger.domain.errors import UnknownService
from orderledger.domain.ids import service_id
from orderledger.domain.money import ZERO, charge_for
from orderledger.domain.service_types import Charging, Limits, OrderRequest, read_order

DEFAULT_REFILL_DAYS = 30

# The attributes an import compares and a Changed event may carry.
CATALOGUE_FIELDS = (
    "name",
    "type",
    "category",
    "rate",
    "min",
    "max",
    "dripfeed",
    "refill",
    "cancel",
    "description",
    "refill_days",
)


@dataclass(frozen=True)
class OrderTerms:
    """An `add` read against its service: what was asked, what it costs now, and the
    details the order records (a subscription keeps the rate its posts are charged at)."""

    request: OrderRequest
    charge: Decimal
    details: dict[str, Any]


class Service(Aggregate):
    # The upstream provider that fulfils the service (domain/upstream.py), and its own number
    # there. Class defaults, not set when a service is listed: snapshots written before the
    # link existed lack them, and read back unlinked.
    upstream: str | None = None
    upstream_service: int | None = None

    @staticmethod
    def create_id(number: int) -> UUID:
        return service_id(number)

    class Listed(Aggregate.Created):
        number: int
        name: str
        type: str
        category: str
        rate: Decimal
        min: int
        max: int
        dripfeed: bool
        refill: bool
        cancel: bool
        description: str
        refill_days: int  # no default here: the command method's is recorded with the event

    @event(Listed)
    def __init__(
        self,
        number: int,
        name: str,
        type: str,
        category: str,
        rate: Decimal,
        min: int,
        max: int,
        dripfeed: bool,
        refill: bool,
        cancel: bool,
        description: str,
        refill_days: int = DEFAULT_REFILL_DAYS,
    ) -> None:
        self.number = number
        self.name = name
        self.type = type
        self.category = category
        self.rate = rate
        self.min = min
        self.max = max
        self.dripfeed = dripfeed
        self.refill = refill
        self.cancel = cancel
        self.description = description
        self.refill_days = refill_days
        self.enabled = True

    def order_terms(self, fields: Mapping[str, Any]) -> OrderTerms:
        """An order of this service as the network sent it, checked against the service's
        type and limits and priced at its rate; a disabled service takes no orders."""
        if not self.enabled:
            raise UnknownService(str(self.number))
        request = read_order(self.type, Limits(self.min, self.max), self.dripfeed, fields)
        charge = (
            ZERO
            if request.charging is Charging.PER_POST
            else charge_for(
                self.rate, request.charged_quantity, flat=request.charging is Charging.FLAT
            )
        )
        details = request.details
        if request.charging is Charging.PER_POST:
            details = {**details, "rate": str(self.rate)}
        return OrderTerms(request, charge, details)

    def entry(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CATALOGUE_FIELDS}

    class Changed(Aggregate.Event):
        changes: dict[str, Any]

    @event(Changed)
    def record_changes(self, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            setattr(self, name, Decimal(value) if name == "rate" else value)

    class Disabled(Aggregate.Event):
        pass

    @event(Disabled)
    def record_disabled(self) -> None:
        self.enabled = False

    class Enabled(Aggregate.Event):
        pass

    @event(Enabled)
    def record_enabled(self) -> None:
        self.enabled = True

    @property
    def linked(self) -> bool:
        """Its orders go to an upstream provider, not to the bots."""
        return self.upstream is not None

    def link(self, upstream: str, upstream_service: int) -> bool:
        """Fulfil the service by forwarding its orders to `upstream`'s `upstream_service`;
        False (nothing recorded) if it is so linked already."""
        if (self.upstream, self.upstream_service) == (upstream, upstream_service):
            return False
        self.record_linked(upstream=upstream, upstream_service=upstream_service)
        return True

    def unlink(self) -> bool:
        """Hand the service's orders back to the bots; False if it was not linked."""
        if not self.linked:
            return False
        self.record_unlinked()
        return True

    class LinkedToUpstream(Aggregate.Event):
        upstream: str
        upstream_service: int

    @event(LinkedToUpstream)
    def record_linked(self, upstream: str, upstream_service: int) -> None:
        self.upstream = upstream
        self.upstream_service = upstream_service

    class UnlinkedFromUpstream(Aggregate.Event):
        pass

    @event(UnlinkedFromUpstream)
    def record_unlinked(self) -> None:
        self.upstream = None
        self.upstream_service = None
