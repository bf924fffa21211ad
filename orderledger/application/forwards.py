"""Forwarding as commands of the ledger: each loads the order, lets it decide, and saves what
it recorded, with the account's refund and the freed link when the order ends, in one
transaction.

The forwarder (application/forwarder.py) gives these; operators give `attach_upstream_order`
and `forward_again` to resolve an order in doubt.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from orderledger.application.lifecycle import Fulfilment
from orderledger.application.upstreams import Upstreams
from orderledger.domain.claims import STAFF, Reporter, utc_now
from orderledger.domain.money import ZERO
from orderledger.domain.order import Order
from orderledger.domain.refill import Refill, RefillStatus
from orderledger.domain.upstream import Upstream
from orderledger.domain.upstream_follow import UpstreamAnswer, follow


def forwarder(upstream: str) -> Reporter:
    """Who the forwarder's reports on an order name: `upstream:NAME`."""
    return Reporter(Order.forwarder(upstream))


class Forwards(Fulfilment, Upstreams):
    def _forwarding(self, number: int, decide: Callable[[Order], Decimal | None]) -> Order:
        """Let `decide` record on the order (returning what goes back to the account); save
        it, with the refund and the freed link if it ended, in one transaction."""

        def attempt() -> Order:
            order = self.known_order(number)
            was_finished = order.status.is_finished
            refund = decide(order) or ZERO
            if not order.pending_events:
                return order
            self.save_ending(order, refund, order.status.is_finished and not was_finished)
            return order

        return self.retrying(attempt)

    def begin_forward(
        self, number: int, upstream: str, upstream_service: int, now: datetime | None = None
    ) -> Order:
        """Record the attempt (`ForwardAttempted`), committed before anything is sent; an
        order the network asked to cancel meanwhile is canceled here instead (full refund)."""
        moment = now or utc_now()

        def decide(order: Order) -> Decimal | None:
            if order.cancel_requested and order.forward_state is None:
                return order.cancel(forwarder(upstream), moment)
            order.begin_forward(upstream, upstream_service, moment)
            return None

        return self._forwarding(number, decide)

    def record_forwarded(self, number: int, upstream_order: str) -> Order:
        return self._forwarding(number, lambda order: order.forward_placed(upstream_order))

    def forward_not_placed(self, number: int, reason: str) -> Order:
        """The upstream did nothing with the attempt (it backed off): Pending again."""
        return self._forwarding(number, lambda order: order.forward_not_placed(reason))

    def forward_refused(self, number: int, reason: str, now: datetime | None = None) -> Order:
        """The upstream refused the order itself: Failed with its reason, fully refunded."""
        moment = now or utc_now()

        def decide(order: Order) -> Decimal | None:
            assert order.upstream is not None
            return order.refuse_forward(reason, forwarder(order.upstream), moment)

        return self._forwarding(number, decide)

    def forward_in_doubt(self, number: int, reason: str) -> Order:
        return self._forwarding(number, lambda order: order.put_in_doubt(reason))

    def forward_interrupted(self, number: int, reason: str) -> Order:
        """An attempt left `sending` by a forwarder that stopped: in doubt; InvalidTransition
        if its outcome was recorded after all."""
        return self._forwarding(number, lambda order: order.interrupt_forward(reason))

    def forward_short_of_funds(
        self, number: int, upstream: str, reason: str, retry_at: datetime
    ) -> Order:
        """`Not enough funds on balance`: the order waits (Pending) and the upstream is
        marked short until `retry_at`, in one transaction."""

        def attempt() -> Order:
            order = self.known_order(number)
            order.forward_not_placed(reason)
            source = self.known_upstream(upstream)
            source.ran_short(reason, retry_at)
            self.save_changed(order, source)
            return order

        return self.retrying(attempt)

    def record_cancel_forwarded(self, number: int, answer: str) -> Order:
        """The network's cancel request was passed on; the upstream's status tells the end."""

        def decide(order: Order) -> None:
            order.note_cancel_forwarded(answer)

        return self._forwarding(number, decide)

    def upstream_funds_restored(self, upstream: str) -> Upstream:
        def attempt() -> Upstream:
            source = self.known_upstream(upstream)
            source.funds_restored()
            self.save_changed(source)
            return source

        return self.retrying(attempt)

    def follow_upstream(
        self, number: int, answer: UpstreamAnswer, now: datetime | None = None
    ) -> Order:
        """The upstream's `status` of a forwarded order, recorded as the events a bot's
        reports would be; an answer that changes nothing records nothing."""
        moment = now or utc_now()

        def decide(order: Order) -> Decimal | None:
            assert order.upstream is not None
            return follow(order, answer, forwarder(order.upstream), moment)

        return self._forwarding(number, decide)

    def record_refill_forwarded(self, number: int, upstream_refill: str) -> Refill:
        """The upstream took the refill as `upstream_refill`: its status is followed."""
        return self.on_refill(number, lambda refill: refill.forwarded_upstream(upstream_refill))

    def follow_upstream_refill(self, number: int, status: RefillStatus) -> Refill:
        """The upstream's status of the refill, recorded as a bot's report of it would be."""
        refill = self.refill(number)
        assert refill.upstream is not None
        by = forwarder(refill.upstream)
        match status:
            case RefillStatus.IN_PROGRESS if refill.status is RefillStatus.PENDING:
                return self.start_refill(number, by)
            case RefillStatus.COMPLETED:
                return self.complete_refill(number, by)
            case RefillStatus.REJECTED:
                return self.reject_refill(number, "rejected at the upstream", by)
            case RefillStatus.FAILED:
                return self.fail_refill(number, "failed at the upstream", by)
        return refill

    # ---- an operator resolves an order in doubt --------------------------------------------

    def attach_upstream_order(
        self, number: int, upstream_order: str, by: Reporter = STAFF
    ) -> Order:
        """The order is this upstream order (found at the upstream): forwarded, polled."""
        return self._forwarding(
            number, lambda order: order.attach_upstream_order(upstream_order, by.name)
        )

    def forward_again(self, number: int, by: Reporter = STAFF) -> Order:
        """The order was never placed upstream: Pending again, the forwarder sends it anew."""
        return self._forwarding(number, lambda order: order.reopen_forward(by.name))
