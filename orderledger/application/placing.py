"""The network's commands: place an order, ask for a refill, ask for a cancel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from orderledger.application.batch_placing import Outcome, PlaceOrder, place_orders
from orderledger.application.ledger_base import LedgerBase
from orderledger.domain.errors import LedgerError, OrderNotCancelable, OrderNotRefillable
from orderledger.domain.order import REFILLABLE, Order
from orderledger.domain.refill import Refill


class Placing(LedgerBase):
    def place_order(self, account: UUID, service_number: int, fields: Mapping[str, Any]) -> Order:
        """One `add`: decided and committed exactly as one of a batch."""
        (outcome,) = self.place_orders(account, [PlaceOrder(service_number, fields)])
        if isinstance(outcome, LedgerError):
            raise outcome
        return outcome

    def place_orders(self, account: UUID, commands: Sequence[PlaceOrder]) -> list[Outcome]:
        """Each command's order, or the refusal of that command alone; one transaction."""
        return place_orders(self, account, commands)

    def request_cancel(self, account: UUID, number: int) -> Order:
        """The network asks to cancel; fulfilment decides how the order ends."""

        def decide() -> Order:
            order = self.order_of(account, number)
            service = self.service(order.service_number)
            if service is None or not service.cancel or order.status.is_finished:
                raise OrderNotCancelable(str(number))
            if not order.cancel_requested:
                order.record_cancel_request()
                self.save(order)
            return order

        return self.retrying(decide)

    def request_refill(self, account: UUID, number: int, now: datetime | None = None) -> Refill:
        moment = now or datetime.now(UTC)
        allocated: list[int] = []

        def decide() -> Refill:
            order = self.order_of(account, number)
            service = self.service(order.service_number)
            eligible = (
                service is not None
                and service.refill
                and order.status in REFILLABLE
                and order.finished_at is not None
                and moment - order.finished_at <= timedelta(days=service.refill_days)
                and order.open_refill is None
            )
            if not eligible:
                raise OrderNotRefillable(str(number))
            if not allocated:
                allocated.append(self.sequences.next_number("refill"))
            refill = Refill(number=allocated[0], order_number=number, account_id=account)
            order.record_refill_request(refill.number)
            self.save(refill, order)
            return refill

        return self.retrying(decide)
