"""Guards the rule that a key may not run two unfinished orders for one service and link.

Taken with the order in the same transaction and released when the order finishes, so the
rule holds under concurrent `add`s (optimistic concurrency), not just in a read model.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from orderledger.domain.ids import active_link_id


class ActiveLink(Aggregate):
    @staticmethod
    def create_id(account_id: UUID, service_number: int, link: str) -> UUID:
        return active_link_id(account_id, service_number, link)

    class Taken(Aggregate.Created):
        account_id: UUID
        service_number: int
        link: str
        order_number: int

    @event(Taken)
    def __init__(self, account_id: UUID, service_number: int, link: str, order_number: int) -> None:
        self.order_number: int | None = order_number

    @property
    def is_taken(self) -> bool:
        return self.order_number is not None

    class Retaken(Aggregate.Event):
        order_number: int

    @event(Retaken)
    def record_taken(self, order_number: int) -> None:
        self.order_number = order_number

    def release(self, order_number: int) -> bool:
        """Free the link as the order ends; False (nothing recorded) if that order no longer
        holds it."""
        if self.order_number != order_number:
            return False
        self.record_released(order_number)
        return True

    class Released(Aggregate.Event):
        order_number: int

    @event(Released)
    def record_released(self, order_number: int) -> None:
        self.order_number = None
