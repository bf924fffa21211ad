"""An order of the network, from placement to its final status, with every refund it earned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from orderledger.domain.account import Account
from orderledger.domain.claims import SWEEP, Reporter, ensure_holder
from orderledger.domain.errors import (
    ClaimTaken,
    InvalidTransition,
    NotDue,
    OrderNotCancelable,
    OrderNotRefillable,
)
from orderledger.domain.ids import order_id
from orderledger.domain.money import ZERO, charge_for, share_of
from orderledger.domain.refill import Refill, forwarder_name


class OrderStatus(str, Enum):
    PENDING = "Pending"
    PROCESSING = "Processing"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"
    PARTIAL = "Partial"
    CANCELED = "Canceled"
    REFUNDED = "Refunded"
    FAILED = "Failed"

    @property
    def is_finished(self) -> bool:
        return self not in UNFINISHED


UNFINISHED = frozenset({OrderStatus.PENDING, OrderStatus.PROCESSING, OrderStatus.IN_PROGRESS})
REFILLABLE = frozenset({OrderStatus.COMPLETED, OrderStatus.PARTIAL})


class ForwardState(str, Enum):
    """Where an order forwarded to an upstream provider stands (None: not forwarded)."""

    SENDING = "sending"  # the attempt is recorded; its outcome is not (yet)
    FORWARDED = "forwarded"  # the upstream has it, under `upstream_order`
    IN_DOUBT = "in doubt"  # nobody knows whether the upstream has it: an operator decides


def subscription_end(details: dict[str, Any]) -> datetime | None:
    """A subscription's `expiry` date ends at the close of that day (UTC)."""
    expiry = details.get("expiry")
    if not expiry:
        return None
    return datetime.combine(date.fromisoformat(expiry) + timedelta(days=1), time(), UTC)


