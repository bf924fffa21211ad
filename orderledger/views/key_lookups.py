"""The key of every request, and the whole answer of a plain `status`, in one shared query.

Networks poll every order every minute, so `status` is the hottest request. On PostgreSQL
each worker checks the keys of the requests waiting in it with one query, and for a
`status` that asks for orders by their numbers the same query brings each order's answer,
kept ready beside its row (see `views.status_answer`), joined into the response's text
in the asked order: no row, dict or Decimal is made per order. Everything is read after
the request arrived and nothing is kept between requests. When any asked order has no row
(not projected yet, someone else's, no such order), a row lacks an event committed past
its projection's position (a report a moment ago), or an id is written unusually, the
request takes the usual path, which answers each id on its own with the events its row
lacks folded on.

Where the read side cannot batch (`ReadModels.batches_key_lookups`), each key is looked up
on its own, by the same look-up (`storage.credentials.holder_sql`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from psycopg.errors import UndefinedColumn

from orderledger.projections.order_status import ANSWER_COLUMN, ORDER_STATUS
from orderledger.storage.credentials import Role, holder_sql, token_hash
from orderledger.views.event_tail import EventTable
from orderledger.views.reads import POSITION_SQL, ReadModels
from orderledger.views.status_answer import joined_document, joined_single

log = logging.getLogger(__name__)

# Each request's key hash, looked up by the one look-up of a token (`keys`), and its asked
# numbers as (request, number) pairs: one row per request with a valid key, counting the
# asked orders that have a row and joining their `"number":answer` entries in the order they
# were asked (`position`), and counting the rows that lack events committed past their
# projection's position (see `batched_sql`).
KEYS_CTE = (
    "WITH keys AS (SELECT k.i::int AS i, c.subject "
    "FROM unnest(%s::text[]) WITH ORDINALITY AS k(hash, i) "
    f"CROSS JOIN LATERAL ({holder_sql('k.hash')}) AS c) "
)


def batched_sql(events: EventTable) -> str:
    """The shared query. Its rows and the order-status position are read in one snapshot, so
    a row is behind exactly when its order has an event numbered past the position; when no
    event at all is (the common case), that costs one probe of an index per query."""
    at = "(SELECT position FROM folded_to)"
    return (
        KEYS_CTE + f", folded_to AS ({POSITION_SQL}) "
        f"SELECT keys.i, keys.subject, count(o.{ANSWER_COLUMN}), "
        f"""string_agg('"' || o.number::text || '":' || o.{ANSWER_COLUMN}, ',' """
        "ORDER BY q.position), "
        f"count(*) FILTER (WHERE {events.behind_sql('o.id::uuid', at)}) "
        "FROM keys LEFT JOIN unnest(%s::int[], %s::bigint[]) WITH ORDINALITY AS q(i, n, position) "
        "ON q.i = keys.i "
        f"LEFT JOIN {ORDER_STATUS.table} o ON o.account_id = keys.subject AND o.number = q.n "
        "GROUP BY keys.i, keys.subject"
    )


# The keys alone, for an order-status table without the stored answers (put live by an older
# version's rebuild during a rolling upgrade, say): every request then takes the usual path,
# instead of every request failing, until a start adds the column again.
KEYS_ONLY_SQL = KEYS_CTE + "SELECT keys.i, keys.subject, 0, NULL, 0 FROM keys"


@dataclass(frozen=True)
class Found:
    """What the shared query found for one request with a valid key."""

    account: str
    answered: int  # how many of the asked orders have a row
    entries: str | None  # their `"number":answer` entries, comma-separated, in asked order
    behind: int  # how many of those rows lack events committed past their position


@dataclass(frozen=True)
class PlainStatus:
    """A `status` asking for orders by their numbers, written plainly."""

    numbers: list[int]
    single: bool  # `order=`: the answer is the order's own object

    def answer(self, found: Found) -> bytes | None:
        """The whole response, when every asked order has its row and no row is behind."""
        if found.entries is None or found.answered != len(self.numbers) or found.behind:
            return None
        if self.single:
            return joined_single(found.entries, self.numbers[0])
        return joined_document(found.entries)


Waiting = tuple[str, list[int], "asyncio.Future[Found | None]"]


class StatusLookups:
    """Collects the look-ups that arrive while one is running; one query for all.

    The read-side twin of group commit: every look-up is sent after its request arrived,
    so each still sees every commit that preceded it. Nothing is kept once answered.
    """

    def __init__(self, reads: ReadModels) -> None:
        self.reads = reads
        self.sql = batched_sql(reads.events)
        self.waiting: list[Waiting] = []
        self.running = False

    async def __call__(self, key_hash: str, numbers: list[int]) -> Found | None:
        answer: asyncio.Future[Found | None] = asyncio.get_running_loop().create_future()
        self.waiting.append((key_hash, numbers, answer))
        if not self.running:
            self.running = True
            asyncio.get_running_loop().create_task(self.drain())
        return await answer

    async def drain(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                try:
                    results = await self.look_up(batch)
                except Exception as error:
                    for _, _, answer in batch:
                        if not answer.done():
                            answer.set_exception(error)
                    continue
                for (_, _, answer), result in zip(batch, results, strict=True):
                    if not answer.done():
                        answer.set_result(result)
        finally:
            self.running = False

    async def look_up(self, batch: list[Waiting]) -> list[Found | None]:
        index: list[str] = []
        numbers: list[str] = []
        for i, (_, wanted, _) in enumerate(batch, start=1):  # PostgreSQL arrays count from 1
            index += [str(i)] * len(wanted)
            numbers += map(str, wanted)
        hashes = [key_hash for key_hash, _, _ in batch]  # hex digits: nothing to quote
        # Arrays sent as literals: psycopg dumps a Python list element by element.
        index_array, number_array, hash_array = (
            "{" + ",".join(items) + "}" for items in (index, numbers, hashes)
        )
        try:
            rows = await self.reads.query(
                self.sql,
                [hash_array, Role.API.value, ORDER_STATUS.name, index_array, number_array],
            )
        except UndefinedColumn:
            log.warning("the order-status table has no %s column; a restart adds it", ANSWER_COLUMN)
            rows = await self.reads.query(KEYS_ONLY_SQL, [hash_array, Role.API.value])
        results: list[Found | None] = [None] * len(batch)
        for i, subject, answered, entries, behind in rows:
            results[i - 1] = Found(str(subject), answered, entries, behind)
        return results


def lookups_of(reads: ReadModels) -> StatusLookups:
    """The worker's batcher, kept on its read models (one per app, not per module)."""
    lookups = reads.__dict__.get("status_lookups")
    if not isinstance(lookups, StatusLookups):
        lookups = reads.__dict__["status_lookups"] = StatusLookups(reads)
    return lookups


@dataclass(frozen=True)
class KeyHolder:
    """The account of a request's key and, for a plain `status` whose orders all have their
    rows, the whole response."""

    account: str
    ready: bytes | None = None


async def key_holder(
    reads: ReadModels, key: str, asked: PlainStatus | None = None
) -> KeyHolder | None:
    """Whose API key this is (None: nobody's), and the whole answer when the request is a
    plain `status` (`asked`) whose orders the shared query could answer. One look-up."""
    if not reads.batches_key_lookups():
        account = await reads.account_for_key(key)
        return None if account is None else KeyHolder(account)
    found = await lookups_of(reads)(token_hash(key), asked.numbers if asked else [])
    if found is None:
        return None
    return KeyHolder(found.account, asked.answer(found) if asked else None)
