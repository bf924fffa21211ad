"""The ledger application's foundation: loading aggregates and saving with retries.

Each command loads the aggregates it decides on, decides, and saves every aggregate it changed
in one call to `save()`, which is one transaction: all of a command's events or none. Two
commands that change the same aggregate at once conflict (optimistic concurrency); the loser
reloads and decides again, so a balance can never be spent twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from copy import deepcopy
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    LRUCache,
    ProcessingEvent,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import EventStore, IntegrityError, Recording, StoredEvent, Transcoder

from orderledger.domain.account import Account
from orderledger.domain.active_link import ActiveLink
from orderledger.domain.errors import UnknownAccount, UnknownOrder, UnknownRefill
from orderledger.domain.ids import account_id, active_link_id, order_id, refill_id, service_id
from orderledger.domain.order import Order
from orderledger.domain.refill import Refill
from orderledger.domain.sequences import NumberSequence
from orderledger.domain.service import Service
from orderledger.domain.snapshots import SnapshotMapper, faithful_snapshot
from orderledger.domain.transcoder import ledger_transcoder

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)

CONFLICT_RETRIES = 200

# Accounts collect an event per charge; a snapshot every so many of their events keeps a cold
# load short. Any aggregate type may be given an interval (`ledger.snapshot_every`).
SNAPSHOT_EVERY: Mapping[type[Aggregate], int] = {Account: 200}
# The catalogue's services read for pricing (see `LedgerBase.services`); the real catalogue
# has about 5,600.
SERVICES_IN_HAND = 10_000

log = logging.getLogger(__name__)


def apply_events(aggregate: Any, events: Iterable[Any]) -> Any:
    """eventsourcing's `project_aggregate` without its per-event `isinstance` check against a
    runtime Protocol, which Python 3.11 answers slowly (a sixth of loading an Account)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class LedgerBase(Application[UUID]):
    # Snapshots are taken by `save` from the aggregate in hand (see `snapshot_in_hand`).
    is_snapshotting_enabled = True

    def __init__(self, sequences: NumberSequence, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.snapshot_every: dict[type[Aggregate], int] = dict(SNAPSHOT_EVERY)
        self.sequences = sequences
        # Which of many aggregates exist, in one query, where the store can tell (set by the
        # storage layer); None means "load each to find out".
        self.existing_ids: Callable[[Collection[UUID]], set[UUID] | None] = lambda ids: None
        # The events of many aggregates past given versions, in one query, where the store
        # can (set by the storage layer); None means "fast-forward each on its own".
        self.newer_events: Callable[[Mapping[UUID, int]], list[StoredEvent]] | None = None
        # Services as read for pricing, never changed once here (see `services`).
        self.services_in_hand: LRUCache[UUID, Service] = LRUCache(SERVICES_IN_HAND)

    def construct_transcoder(self) -> Transcoder:
        return ledger_transcoder()

    def construct_snapshot_store(self) -> EventStore[UUID]:
        """Snapshots read through a mapper that gives their attributes their types back."""
        mapper = SnapshotMapper(self.mapper.transcoder, self.mapper.compressor, self.mapper.cipher)
        recorder = self.factory.aggregate_recorder(purpose="snapshots")
        return self.factory.event_store(mapper=mapper, recorder=recorder)

    # ---- saving --------------------------------------------------------------------------

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """`Application.save`, for aggregates only.

        The library's `save` sorts what it is given into events and aggregates with two
        `isinstance` checks against runtime Protocols per object, which Python 3.11 answers
        slowly: a fifth of the CPU of saving an `add` batch (its 33 aggregates). Every
        command here saves aggregates, so their events are collected directly; the rest is
        the library's own sequence of steps, with snapshots taken from the aggregates in hand.
        """
        processing = ProcessingEvent[UUID]()
        for obj in objs:
            if obj is None:  # as the library's save allows
                continue
            processing.events.extend(obj.collect_events())
            processing.aggregates[obj.id] = obj
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self.snapshot_in_hand(processing)
        self._notify(recordings)
        self.notify(processing.events)  # deprecated, but still called by the library's save
        return recordings

    def keep_in_hand(self, aggregate: Aggregate) -> None:
        """Make an aggregate just saved the repository's cached copy, for the next load to
        fast-forward from.

        eventsourcing caches what is saved only when it does not fast-forward; with
        fast-forwarding, the next load of an `add` batch's Account read back and decoded the
        batch's own `Charged` events, one per order. A load still reads whatever anyone
        recorded after this version, and hands out a copy."""
        if self.repository.cache is not None:
            self.repository.cache.put(aggregate.id, aggregate)

    def save_changed(self, *aggregates: Aggregate | None) -> None:
        """Save those of the aggregates a command changed; nothing if it changed none."""
        changed = [a for a in aggregates if a is not None and a.pending_events]
        if changed:
            self.save(*changed)

    def snapshot_in_hand(self, processing: ProcessingEvent[UUID]) -> None:
        """Snapshot each aggregate whose saved events reached a multiple of its interval.

        eventsourcing's own snapshotting rebuilds the aggregate from the database for each
        snapshot (200 events for an Account, inside an `add` batch's turn); the aggregate
        just saved already holds exactly that state.
        """
        if self.snapshots is None:
            return
        due: dict[UUID, Any] = {}
        for event in processing.events:
            aggregate: Any = processing.aggregates[event.originator_id]
            every = self.snapshot_every.get(type(aggregate))
            if every is not None and event.originator_version % every == 0:
                due[aggregate.id] = aggregate
        for aggregate in due.values():
            # The command's events are committed: a snapshot is only a shortcut for later
            # loads, so failing to store one must not fail the command (an IntegrityError
            # here would even make `retrying` decide, and record, the command again).
            try:
                self.store_snapshot(aggregate)
            except Exception:
                log.exception("no snapshot of %s %s", type(aggregate).__name__, aggregate.id)

    def store_snapshot(self, aggregate: Aggregate) -> None:
        """Store the aggregate's snapshot, only if it reads back exactly as the aggregate is
        (`UnfaithfulSnapshot` otherwise): an attribute JSON cannot carry costs a slower
        load, never a wrong one."""
        assert self.snapshots is not None
        self.snapshots.recorder.insert_events([faithful_snapshot(self.snapshots.mapper, aggregate)])

    def take_snapshot(
        self,
        aggregate_id: UUID,
        version: int | None = None,
        projector_func: Any = apply_events,
    ) -> None:
        """The library's `take_snapshot`, checked as `save`'s own snapshots are."""
        self.store_snapshot(
            self.repository.get(aggregate_id, version=version, projector_func=projector_func)
        )

    # ---- loading -------------------------------------------------------------------------

    def load(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate: Any = self.repository.get(aggregate_id, projector_func=apply_events)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, cls):
            return None
        return aggregate

    def account(self, name_or_id: str | UUID) -> Account:
        key = name_or_id if isinstance(name_or_id, UUID) else account_id(name_or_id)
        account = self.load(Account, key)
        if account is None:
            raise UnknownAccount(f"no account {name_or_id!r}")
        return account

    def service(self, number: int) -> Service | None:
        return self.load(Service, service_id(number))

    def services(self, numbers: Collection[int]) -> dict[int, Service | None]:
        """Each service as it stands now (None if unknown), for reading only: never change
        or save one of them.

        Pricing a batch of `add`s reads a service per order and changes none. Loading each
        from the repository costs a round trip (fast-forwarding its cached copy) and a deep
        copy: with twenty services in play, half the command thread's CPU per order. Here
        the services in hand are never changed (one with new events is copied, then brought
        forward), and one query brings what any of them recorded since it was read, so each
        is as current as loading it at that moment would make it.
        """
        newer = self.newer_events
        if newer is None:
            return {number: self.service(number) for number in numbers}
        ids = {number: service_id(number) for number in numbers}
        in_hand: dict[UUID, Service] = {}
        for key in ids.values():
            try:
                in_hand[key] = self.services_in_hand.get(key)
            except KeyError:
                continue
        recorded: dict[UUID, list[Any]] = defaultdict(list)
        for stored in newer({key: service.version for key, service in in_hand.items()}):
            key = UUID(str(stored.originator_id))
            recorded[key].append(self.mapper.to_domain_event(stored))
        services: dict[int, Service | None] = {}
        for number, key in ids.items():
            service = in_hand.get(key)
            if service is None:
                service = self.service(number)  # loaded whole: a copy of its own
            elif key in recorded:
                service = apply_events(deepcopy(service), recorded[key])
            else:
                services[number] = service
                continue
            if isinstance(service, Service):
                self.services_in_hand.put(key, service)
            services[number] = service
        return services

    def service_as_at(self, number: int, moment: datetime) -> Service | None:
        """The service as it was at that moment (None if it was not listed yet)."""
        events = [
            event
            for event in self.events.get(service_id(number))
            if isinstance(event, Aggregate.Event) and event.timestamp <= moment
        ]
        service: Any = apply_events(None, events) if events else None
        return service if isinstance(service, Service) else None

    def order(self, number: int) -> Order | None:
        return self.load(Order, order_id(number))

    def order_of(self, account: UUID, number: int) -> Order:
        """The order, if it exists and belongs to the account; another key's is unknown."""
        order = self.order(number)
        if order is None or order.account_id != account:
            raise UnknownOrder(str(number))
        return order

    def freed_link(self, order: Order) -> ActiveLink | None:
        """The link guard the order holds, released now that the order has ended (None if it
        holds none)."""
        if not order.link:
            return None
        guard = self.load(
            ActiveLink, active_link_id(order.account_id, order.service_number, order.link)
        )
        if guard is None or not guard.release(order.number):
            return None
        return guard

    def known_order(self, number: int) -> Order:
        order = self.order(number)
        if order is None:
            raise UnknownOrder(str(number))
        return order

    def refill(self, number: int) -> Refill:
        refill = self.load(Refill, refill_id(number))
        if refill is None:
            raise UnknownRefill(str(number))
        return refill

    def on_order(self, number: int, command: Callable[[Order], object]) -> Order:
        """Load the order, let its command method decide, save what it recorded; with fresh
        state again on a concurrency conflict."""

        def decide() -> Order:
            order = self.known_order(number)
            command(order)
            self.save_changed(order)
            return order

        return self.retrying(decide)

    def on_refill(self, number: int, command: Callable[[Refill], object]) -> Refill:
        """As `on_order`, for a refill."""

        def decide() -> Refill:
            refill = self.refill(number)
            command(refill)
            self.save_changed(refill)
            return refill

        return self.retrying(decide)

    def retrying(self, decide: Callable[[], T]) -> T:
        """Run a decide-and-save step again on a concurrency conflict, with fresh state."""
        for _ in range(CONFLICT_RETRIES):
            try:
                return decide()
            except IntegrityError:
                continue
        raise RuntimeError("too many concurrent changes to the same aggregates")
