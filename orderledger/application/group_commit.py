"""Group commit for `add`: the orders that arrive together are committed together.

Writers to the event store are serial (one table lock per transaction), so one order per
transaction caps `add` at the rate of transactions. Here each worker collects the `add`s that
arrive together (see `arrivals`) and hands each account's share to the ledger's
`place_orders` (the one way an order is placed, see `batch_placing`), which prepares them
outside any lock (checked, numbered) and then, in that account's turn (the backend's
`AccountLocks`: PostgreSQL's advisory locks, storage/account_locks.py), decides them in
sequence against the same Account and commits them in one transaction. So every guarantee
of `place_order` holds: an `add` is answered only after its own events are committed, a
refused order refuses only itself, a conflict with another writer decides the batch again,
and nothing is answered from memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from uuid import UUID

import anyio.to_thread
from anyio import CapacityLimiter

from orderledger.application.arrivals import Arrivals
from orderledger.application.batch_placing import Outcome, PlaceOrder
from orderledger.application.ledger import Ledger
from orderledger.domain.errors import LedgerError
from orderledger.domain.order import Order
from orderledger.storage.backend import AccountLocks

# The longest a batch waits for the requests expected to join it (see `Arrivals`): long
# enough for the answers of one batch to come back as the next requests on a busy machine.
COLLECT_SECONDS = 0.005
MAX_BATCH = 200


log = logging.getLogger(__name__)


@dataclass
class Pending:
    account: UUID
    command: PlaceOrder
    answer: asyncio.Future[Order] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def ignore(_: int) -> None:
    pass


class AddBatcher:
    def __init__(
        self, ledger: Ledger, limiter: CapacityLimiter, locks: AccountLocks | None = None
    ) -> None:
        self.ledger = ledger
        self.limiter = limiter
        self.locks = locks
        self.arrivals: Arrivals[Pending] = Arrivals(COLLECT_SECONDS, MAX_BATCH)
        self.task: asyncio.Task[None] | None = None
        # Told the size of each account's share of a batch as it is committed (/metrics).
        self.committed: Callable[[int], None] = ignore

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.run(), name="add-batcher")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        for pending in self.arrivals.drain():
            pending.answer.cancel()
        if self.locks is not None:
            self.locks.close()

    async def place(self, account: UUID, service: int, fields: Mapping[str, Any]) -> Order:
        """The placed order, once committed; or the refusal of this order alone."""
        pending = Pending(account, PlaceOrder(service, fields))
        self.arrivals.add(pending)
        return await pending.answer

    async def run(self) -> None:
        while True:
            await self.commit(await self.arrivals.next_batch())

    async def commit(self, batch: list[Pending]) -> None:
        by_account: dict[UUID, list[Pending]] = defaultdict(list)
        for pending in batch:
            by_account[pending.account].append(pending)
        await asyncio.gather(*(self.commit_account(a, p) for a, p in by_account.items()))

    def place_orders(self, account: UUID, commands: list[PlaceOrder]) -> list[Outcome]:
        """The account's share of a batch, placed by the ledger in the account's turn."""
        turn = None if self.locks is None else self.locks.held(account)
        return self.ledger.place_orders(account, commands, turn)

    async def commit_account(self, account: UUID, batch: list[Pending]) -> None:
        commands = [pending.command for pending in batch]
        try:  # bookkeeping (/metrics) never stops the adds: a dead batcher answers none
            self.committed(len(commands))
        except Exception:
            log.exception("could not count a batch of %d adds", len(commands))
        try:
            outcomes = await anyio.to_thread.run_sync(
                partial(self.place_orders, account, commands), limiter=self.limiter
            )
        except Exception as error:  # nothing was committed: every order of the batch fails
            for pending in batch:
                if not pending.answer.done():
                    pending.answer.set_exception(error)
            return
        for pending, outcome in zip(batch, outcomes, strict=True):
            if pending.answer.done():  # the client went away; its order stands
                continue
            if isinstance(outcome, LedgerError):
                pending.answer.set_exception(outcome)
            else:
                pending.answer.set_result(outcome)
