"""The service catalogue as the `services` action answers it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from orderledger.domain.service import Service
from orderledger.projections.base import Projection


@dataclass(frozen=True)
class ServiceRow:
    id: str
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
    refill_days: int
    enabled: bool
    # The upstream that fulfils the service, and its id there ("" and 0: not linked).
    upstream: str = ""
    upstream_service: int = 0


def evolve(row: ServiceRow | None, event: Any) -> ServiceRow | None:
    if isinstance(event, Service.Listed):
        return ServiceRow(
            id=str(event.originator_id),
            number=event.number,
            name=event.name,
            type=event.type,
            category=event.category,
            rate=event.rate,
            min=event.min,
            max=event.max,
            dripfeed=event.dripfeed,
            refill=event.refill,
            cancel=event.cancel,
            description=event.description,
            refill_days=event.refill_days,
            enabled=True,
        )
    if row is None:
        return None
    match event:
        case Service.Changed():
            changes = dict(event.changes)
            if "rate" in changes:
                changes["rate"] = Decimal(changes["rate"])
            return replace(row, **changes)
        case Service.Disabled():
            return replace(row, enabled=False)
        case Service.Enabled():
            return replace(row, enabled=True)
        case Service.LinkedToUpstream():
            return replace(row, upstream=event.upstream, upstream_service=event.upstream_service)
        case Service.UnlinkedFromUpstream():
            return replace(row, upstream="", upstream_service=0)
    return row


CATALOGUE = Projection(
    name="catalogue",
    table="orderledger_services",
    row_type=ServiceRow,
    events=(
        Service.Listed,
        Service.Changed,
        Service.Disabled,
        Service.Enabled,
        Service.LinkedToUpstream,
        Service.UnlinkedFromUpstream,
    ),
    evolve=evolve,
    unique=("number",),
    # A store from before upstreams: no service there was linked.
    added_columns=(("upstream", "''"), ("upstream_service", "0")),
)
