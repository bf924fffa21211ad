"""The network's commands: place an order, ask for a refill, ask for a cancel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from orderledger.domain.active_link import ActiveLink
from orderledger.domain.errors import (
    ActiveOrderWithLink,
    NotEnoughFunds,
    OrderNotCancelable,
    OrderNotRefillable,
    UnknownService,
)
from orderledger.domain.ids import active_link_id
from orderledger.domain.ledger_base import LedgerBase
from orderledger.domain.money import ZERO, charge_for
from orderledger.domain.order import REFILLABLE, Order
from orderledger.domain.refill import Refill
from orderledger.domain.service_types import Charging, Limits, read_order


class Placing(LedgerBase):
    def place_order(self, account: UUID, service_number: int, fields: Mapping[str, Any]) -> Order:
        service = self.service(service_number)
        if service is None or not service.enabled:
            raise UnknownService(str(service_number))
        request = read_order(
            service.type, Limits(service.min, service.max), service.dripfeed, fields
        )
        charge = (
            ZERO
            if request.charging is Charging.PER_POST
            else charge_for(
                service.rate, request.charged_quantity, flat=request.charging is Charging.FLAT
            )
        )
        number: list[int] = []

        def decide() -> Order:
            payer = self.account(account)
            guard = self.load(ActiveLink, active_link_id(account, service_number, request.link))
            if guard is not None and guard.is_taken:
                raise ActiveOrderWithLink(request.link)
            if not payer.can_pay(charge):
                raise NotEnoughFunds(str(charge))
            if not number:
                number.append(self.sequences.next_number("order"))
            order = Order(
                number=number[0],
                account_id=account,
                currency=payer.currency,
                service_number=service_number,
                service_type=service.type,
                link=request.link,
                quantity=request.quantity,
                runs=request.runs,
                interval=request.interval,
                charged_quantity=request.charged_quantity,
                charge=charge,
                details=request.details
                if request.charging is not Charging.PER_POST
                else {**request.details, "rate": str(service.rate)},  # posts charge at it
            )
            changed: list[Aggregate] = [order]
            if charge:
                payer.record_charge(order_number=order.number, amount=charge)
                changed.append(payer)
            if request.link:
                if guard is None:
                    guard = ActiveLink(
                        account_id=account,
                        service_number=service_number,
                        link=request.link,
                        order_number=order.number,
                    )
                else:
                    guard.record_taken(order.number)
                changed.append(guard)
            self.save(*changed)
            return order

        return self.retrying(decide)

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
