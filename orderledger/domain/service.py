"""One service of the provider's catalogue. Services are disabled, never deleted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from orderledger.domain.ids import service_id

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
