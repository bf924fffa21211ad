"""Snapshots that give each aggregate back exactly as its events built it.

A snapshot is the aggregate's attributes as JSON, and JSON keeps less than Python holds: a
str-Enum member is written as its bare value (`json` never asks the transcoder about a str
subclass), so without help `Account.billing` came back as "postpaid", not `Billing.POSTPAID`.
Two things make a snapshot exact, for stores written by any version:

- reading: the snapshot store's mapper gives each attribute listed in `RESTORED_TYPES` its type
  back, whatever wrote the snapshot (the bytes are the same as before this module existed);
- writing: a snapshot is stored only when it reads back identical to the aggregate in hand
  (types included), so an attribute JSON cannot carry yet costs a slower load, never a wrong one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, CanSnapshotAggregate
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import resolve_topic

from orderledger.domain.account import Account, Billing
from orderledger.domain.active_link import ActiveLink
from orderledger.domain.order import ForwardState, Order, OrderStatus
from orderledger.domain.refill import Refill, RefillStatus
from orderledger.domain.service import Service
from orderledger.domain.token_holder import TokenHolder
from orderledger.domain.upstream import Upstream

AGGREGATE_TYPES: tuple[type[Aggregate], ...] = (
    Account,
    ActiveLink,
    Order,
    Refill,
    Service,
    TokenHolder,
    Upstream,
)

# The attributes whose type JSON does not keep, and how to give it back (to a value that is
# not None; an enum given its own member returns it).
RESTORED_TYPES: Mapping[type[Aggregate], Mapping[str, Callable[[Any], Any]]] = {
    Account: {"billing": Billing},
    Order: {"status": OrderStatus, "forward_state": ForwardState},
    Refill: {"status": RefillStatus},
}


def restore_state(aggregate_type: type[Aggregate], state: dict[str, Any]) -> None:
    for name, restore in RESTORED_TYPES.get(aggregate_type, {}).items():
        value = state.get(name)
        if value is not None:
            state[name] = restore(value)


class SnapshotMapper(Mapper[UUID]):
    """The snapshot store's mapper: each snapshot's state typed back as it is read."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        snapshot = super().to_domain_event(stored_event)
        if isinstance(snapshot, CanSnapshotAggregate):
            restore_state(resolve_topic(snapshot.topic), snapshot.state)
        return snapshot


def identical(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down: a str is not an enum member, 1 is not
    True, Decimal("1.50") is not Decimal("1.5")."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return a.keys() == b.keys() and all(identical(a[key], b[key]) for key in a)
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))
    if type(a) in (set, frozenset):
        return bool(a == b) and {type(x) for x in a} == {type(y) for y in b}
    if type(a) is Decimal:
        return str(a) == str(b)
    return bool(a == b)


class UnfaithfulSnapshot(ValueError):
    """The aggregate's snapshot would not read back as the aggregate is."""


def faithful_snapshot(mapper: Mapper[UUID], aggregate: Aggregate) -> StoredEvent:
    """The aggregate's snapshot as stored, checked to read back identical."""
    snapshot = type(aggregate).Snapshot.take(aggregate)
    stored = mapper.to_stored_event(snapshot)
    restored = mapper.to_domain_event(stored)
    assert isinstance(restored, CanSnapshotAggregate)  # the mapper is typed for any event
    state = restored.state
    if not identical(state, snapshot.state):
        changed = sorted(
            k for k in snapshot.state if not identical(state.get(k), snapshot.state[k])
        )
        raise UnfaithfulSnapshot(
            f"{type(aggregate).__name__} {aggregate.id} at version {aggregate.version}: "
            f"{', '.join(changed)} would not read back as they are"
        )
    return stored
