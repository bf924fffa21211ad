"""The forwarder: sends the waiting orders of linked services to their upstreams, exactly
once, and follows each forwarded order's status there.

Exactly once: an order is sent only by the forwarder whose `ForwardAttempted` of it committed
(two racing for one order conflict on its version; the loser finds it taken), and an attempt
whose outcome is not known (no answer, or the process died between sending and recording) is
never sent again by itself: the order is put in doubt for an operator (`orders attach`,
`orders forward --again`). A known "nothing was done" (refused funds, 429/503, a refused
connection) puts the order back in the queue.

One forwarder leads at a time (cli/forwarder.py); each `round` does a share of the work and
returns, so the loop around it can stop between any two orders.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from orderledger.application.forward_outcomes import Outcome, backed_off, outcome_of
from orderledger.application.forwards import forwarder
from orderledger.application.ledger import Ledger
from orderledger.application.linked import Link, LinkedServices
from orderledger.domain.claims import utc_now
from orderledger.domain.errors import InvalidTransition, LedgerError, UnknownOrder
from orderledger.domain.forward_fields import add_fields
from orderledger.domain.order import ForwardState, Order
from orderledger.domain.refill import Refill, RefillStatus
from orderledger.domain.upstream import Upstream
from orderledger.projections.work_queue import ORDER, micros
from orderledger.storage.database import Database
from orderledger.storage.upstream_checks import UpstreamChecks
from orderledger.upstream.answers import NotFound, StatusAnswer
from orderledger.upstream.errors import BackOff, FundsShort, Refused, UpstreamError
from orderledger.views import forwards
from orderledger.views import work_queue as queue

log = logging.getLogger(__name__)

FIRST_PAUSE = timedelta(seconds=1)  # an upstream that backs us off: the first wait
LONGEST_PAUSE = timedelta(minutes=2)
FUNDS_FIRST_WAIT = timedelta(seconds=30)  # funds short: the first retry, doubling
FUNDS_LONGEST_WAIT = timedelta(minutes=15)
INTERRUPTED = "interrupted: the forwarder stopped before it recorded the outcome"
LINK_BUSY_WAIT = timedelta(minutes=1)  # the upstream has an active order with the same link
PER_ROUND = 100  # orders sent per round at most: a round ends often, to stop or to sync


class Client(Protocol):
    def add(self, fields: Mapping[str, str]) -> str: ...
    def status_many(self, ids: Sequence[str]) -> Mapping[str, Any]: ...
    def cancel_many(self, ids: Sequence[str]) -> Any: ...
    def refill(self, order_id: str) -> str: ...
    def refill_status_many(self, ids: Sequence[str]) -> Mapping[str, Any]: ...
    def balance(self) -> Any: ...


@dataclass(frozen=True)
class Standing:
    """For the metrics: each upstream's (short of funds, backing us off), and the outcomes
    of the orders sent since the last look."""

    upstreams: dict[str, tuple[bool, bool]]
    outcomes: dict[str, int]


@dataclass
class Pause:
    until: datetime
    length: timedelta


class Forwarder:
    def __init__(
        self,
        ledger: Ledger,
        db: Database,
        clients: Callable[[str], Client],
        clock: Callable[[], datetime] = utc_now,
        sync_every: float = 60.0,
    ) -> None:
        self.ledger = ledger
        self.db = db
        self.clients = clients
        self.clock = clock
        self.sync_every = timedelta(seconds=sync_every)
        self.links = LinkedServices(db)
        self.checks = UpstreamChecks(db)
        self.paused: dict[str, Pause] = {}  # upstreams that backed us off, until when
        self.funds_wait: dict[str, timedelta] = {}
        # Outcomes known but not yet recorded (the database was away): recorded first.
        self.unrecorded: dict[int, Callable[[], object]] = {}  # by order
        self.refills_unrecorded: dict[int, Callable[[], object]] = {}  # by refill
        self.unsent: set[int] = set()  # attempts whose recording failed: never sent
        self.synced_at: datetime | None = None
        self.should_stop: Callable[[], bool] = lambda: False  # checked between two orders
        self.outcomes: dict[str, int] = {}
        self.refills_unanswered: set[int] = set()
        self.later: dict[int, datetime] = {}  # orders to try again only after a while
        self.ended: set[str] = set()  # orders whose last answer ended them: checks to drop
        self.upstreams: dict[str, Upstream | None] = {}

    # ---- one round -----------------------------------------------------------------------

    def round(self) -> int:
        """Settle what an earlier forwarder left, send up to PER_ROUND waiting orders, pass
        on cancel requests, and poll the upstreams when a sync is due; the orders sent."""
        self.upstreams.clear()
        self.record_unrecorded()
        self.settle_interrupted()
        links = self.links.current()
        sent = self.forward_waiting(links)
        self.forward_cancels()
        now = self.clock()
        due = self.synced_at is None or now - self.synced_at >= self.sync_every
        self.forward_refills(sync=due)
        if due:
            self.sync(now)
            self.synced_at = now
        return sent

    def record_unrecorded(self) -> None:
        for kept in (self.unrecorded, self.refills_unrecorded):
            for number, record in list(kept.items()):
                del kept[number]
                self.recording(number, record, kept)

    def settle_interrupted(self) -> None:
        """An attempt still `sending` that this forwarder is not holding was left by one that
        stopped between sending and recording: in doubt (or, if it is known it was never
        sent, back in the queue)."""
        for number in forwards.interrupted(self.db):
            if number in self.unrecorded:
                continue
            try:
                if number in self.unsent:
                    self.ledger.forward_not_placed(number, "the attempt was never sent")
                else:
                    self.ledger.forward_interrupted(number, INTERRUPTED)
            except (InvalidTransition, UnknownOrder):
                pass  # the read model lagged: its outcome was recorded (by this forwarder)
            self.unsent.discard(number)

    # ---- sending -------------------------------------------------------------------------

    def forward_waiting(self, links: Mapping[int, Link]) -> int:
        if not links:
            return 0
        sent, after = 0, 0
        while sent < PER_ROUND:
            page = queue.claimable(self.db, ORDER, self.clock(), after, sorted(links))
            if not page:
                break
            for number in page:
                after = number
                if self.should_stop():
                    return sent
                if not self.forwarding(number, links):
                    continue
                sent += 1
                if sent >= PER_ROUND:
                    break
        return sent

    def forwarding(self, number: int, links: Mapping[int, Link]) -> bool:
        """Send one order if it is still waiting; False if it was not sent."""
        if number in self.later:
            if self.clock() < self.later[number]:
                return False
            del self.later[number]
        order = self.ledger.order(number)
        if order is None or order.service_number not in links:
            return False
        link = links[order.service_number]
        if self.held(link.upstream):
            return False
        try:
            order = self.ledger.begin_forward(number, link.upstream, link.upstream_service)
        except (InvalidTransition, LedgerError):
            return False  # taken, started, finished, or canceled instead: not ours to send
        except Exception:
            self.unsent.add(number)  # it may have committed; if so it was never sent
            raise
        self.unsent.discard(number)  # committed: its outcome settles it from here
        if order.forward_state is not ForwardState.SENDING:
            return False
        self.send(order, link)
        return True

    def send(self, order: Order, link: Link) -> None:
        try:
            # Read from the database (the upstream's URL, its key): a failure is before
            # anything was sent, which an outcome caught below could no longer tell.
            client = self.clients(link.upstream)
        except BackOff as error:  # no URL or key to send with
            outcome = backed_off(error)
        except Exception:
            self.unsent.add(order.number)
            raise
        else:
            outcome = outcome_of(lambda: client.add(add_fields(order, link.upstream_service)))
        self.record(order.number, link.upstream, outcome)

    def record(self, number: int, upstream: str, outcome: Outcome) -> None:
        self.outcomes[outcome.kind] = self.outcomes.get(outcome.kind, 0) + 1
        self.recording(number, self.recorder(number, upstream, outcome))

    def recording(
        self,
        number: int,
        record: Callable[[], object],
        kept: dict[int, Callable[[], object]] | None = None,
    ) -> None:
        """Record an outcome; one the database did not take is kept (with the orders', or
        `kept`: the refills') to record first in the next round: its order stays `sending`
        meanwhile, never sent again, and its refill is not asked for again."""
        kept = self.unrecorded if kept is None else kept
        what = "order" if kept is self.unrecorded else "refill"
        try:
            record()
        except LedgerError as error:  # it moved on meanwhile (staff ended it, say)
            log.error(
                "%s %s: the upstream's outcome could not be recorded: %s", what, number, error
            )
        except Exception:
            kept[number] = record
            raise

    def recorder(self, number: int, upstream: str, outcome: Outcome) -> Callable[[], object]:
        ledger = self.ledger
        match outcome.kind:
            case "placed":
                self.funds_back(upstream)
                return lambda: ledger.record_forwarded(number, outcome.value)
            case "funds":
                self.upstreams.pop(upstream, None)
                retry_at = self.funds_short(upstream)
                return lambda: ledger.forward_short_of_funds(
                    number, upstream, outcome.value, retry_at
                )
            case "refused":
                return lambda: ledger.forward_refused(number, outcome.value)
            case "back off":
                self.pause(upstream, outcome.retry_after)
                return lambda: ledger.forward_not_placed(number, outcome.value)
            case "link busy":
                self.later[number] = self.clock() + LINK_BUSY_WAIT
                return lambda: ledger.forward_not_placed(number, outcome.value)
        return lambda: ledger.forward_in_doubt(number, outcome.value)

    def standing(self) -> Standing:
        now = self.clock()
        names = {link.upstream for link in self.links.current().values()} | set(self.paused)
        upstreams = {
            name: (self.short(name), name in self.paused and now < self.paused[name].until)
            for name in sorted(names)
        }
        outcomes, self.outcomes = self.outcomes, {}
        return Standing(upstreams, outcomes)

    # ---- an upstream's pauses ------------------------------------------------------------

    def held(self, upstream: str) -> bool:
        """Orders of this upstream wait: it backed us off, or it is short of funds."""
        now = self.clock()
        pause = self.paused.get(upstream)
        if pause is not None and now < pause.until:
            return True
        source = self.upstream(upstream)
        if source is None:
            return True  # linked to an upstream that is not there: nothing to send to
        return bool(source.funds_short and source.retry_at is not None and now < source.retry_at)

    def pause(self, upstream: str, retry_after: float | None) -> None:
        previous = self.paused.get(upstream)
        length = min(previous.length * 2, LONGEST_PAUSE) if previous else FIRST_PAUSE
        if retry_after:
            length = max(length, timedelta(seconds=retry_after))
        self.paused[upstream] = Pause(self.clock() + length, length)
        log.warning("upstream %s backs off: waiting %s", upstream, length)

    def funds_short(self, upstream: str) -> datetime:
        previous = self.funds_wait.get(upstream)
        wait = min(previous * 2, FUNDS_LONGEST_WAIT) if previous else FUNDS_FIRST_WAIT
        self.funds_wait[upstream] = wait
        return self.clock() + wait

    def funds_back(self, upstream: str) -> None:
        self.paused.pop(upstream, None)
        if self.funds_wait.pop(upstream, None) is not None or self.short(upstream):
            self.ledger.upstream_funds_restored(upstream)
            self.upstreams.pop(upstream, None)

    def upstream(self, name: str) -> Upstream | None:
        """The upstream as this round read it (each round reads it once)."""
        if name not in self.upstreams:
            self.upstreams[name] = self.ledger.upstream(name)
        return self.upstreams[name]

    def short(self, upstream: str) -> bool:
        source = self.upstream(upstream)
        return bool(source is not None and source.funds_short)

    # ---- cancels -------------------------------------------------------------------------

    def forward_cancels(self) -> None:
        """The network's cancel requests of forwarded orders go to their upstream once."""
        by_upstream: dict[str, dict[str, int]] = {}
        for number in queue.cancel_requests(self.db):
            order = self.ledger.order(number)
            if order is None or order.upstream is None or order.upstream_order is None:
                continue
            if order.forward_state is not ForwardState.FORWARDED:
                continue
            if order.cancel_forwarded or self.held(order.upstream):
                continue
            by_upstream.setdefault(order.upstream, {})[order.upstream_order] = number
        for upstream, numbers in by_upstream.items():
            try:
                answers = self.clients(upstream).cancel_many(list(numbers))
            except BackOff as error:
                self.pause(upstream, error.retry_after)
                continue
            except UpstreamError as error:
                log.warning("upstream %s: cancel failed: %s", upstream, error)
                continue
            for upstream_order, number in numbers.items():
                said = answers.get(upstream_order) if isinstance(answers, Mapping) else None
                self.ledger.record_cancel_forwarded(number, str(said or "sent"))

    # ---- refills ------------------------------------------------------------------------

    def forward_refills(self, sync: bool) -> None:
        """Ask the upstream for each refill of a forwarded order, and (`sync`) follow the
        status of those it took. A refill whose request had no answer is asked again at
        the next sync: the upstream keeps one open refill per order, so a second request
        of one it took is refused, and that refusal is recorded as its rejection."""
        polled: dict[str, dict[str, int]] = {}
        for number in queue.upstream_refills(self.db):
            if self.should_stop():
                return
            try:
                refill = self.ledger.refill(number)
            except LedgerError:
                continue
            if refill.upstream is None or refill.status.is_finished or self.held(refill.upstream):
                continue
            if refill.upstream_refill is not None:
                polled.setdefault(refill.upstream, {})[refill.upstream_refill] = number
            elif sync or number not in self.refills_unanswered:
                self.send_refill(refill)
        if sync:
            for upstream, numbers in polled.items():
                self.follow_refills(upstream, numbers)

    def send_refill(self, refill: Refill) -> None:
        assert refill.upstream is not None
        order = self.ledger.order(refill.order_number)
        if order is None or order.upstream_order is None:
            return
        by = forwarder(refill.upstream)
        try:
            upstream_refill = self.clients(refill.upstream).refill(order.upstream_order)
        except (FundsShort, Refused) as error:
            self.ledger.reject_refill(refill.number, error.reason, by)
        except BackOff as error:
            self.pause(refill.upstream, error.retry_after)
        except UpstreamError as error:
            log.warning("refill %s: no answer from %s: %s", refill.number, refill.upstream, error)
            self.refills_unanswered.add(refill.number)
        else:
            self.refills_unanswered.discard(refill.number)
            # Not lost if the database is away: asked again, the upstream would refuse it.
            self.recording(
                refill.number,
                lambda: self.ledger.record_refill_forwarded(refill.number, upstream_refill),
                self.refills_unrecorded,
            )

    def follow_refills(self, upstream: str, numbers: Mapping[str, int]) -> None:
        ids = list(numbers)
        for start in range(0, len(ids), forwards.BATCH):
            batch = ids[start : start + forwards.BATCH]
            try:
                answers = self.clients(upstream).refill_status_many(batch)
            except BackOff as error:
                self.pause(upstream, error.retry_after)
                return
            except UpstreamError as error:
                log.warning("upstream %s: refill status failed: %s", upstream, error)
                return
            for upstream_refill in batch:
                said = answers.get(upstream_refill)
                if not isinstance(said, RefillStatus):
                    log.warning(
                        "refill %s: unreadable status at %s: %s",
                        numbers[upstream_refill],
                        upstream,
                        said,
                    )
                    continue
                try:
                    self.ledger.follow_upstream_refill(numbers[upstream_refill], said)
                except LedgerError as error:
                    log.warning(
                        "refill %s: cannot follow %s: %s", numbers[upstream_refill], said, error
                    )

    # ---- status sync ---------------------------------------------------------------------

    def sync(self, now: datetime) -> None:
        """Ask each upstream about every forwarded order once, a batch of at most 100 at a
        time, the longest unasked first; one order's bad answer holds up no other."""
        # Orders that ended at the last sync: the read model has them ended by now, so their
        # checks can go (forgotten at once, one lagging there would be asked again at once).
        self.checks.forget(self.ended)
        self.ended.clear()
        for upstream in forwards.forwarding_upstreams(self.db):
            if self.should_stop():
                return
            if self.paused.get(upstream) and now < self.paused[upstream].until:
                continue
            self.sync_upstream(upstream, micros(now))

    def sync_upstream(self, upstream: str, round_started: int) -> None:
        while not self.should_stop():
            batch = forwards.due_for_check(self.db, upstream, round_started)
            if not batch:
                return
            try:
                answers = self.clients(upstream).status_many([p.upstream_order for p in batch])
            except BackOff as error:
                self.pause(upstream, error.retry_after)
                return
            except UpstreamError as error:
                log.warning("upstream %s: status failed: %s", upstream, error)
                return
            for polled in batch:
                if self.follow(polled, answers.get(polled.upstream_order)):
                    self.ended.add(polled.order_id)
            self.checks.mark([p.order_id for p in batch], round_started)

    def follow(self, polled: forwards.Polled, answer: object) -> bool:
        """Record what the answer says of the order; True if the order has ended."""
        try:
            if isinstance(answer, StatusAnswer):
                return self.ledger.follow_upstream(polled.number, answer).status.is_finished
            elif isinstance(answer, NotFound):
                self.ledger.forward_in_doubt(
                    polled.number,
                    f"the upstream knows no order {polled.upstream_order} (Incorrect order ID)",
                )
            else:
                reason = getattr(answer, "reason", "") or "no answer for it"
                self.ledger.forward_in_doubt(
                    polled.number, f"unreadable status of {polled.upstream_order}: {reason}"
                )
        except (InvalidTransition, LedgerError) as error:
            self.ledger.forward_in_doubt(
                polled.number, f"status {polled.upstream_order} cannot be followed: {error}"
            )
        except Exception:
            log.exception("order %s: its upstream status could not be recorded", polled.number)
        return False
