"""The network's commands: place an order, ask for a refill, ask for a cancel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from orderledger.application.batch_placing import Outcome, PlaceOrder, decide_and_save, prepare
from orderledger.application.ledger_base import LedgerBase
from orderledger.domain.errors import LedgerError
from orderledger.domain.order import ForwardState, Order
from orderledger.domain.refill import Refill


class Placing(LedgerBase):
    def place_order(self, account: UUID, service_number: int, fields: Mapping[str, Any]) -> Order:
        """One `add`: decided and committed exactly as one of a batch."""
        (outcome,) = self.place_orders(account, [PlaceOrder(service_number, fields)])
        if isinstance(outcome, LedgerError):
            raise outcome
        return outcome

    def place_orders(
        self,
        account: UUID,
        commands: Sequence[PlaceOrder],
        turn: AbstractContextManager[object] | None = None,
    ) -> list[Outcome]:
        """Each command's order, or the refusal of that command alone; one transaction.

        Checking, numbering and the link-guard look-up need no turn: only deciding against
        the Account and saving are done within `turn` (the group commit's account lock), so
        the other workers wait only for that."""
        prepared = prepare(self, account, commands)
        with turn or nullcontext():
            return decide_and_save(self, prepared)

    def request_cancel(self, account: UUID, number: int) -> Order:
        """The network asks to cancel; fulfilment decides how the order ends."""

        def decide() -> Order:
            order = self.order_of(account, number)
            service = self.service(order.service_number)
            order.request_cancel(cancelable=service is not None and service.cancel)
            self.save_changed(order)
            return order

        return self.retrying(decide)

    def request_refill(self, account: UUID, number: int, now: datetime | None = None) -> Refill:
        moment = now or datetime.now(UTC)
        allocated: list[int] = []  # a retry keeps the refill's number

        def refill_number() -> int:
            if not allocated:
                allocated.append(self.sequences.next_number("refill"))
            return allocated[0]

        def decide() -> Refill:
            order = self.order_of(account, number)
            service = self.service(order.service_number)
            days = service.refill_days if service is not None and service.refill else None
            refill = order.request_refill(days, moment, refill_number)
            if order.forward_state is ForwardState.FORWARDED and order.upstream is not None:
                refill.assign_upstream(order.upstream)  # the upstream's to refill
            self.save(refill, order)
            return refill

        return self.retrying(decide)