class Order(Aggregate):
    # Forwarding to an upstream provider (domain/upstream.py). Class defaults, not set when an
    # order is placed: snapshots written before forwarding existed lack them.
    upstream: str | None = None
    upstream_order: str | None = None
    forward_state: ForwardState | None = None
    forward_attempts = 0
    doubt = ""  # why it is in doubt
    upstream_cost: Decimal | None = None  # what the upstream charges for it, as it last said
    upstream_currency = ""
    cancel_forwarded = False  # the network's cancel request was passed on to the upstream

    @staticmethod
    def forwarder(upstream: str) -> str:
        """The name the forwarder claims and reports an order under for `upstream`."""
        return forwarder_name(upstream)

    @staticmethod
    def create_id(number: int) -> UUID:
        return order_id(number)

    class Placed(Aggregate.Created):
        number: int
        account_id: UUID
        currency: str
        service_number: int
        service_type: str
        link: str
        quantity: int
        runs: int | None
        interval: int | None
        charged_quantity: int
        charge: Decimal
        details: dict[str, Any]

    @event(Placed)
    def __init__(
        self,
        number: int,
        account_id: UUID,
        currency: str,
        service_number: int,
        service_type: str,
        link: str,
        quantity: int,
        runs: int | None,
        interval: int | None,
        charged_quantity: int,
        charge: Decimal,
        details: dict[str, Any],
    ) -> None:
        self.number = number
        self.account_id = account_id
        self.currency = currency
        self.service_number = service_number
        self.service_type = service_type
        self.link = link
        self.quantity = quantity
        self.runs = runs
        self.interval = interval
        self.charged_quantity = charged_quantity
        self.charge = charge
        self.details = details
        self.refunded = ZERO
        self.status = OrderStatus.PENDING
        self.start_count = 0
        self.delivered = 0
        self.cancel_requested = False
        self.claimed_by: str | None = None
        self.claim_expires_at: datetime | None = None
        self.finished_at: datetime | None = None
        self.open_refill: int | None = None
        self.posts: dict[str, int] = {}  # subscriptions: quantity delivered per post
        self.run = 0  # drip-feed: how many runs have been handed out
        self.run_handed_at: datetime | None = None

    @property
    def remains(self) -> int:
        return max(self.charged_quantity - self.delivered, 0)

    @property
    def net_charge(self) -> Decimal:
        """What the order costs the account now: the charge less every refund."""
        return self.charge - self.refunded

    @property
    def is_drip_feed(self) -> bool:
        return self.runs is not None

    @property
    def is_subscription(self) -> bool:
        return self.service_type == "Subscriptions"

    def claim_held(self, now: datetime) -> bool:
        """Someone holds a claim that has not expired: nobody else may take the order."""
        return (
            self.claimed_by is not None
            and self.claim_expires_at is not None
            and now < self.claim_expires_at
        )

    @property
    def deliverable(self) -> int:
        """The most a bot may report delivered now: a drip-feed only up to its handed-out runs
        (a forwarded one's runs are the upstream's to hand out)."""
        if self.is_drip_feed and self.forward_state is None:
            return min(self.run * self.quantity, self.charged_quantity)
        return self.charged_quantity

    @property
    def run_delivered(self) -> bool:
        return self.delivered >= self.run * self.quantity

    def next_run_due(self) -> datetime | None:
        """When the next drip-feed run may be handed out (None: no run is waiting)."""
        if not self.is_drip_feed or self.runs is None or self.run >= self.runs:
            return None
        if self.run == 0 or self.run_handed_at is None:
            return self.created_on
        return self.run_handed_at + timedelta(minutes=self.interval or 0)

    def subscription_ends_at(self) -> datetime | None:
        return subscription_end(self.details)

    @property
    def posts_left(self) -> int | None:
        """New plus old posts the network asked for; None (no limit) without `posts`, as
        Perfect Panel reads it, and for `posts=0` with no old posts."""
        if "posts" not in self.details:
            return None
        limit = int(self.details["posts"]) + int(self.details.get("old_posts", 0))
        return None if limit == 0 else max(limit - len(self.posts), 0)

    # ---- commands: each checks the order's own rules, then records what happened ---------
    # A command that finds its outcome already recorded (a bot retrying after a timeout)
    # records nothing and succeeds; the finishing ones then return None instead of a refund.

    def ensure_unfinished(self) -> None:
        if self.status.is_finished:
            raise InvalidTransition(f"order {self.number} is already {self.status.value}")

    def ensure_subscription(self) -> None:
        if not self.is_subscription:
            raise InvalidTransition(f"order {self.number} is not a subscription")

    def ensure_reporter(self, by: Reporter, now: datetime) -> None:
        """A forwarded order is reported on by its forwarder (and staff) only; any other
        order by the bot holding its claim, or by anyone while nobody holds it."""
        if self.forward_state is not None and not by.staff and self.upstream is not None:
            if by.name != Order.forwarder(self.upstream):
                raise ClaimTaken(f"order {self.number} is forwarded to upstream {self.upstream}")
        ensure_holder(self, "order", by, now)

    def claim(self, operator: str, lease: timedelta, now: datetime) -> None:
        """Hand the order (or its next drip-feed run) to the operator for `lease`; refused
        while anyone holds it (the holder renews with `renew_claim`)."""
        self.ensure_unfinished()
        if self.forward_state is not None:
            raise ClaimTaken(f"order {self.number} is forwarded to upstream {self.upstream}")
        if self.claim_held(now):
            raise ClaimTaken(f"order {self.number} is claimed by {self.claimed_by}")
        run = self.run
        if self.is_drip_feed and self.runs is not None and self.run_delivered:
            due = self.next_run_due()
            if due is not None:  # a run is waiting; none waits once all are handed out
                if self.run > 0 and now < due:
                    raise NotDue(f"run {self.run + 1} of order {self.number} is due at {due}")
                run = self.run + 1
        self.record_claim(operator=operator, expires_at=now + lease, run=run, claimed_at=now)

    def renew_claim(self, operator: str, lease: timedelta, now: datetime) -> None:
        """Extend the operator's own claim (even one that ran out, until the sweep releases
        it or another bot takes it); never hands out a new drip-feed run."""
        self.ensure_unfinished()
        if self.claimed_by is None:
            raise InvalidTransition(f"order {self.number} is not claimed: claim it first")
        if self.claimed_by != operator:
            raise ClaimTaken(f"order {self.number} is claimed by {self.claimed_by}")
        self.record_claim(operator=operator, expires_at=now + lease, run=self.run, claimed_at=now)

    def release_claim(self, operator: str | None, now: datetime) -> None:
        """The holder gives the order back (operator given), or, with no operator, a claim
        that has expired is released (the queue's sweep)."""
        if self.claimed_by is None or self.status.is_finished:
            return
        if operator is None and (self.claim_held(now) or self.forward_state is not None):
            return  # renewed since the sweep looked: leave it
        if operator is not None and self.claimed_by != operator:
            raise ClaimTaken(f"order {self.number} is claimed by {self.claimed_by}")
        self.record_claim_released(by=SWEEP.name if operator is None else operator)

    def start(self, start_count: int, by: Reporter, now: datetime) -> None:
        self.ensure_reporter(by, now)
        if self.status is OrderStatus.IN_PROGRESS:
            if self.start_count == start_count:
                return  # the same report again
            raise InvalidTransition(f"order {self.number} has already started")
        self.ensure_unfinished()
        self.record_start(start_count=start_count, by=by.name)

    def report_delivery(self, delivered: int, by: Reporter, now: datetime) -> None:
        """Cumulative progress: never backwards, never beyond what was ordered."""
        self.ensure_reporter(by, now)
        if self.delivered == delivered and (
            self.status is OrderStatus.IN_PROGRESS or self.status.is_finished
        ):
            return
        self.ensure_unfinished()
        if delivered < self.delivered:
            raise InvalidTransition(
                f"delivered {delivered} is below the {self.delivered} already reported"
            )
        if delivered > self.charged_quantity:
            raise InvalidTransition(
                f"delivered {delivered} is more than the {self.charged_quantity} ordered"
            )
        if delivered > self.deliverable:
            raise InvalidTransition(
                f"delivered {delivered} is more than the {self.deliverable} of the "
                f"{self.run} run(s) handed out so far"
            )
        self.record_delivery(delivered=delivered, by=by.name)

    def complete(self, by: Reporter, now: datetime) -> Decimal | None:
        """Nothing goes back: returns the refund (zero), None if it was already complete."""
        self.ensure_reporter(by, now)
        if self.status is OrderStatus.COMPLETED:
            return None
        self.ensure_unfinished()
        return self.finish(Order.Completed, ZERO, by)

    def stop_partial(self, remains: int, by: Reporter, now: datetime) -> Decimal | None:
        """Stop a started order; the share that was not delivered goes back."""
        self.ensure_reporter(by, now)
        if self.status is OrderStatus.PARTIAL and self.remains == remains:
            return None
        self.ensure_unfinished()
        if not 0 < remains <= self.remains:
            raise InvalidTransition(
                f"remains must be between 1 and {self.remains} for order {self.number}"
            )
        refund = share_of(self.charge, remains, self.charged_quantity)
        return self.finish(Order.PartiallyCompleted, refund, by, remains=remains)

    def cancel(self, by: Reporter, now: datetime) -> Decimal | None:
        """Cancel an order nothing was delivered of: the whole charge goes back."""
        self.ensure_reporter(by, now)
        if self.status is OrderStatus.CANCELED:
            return None
        self.ensure_unfinished()
        if self.delivered:
            raise InvalidTransition(
                f"order {self.number} has delivered {self.delivered}: stop it as partial"
            )
        return self.finish(Order.Canceled, self.net_charge, by)

    def fail(self, reason: str, by: Reporter, now: datetime) -> Decimal | None:
        self.ensure_reporter(by, now)
        if self.status is OrderStatus.FAILED:
            return None
        self.ensure_unfinished()
        return self.finish(Order.Failed, self.net_charge, by, reason=reason)

    def refund(self, by: Reporter, now: datetime) -> Decimal | None:
        """Refund a finished order in full (what a Partial already refunded is not repaid)."""
        self.ensure_reporter(by, now)
        if self.status is OrderStatus.REFUNDED:
            return None
        if self.status not in REFILLABLE:
            raise InvalidTransition(
                f"only a completed or partial order can be refunded, not {self.status.value}"
            )
        return self.finish(Order.Refunded, self.net_charge, by)

    def finish(
        self, event_class: type[Order.Finished], refund: Decimal, by: Reporter, **facts: Any
    ) -> Decimal:
        self.trigger_event(event_class, refund=refund, by=by.name, **facts)
        return refund

    def report_post(
        self,
        post: str,
        quantity: int,
        rate: Callable[[], Decimal],
        payer: Account,
        by: Reporter,
        now: datetime,
    ) -> bool:
        """A subscription's post delivered, charged to `payer` at `rate()` (asked only when it
        is charged); False (nothing recorded) for the same report again. The order completes
        by itself when its posts are used up."""
        self.ensure_subscription()
        self.ensure_reporter(by, now)
        if post in self.posts:
            if self.posts[post] == quantity:
                return False  # the same report again
            raise InvalidTransition(
                f"post {post} was already reported with quantity {self.posts[post]}"
            )
        self.ensure_unfinished()
        ends_at = self.subscription_ends_at()
        if ends_at is not None and now >= ends_at:
            raise InvalidTransition(f"subscription {self.number} expired at {ends_at}")
        low, high = int(self.details["min"]), int(self.details["max"])
        if not low <= quantity <= high:
            raise InvalidTransition(f"quantity per post must be between {low} and {high}")
        charge = charge_for(rate(), quantity, flat=False)
        self.record_post(post=post, quantity=quantity, charge=charge, by=by.name)
        payer.charge(order_number=self.number, amount=charge)  # NotEnoughFunds: none is saved
        if self.posts_left == 0:
            self.trigger_event(Order.Completed, refund=ZERO, by=by.name)
        return True

    def end_subscription(self, by: Reporter, now: datetime) -> bool:
        """Complete a subscription whose expiry has passed (what it charged stays charged);
        False if it had already ended."""
        self.ensure_subscription()
        if self.status.is_finished:
            return False
        ends_at = self.subscription_ends_at()
        if ends_at is None or now < ends_at:
            raise InvalidTransition(f"subscription {self.number} has not expired")
        self.trigger_event(Order.Completed, refund=ZERO, by=by.name)
        return True

    def request_cancel(self, cancelable: bool) -> None:
        """The network asks to cancel (`cancelable`: its service allows it); fulfilment
        decides how the order ends."""
        if not cancelable or self.status.is_finished:
            raise OrderNotCancelable(str(self.number))
        if not self.cancel_requested:
            self.record_cancel_request()

    def request_refill(
        self, refill_days: int | None, now: datetime, refill_number: Callable[[], int]
    ) -> Refill:
        """The refill the network asks for, numbered `refill_number()` (asked only once the
        order may have one): a finished order `refill_days` into its window at most (None:
        its service gives no refills), without another refill open."""
        eligible = (
            refill_days is not None
            and self.status in REFILLABLE
            and self.finished_at is not None
            and now - self.finished_at <= timedelta(days=refill_days)
            and self.open_refill is None
        )
        if not eligible:
            raise OrderNotRefillable(str(self.number))
        refill = Refill(
            number=refill_number(), order_number=self.number, account_id=self.account_id
        )
        self.record_refill_request(refill.number)
        return refill

    class Claimed(Aggregate.Event):
        operator: str
        expires_at: datetime
        run: int
        claimed_at: datetime | None

    @event(Claimed)
    def record_claim(
        self,
        operator: str,
        expires_at: datetime,
        run: int = 0,
        claimed_at: datetime | None = None,
    ) -> None:
        if self.status is OrderStatus.PENDING:
            self.status = OrderStatus.PROCESSING
        self.claimed_by = operator
        self.claim_expires_at = expires_at
        if run > self.run:  # this claim handed out the next drip-feed run
            self.run = run
            self.run_handed_at = claimed_at

    # `by` on a report names who made it (a bot, "staff", "sweep"); events stored before it
    # was recorded have none, and load with the default "" of the command method (the event
    # classes give their fields no defaults, as the classes the old `@event("Name")` made).

    class ClaimReleased(Aggregate.Event):
        by: str

    @event(ClaimReleased)
    def record_claim_released(self, by: str = "") -> None:
        if self.status is OrderStatus.PROCESSING:
            self.status = OrderStatus.PENDING  # back in the queue; the network sees it waiting
        self.claimed_by = None
        self.claim_expires_at = None

    class Started(Aggregate.Event):
        start_count: int
        by: str

    @event(Started)
    def record_start(self, start_count: int, by: str = "") -> None:
        self.status = OrderStatus.IN_PROGRESS
        self.start_count = start_count

    class DeliveryReported(Aggregate.Event):
        delivered: int
        by: str

    @event(DeliveryReported)
    def record_delivery(self, delivered: int, by: str = "") -> None:
        self.status = OrderStatus.IN_PROGRESS
        self.delivered = delivered
        if self.is_drip_feed and self.runs is not None and 0 < self.run < self.runs:
            if self.run_delivered:  # this run is done; the next is handed out when due
                self.claimed_by = None
                self.claim_expires_at = None

    class PostDelivered(Aggregate.Event):
        post: str
        quantity: int
        charge: Decimal
        by: str

    @event(PostDelivered)
    def record_post(self, post: str, quantity: int, charge: Decimal, by: str = "") -> None:
        self.status = OrderStatus.IN_PROGRESS
        self.posts[post] = quantity
        self.delivered += quantity
        self.charged_quantity += quantity
        self.charge += charge

    class Finished(Aggregate.Event):
        """Base of the events that end an order; refund is what goes back to the account."""

        refund: Decimal
        by: str = field(default="", kw_only=True)  # keyword-only: subclasses add facts after it

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Order)
            aggregate.status = self.final_status()
            aggregate.refunded += self.refund
            aggregate.finished_at = self.timestamp
            aggregate.claimed_by = None
            aggregate.claim_expires_at = None

        def final_status(self) -> OrderStatus:
            raise NotImplementedError

    class Completed(Finished):
        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Order)
            aggregate.delivered = aggregate.charged_quantity
            super().apply(aggregate)

        def final_status(self) -> OrderStatus:
            return OrderStatus.COMPLETED

    class PartiallyCompleted(Finished):
        remains: int

        def apply(self, aggregate: Aggregate) -> None:
            assert isinstance(aggregate, Order)
            aggregate.delivered = aggregate.charged_quantity - self.remains
            super().apply(aggregate)

        def final_status(self) -> OrderStatus:
            return OrderStatus.PARTIAL

    class Canceled(Finished):
        def final_status(self) -> OrderStatus:
            return OrderStatus.CANCELED

    class Failed(Finished):
        reason: str

        def final_status(self) -> OrderStatus:
            return OrderStatus.FAILED

    class Refunded(Finished):
        def final_status(self) -> OrderStatus:
            return OrderStatus.REFUNDED

    class CancelRequested(Aggregate.Event):
        pass

    @event(CancelRequested)
    def record_cancel_request(self) -> None:
        self.cancel_requested = True

    class RefillRequested(Aggregate.Event):
        refill_number: int

    @event(RefillRequested)
    def record_refill_request(self, refill_number: int) -> None:
        self.open_refill = refill_number

    class RefillClosed(Aggregate.Event):
        refill_number: int
        by: str

    @event(RefillClosed)
    def record_refill_closed(self, refill_number: int, by: str = "") -> None:
        if self.open_refill == refill_number:
            self.open_refill = None

    # ---- forwarding to an upstream provider: what was sent, and what came of it -----------

    class ForwardAttempted(Aggregate.Event):
        """Recorded (and committed) before the order is sent: a crash after it leaves the
        outcome unknown, and an unknown outcome is never sent again by itself."""

        upstream: str
        upstream_service: int
        attempt: int

    @event(ForwardAttempted)
    def record_forward_attempt(self, upstream: str, upstream_service: int, attempt: int) -> None:
        self.upstream = upstream
        self.forward_state = ForwardState.SENDING
        self.forward_attempts = attempt
        self.doubt = ""
        if self.status is OrderStatus.PENDING:
            self.status = OrderStatus.PROCESSING
        self.claimed_by = Order.forwarder(upstream)
        self.claim_expires_at = None  # nobody's lease: the sweep never hands it back

    class Forwarded(Aggregate.Event):
        upstream_order: str

    @event(Forwarded)
    def record_forwarded(self, upstream_order: str) -> None:
        self.forward_state = ForwardState.FORWARDED
        self.upstream_order = upstream_order

    class ForwardNotPlaced(Aggregate.Event):
        """The upstream did not take the order (no funds, busy, or it refused it)."""

        reason: str

    @event(ForwardNotPlaced)
    def record_forward_not_placed(self, reason: str) -> None:
        self.forward_state = None
        self.back_in_queue()

    class ForwardInDoubt(Aggregate.Event):
        reason: str

    @event(ForwardInDoubt)
    def record_forward_in_doubt(self, reason: str) -> None:
        self.forward_state = ForwardState.IN_DOUBT
        self.doubt = reason

    class UpstreamOrderAttached(Aggregate.Event):
        """An operator says which upstream order this one is."""

        upstream_order: str
        by: str

    @event(UpstreamOrderAttached)
    def record_upstream_order_attached(self, upstream_order: str, by: str) -> None:
        self.forward_state = ForwardState.FORWARDED
        self.upstream_order = upstream_order
        self.doubt = ""

    class ForwardReopened(Aggregate.Event):
        """An operator says the upstream never placed it: it may be forwarded again."""

        by: str

    @event(ForwardReopened)
    def record_forward_reopened(self, by: str) -> None:
        self.forward_state = None
        self.upstream_order = None
        self.doubt = ""
        self.back_in_queue()

    class UpstreamCostReported(Aggregate.Event):
        """What the upstream charges for the order now (lower after its own refund)."""

        cost: Decimal
        currency: str

    @event(UpstreamCostReported)
    def record_upstream_cost(self, cost: Decimal, currency: str) -> None:
        self.upstream_cost = cost
        self.upstream_currency = currency

    # ---- forwarding: the forwarder's commands, then the operators' ------------------------

    def begin_forward(self, upstream: str, upstream_service: int, now: datetime) -> None:
        """Take the waiting order for `upstream`: recorded (and committed) before it is sent.
        Only a Pending order nobody holds; never one sent, being sent or in doubt."""
        self.ensure_unfinished()
        if self.forward_state is not None:
            raise ClaimTaken(
                f"order {self.number} is already {self.forward_state.value} (upstream "
                f"{self.upstream})"
            )
        if self.claim_held(now):
            raise ClaimTaken(f"order {self.number} is claimed by {self.claimed_by}")
        if self.status is not OrderStatus.PENDING or self.delivered:
            raise InvalidTransition(
                f"order {self.number} is {self.status.value}: only a waiting order is forwarded"
            )
        self.record_forward_attempt(
            upstream=upstream, upstream_service=upstream_service, attempt=self.forward_attempts + 1
        )

    def forward_placed(self, upstream_order: str) -> None:
        """The upstream answered the attempt with its order id; also when the answer comes
        after the attempt was put in doubt (it ends the doubt)."""
        if self.forward_state is ForwardState.FORWARDED and self.upstream_order == upstream_order:
            return
        sending = self.forward_state is ForwardState.SENDING
        late = self.forward_state is ForwardState.IN_DOUBT and self.upstream_order is None
        if not (sending or late):
            raise InvalidTransition(f"order {self.number} is not being forwarded")
        self.record_forwarded(upstream_order=upstream_order)

    def forward_not_placed(self, reason: str) -> None:
        """The upstream did nothing with the attempt: the order waits again."""
        if self.forward_state is not ForwardState.SENDING:
            raise InvalidTransition(f"order {self.number} is not being forwarded")
        self.record_forward_not_placed(reason=reason)

    def refuse_forward(self, reason: str, by: Reporter, now: datetime) -> Decimal | None:
        """The upstream refused the order itself: Failed with its reason, fully refunded
        (only not placed, if it had ended here meanwhile)."""
        self.forward_not_placed(reason)
        if self.status.is_finished:
            return None
        return self.fail(reason, by, now)

    def put_in_doubt(self, reason: str) -> None:
        """Nobody knows whether (or as what) the upstream has the order: an operator must
        find out. Never sent again by itself."""
        if self.forward_state is ForwardState.IN_DOUBT:
            return
        if self.forward_state not in (ForwardState.SENDING, ForwardState.FORWARDED):
            raise InvalidTransition(f"order {self.number} is not forwarded")
        self.record_forward_in_doubt(reason=reason)

    def interrupt_forward(self, reason: str) -> None:
        """The attempt's forwarder stopped before it recorded the outcome: in doubt. Only
        while it is still being sent: an outcome recorded meanwhile (which a lagging read
        model does not show yet) stands."""
        if self.forward_state is not ForwardState.SENDING:
            raise InvalidTransition(f"order {self.number} is not being forwarded")
        self.record_forward_in_doubt(reason=reason)

    def report_upstream_cost(self, cost: Decimal, currency: str) -> bool:
        """What the upstream charges for the order now; False (nothing recorded) if that is
        what it said before."""
        if cost == self.upstream_cost and currency == self.upstream_currency:
            return False
        if cost < 0:
            raise InvalidTransition(f"an upstream cost cannot be negative: {cost}")
        self.record_upstream_cost(cost=cost, currency=currency)
        return True

    def note_cancel_forwarded(self, answer: str) -> bool:
        """The network's cancel request went to the upstream (`answer`: what it said); the
        order's end comes with its status. False if it had been passed on already."""
        if self.cancel_forwarded:
            return False
        if self.forward_state is not ForwardState.FORWARDED or not self.cancel_requested:
            raise InvalidTransition(f"order {self.number} has no cancel request to pass on")
        self.record_cancel_forwarded(answer=answer)
        return True

    def attach_upstream_order(self, upstream_order: str, by: str) -> None:
        """An operator found the order at the upstream: it is forwarded as `upstream_order`."""
        upstream_order = upstream_order.strip()
        if not upstream_order:
            raise InvalidTransition("the upstream order id is empty")
        if self.forward_state is ForwardState.FORWARDED and self.upstream_order == upstream_order:
            return
        if self.forward_state is not ForwardState.IN_DOUBT:
            raise InvalidTransition(f"order {self.number} is not in doubt")
        self.record_upstream_order_attached(upstream_order=upstream_order, by=by)

    def reopen_forward(self, by: str) -> None:
        """An operator found the upstream never placed it: it waits to be forwarded again."""
        if self.forward_state is not ForwardState.IN_DOUBT:
            raise InvalidTransition(f"order {self.number} is not in doubt")
        self.ensure_unfinished()
        if self.delivered or self.status is OrderStatus.IN_PROGRESS:
            raise InvalidTransition(
                f"order {self.number} has started at the upstream: attach it or end it"
            )
        self.record_forward_reopened(by=by)

    class CancelForwarded(Aggregate.Event):
        answer: str

    @event(CancelForwarded)
    def record_cancel_forwarded(self, answer: str) -> None:
        self.cancel_forwarded = True

    def back_in_queue(self) -> None:
        self.claimed_by = None
        self.claim_expires_at = None
        if self.status is OrderStatus.PROCESSING:
            self.status = OrderStatus.PENDING
