"""The upstream providers as staff see them: address, funds, services linked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from orderledger.domain.ids import upstream_id
from orderledger.domain.upstream import Upstream
from orderledger.storage.database import Database
from orderledger.views.catalogue import linked_counts


@dataclass(frozen=True)
class UpstreamRow:
    name: str
    url: str
    funds_short: bool  # it refused an order for want of funds: its orders are held
    retry_at: datetime | None  # when held orders are tried again
    short_reason: str
    services_linked: int  # enabled or not

    def plain(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "funds_short": self.funds_short,
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
            "short_reason": self.short_reason,
            "services_linked": self.services_linked,
        }


def upstreams_overview(
    ledger: Application[UUID], db: Database, names: Iterable[str]
) -> list[UpstreamRow]:
    """Each upstream of `names` (the store's upstream keys) as it stands, by name."""
    counts = linked_counts(db)
    rows = []
    for name in sorted(names):
        try:
            upstream: Any = ledger.repository.get(upstream_id(name))
        except AggregateNotFoundError:  # its key put, its Added not (yet) recorded
            continue
        assert isinstance(upstream, Upstream)
        rows.append(
            UpstreamRow(
                name=upstream.name,
                url=upstream.url,
                funds_short=upstream.funds_short,
                retry_at=upstream.retry_at,
                short_reason=upstream.short_reason,
                services_linked=counts.get(name, 0),
            )
        )
    return rows
