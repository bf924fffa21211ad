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
