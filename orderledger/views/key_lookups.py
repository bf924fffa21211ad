"""The key of every request, and the whole answer of a plain `status` or `balance`, in one
shared query.

Networks poll every order every minute, so `status` is the hottest request. On PostgreSQL
each worker checks the keys of the requests waiting in it with one query, and for a
`status` that asks for orders by their numbers the same query brings each order's answer,
kept ready beside its row (see `views.status_answer`), joined into the response's text
in the asked order: no row, dict or Decimal is made per order. An asked number without a
row of the key's account gets the per-order error the usual path gives (someone else's
order, no such order) when no event at all is past the projection's position: a row would
then be there. Everything is read after the request arrived and nothing is kept between
requests. When an asked order has no row and some event is past that position (it may have
been placed a moment ago), a row lacks an event committed past the position (a report a
moment ago), or an id is written unusually, the request takes the usual path, which answers
each id on its own with the events its row lacks folded on.

A `balance` is answered the same way: the query brings the account's answer kept ready beside
its account-balance row (see `views.balance_answer`), unless the account has an event committed
past that projection's position (a charge, refund or deposit a moment ago) or no row yet; then
the request takes the usual path, which folds those events on.

Where the read side cannot batch (`ReadModels.batches_key_lookups`), each key is looked up
on its own, by the same look-up (`storage.credentials.holder_sql`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from psycopg.errors import UndefinedColumn

from orderledger.projections import account_balance, order_status
from orderledger.projections.account_balance import ACCOUNT_BALANCE
from orderledger.projections.order_status import ORDER_STATUS
from orderledger.storage.credentials import Role, holder_sql, token_hash
from orderledger.views.event_tail import EventTable
from orderledger.views.reads import POSITION_SQL, ReadModels
from orderledger.views.status_answer import joined_document, joined_single

log = logging.getLogger(__name__)

# Each request's key hash, whether it asks for the balance, the numbers it asks for (as the
# client wrote them, comma-separated: plain numbers only, see `PlainStatus`) and the answer of
# an order it may not see; the key looked up by the one look-up of a token. One row per
# request with a valid key (see `batched_sql`).
KEYS_CTE = (
    "WITH keys AS (SELECT k.i::int AS i, c.subject, k.balance, k.numbers, k.unknown "
    "FROM unnest(%s::text[], %s::boolean[], %s::text[], %s::text[]) WITH ORDINALITY "
    "AS k(hash, balance, numbers, unknown, i) "
    f"CROSS JOIN LATERAL ({holder_sql('k.hash')}) AS c) "
)


def batched_sql(events: EventTable) -> str:
    """The shared query. For each request with a valid key, over the numbers it asks for
    (in the asked order, `position`):
    - how many have a row of this key's account (`found`), and how many of those rows have
      their stored answer (`answered`: all of them, unless a table lost its answers);
    - the response's `"number":answer` entries joined in the asked order, an asked number
      without a row of this account getting the protocol's per-order error;
    - how many of the rows lack events committed past their projection's position;
    - whether no event at all is past that position (`complete`): then an order without a
      row of this account is no order of this account, and its error is the truth;
    - the account's balance answer, when asked and its row lacks no event.
    Rows and positions are read in one snapshot, so a row is behind exactly when its
    aggregate has an event numbered past its projection's position; when no event at all
    is (the common case), that costs one probe of an index per query and position. A
    request that asks for no balance reads nothing of the account-balance table. The
    parameters: `KEYS_CTE`'s, then the two projections' names."""
    at = "(SELECT position FROM folded_to)"
    balance_at = "(SELECT position FROM balance_folded_to)"
    answer = order_status.ANSWER_COLUMN
    balance_answer = (
        f"(SELECT b.{account_balance.ANSWER_COLUMN} FROM {ACCOUNT_BALANCE.table} b "
        f"WHERE b.id = keys.subject AND ({events.behind_sql('b.id::uuid', balance_at)}) "
        "IS NOT TRUE)"
    )
    entry = (
        f"""'"' || q.n::text || '":' || CASE WHEN o.number IS NULL THEN keys.unknown """
        f"ELSE o.{answer} END"
    )
    return (
        KEYS_CTE + f", folded_to AS ({POSITION_SQL}), balance_folded_to AS ({POSITION_SQL}) "
        "SELECT keys.i, keys.subject, a.found, a.answered, a.entries, a.behind, "
        f"NOT ({events.anything_past_sql(at)}), "
        f"CASE WHEN keys.balance THEN {balance_answer} END "
        "FROM keys CROSS JOIN LATERAL ("
        f"SELECT count(o.number) AS found, count(o.{answer}) AS answered, "
        f"string_agg({entry}, ',' ORDER BY q.position) AS entries, "
        f"count(*) FILTER (WHERE {events.behind_sql('o.id::uuid', at)}) AS behind "
        "FROM unnest(string_to_array(keys.numbers, ',')::bigint[]) WITH ORDINALITY "
        "AS q(n, position) "
        f"LEFT JOIN {ORDER_STATUS.table} o ON o.number = q.n AND o.account_id = keys.subject"
        ") AS a"
    )


# The keys alone, for an order-status or account-balance table without the stored answers
# (put live by an older version's rebuild during a rolling upgrade, say): every request then
# takes the usual path, instead of every request failing, until a start adds the column again.
KEYS_ONLY_SQL = KEYS_CTE + "SELECT keys.i, keys.subject, 0, 0, NULL, 0, FALSE, NULL FROM keys"


@dataclass(frozen=True)
class Found:
    """What the shared query found for one request with a valid key."""

    account: str
    found: int  # how many of the asked orders have a row of this account
    answered: int  # how many of those rows have their stored answer
    entries: str | None  # every asked order's `"number":answer` entry, in asked order
    behind: int  # how many of those rows lack events committed past their position
    complete: bool | None = None  # no event at all past the order-status position
    balance: str | None = None  # the account's balance answer, if asked and its row lacks none


@dataclass(frozen=True)
class PlainStatus:
    """A `status` asking for orders by their numbers, written plainly (no sign, no leading
    zero, no spaces), each once: `numbers` is them as the client wrote them, comma-separated,
    which is also how they are sent to the shared query and the keys of the response."""

    numbers: str
    count: int  # how many numbers
    single: bool  # `order=`: the answer is the order's own object
    unknown: str  # the JSON answer of an order this account may not see (the usual path's)

    def answer(self, found: Found) -> bytes | None:
        """The whole response, when no asked order's row is behind and each asked order
        either has its row or is certainly no order of this account (no event at all is
        past the projection's position: a row would be there)."""
        if found.entries is None or found.behind or found.answered != found.found:
            return None
        if found.found != self.count and not found.complete:
            return None  # maybe an order placed a moment ago: the usual path folds it
        if self.single:
            return joined_single(found.entries, self.numbers)
        return joined_document(found.entries)


@dataclass(frozen=True)
class PlainBalance:
    """A `balance` (its one field, the key, checked by the same query)."""

    def answer(self, found: Found) -> bytes | None:
        """The whole response, when the account has its row and the row lacks no event."""
        return None if found.balance is None else found.balance.encode()


PLAIN_BALANCE = PlainBalance()
Plain = PlainStatus | PlainBalance
# Each waiting request: its key's hash, the numbers it asks for (comma-separated, plain),
# whether it asks for the balance, the answer of an order it may not see, and where its
# answer goes.
Waiting = tuple[str, str, bool, str, "asyncio.Future[Found | None]"]


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

    async def __call__(
        self, key_hash: str, numbers: str = "", balance: bool = False, unknown: str = ""
    ) -> Found | None:
        answer: asyncio.Future[Found | None] = asyncio.get_running_loop().create_future()
        self.waiting.append((key_hash, numbers, balance, unknown, answer))
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
                    for *_, answer in batch:
                        if not answer.done():
                            answer.set_exception(error)
                    continue
                for (*_, answer), result in zip(batch, results, strict=True):
                    if not answer.done():
                        answer.set_result(result)
        finally:
            self.running = False

    async def look_up(self, batch: list[Waiting]) -> list[Found | None]:
        # Arrays sent as literals: psycopg dumps a Python list element by element. Key hashes
        # are hex digits and numbers digits and commas: nothing to escape.
        hashes = "{" + ",".join([key_hash for key_hash, *_ in batch]) + "}"
        balances = "{" + ",".join(["t" if balance else "f" for _, _, balance, *_ in batch]) + "}"
        numbers = '{"' + '","'.join([wanted for _, wanted, *_ in batch]) + '"}'
        unknown = text_array([answer for *_, answer, _ in batch])
        keys = [hashes, balances, numbers, unknown, Role.API.value]
        params = [*keys, ORDER_STATUS.name, ACCOUNT_BALANCE.name]
        try:
            rows = await self.reads.query(self.sql, params)
        except UndefinedColumn as error:
            log.warning("a read model lacks its stored answers (%s); a restart adds them", error)
            rows = await self.reads.query(KEYS_ONLY_SQL, keys)
        results: list[Found | None] = [None] * len(batch)
        for i, subject, found, answered, entries, behind, complete, balance in rows:
            results[i - 1] = Found(
                str(subject), found, answered, entries, behind, complete, balance
            )
        return results


def text_array(items: list[str]) -> str:
    """A PostgreSQL array literal of these texts, each quoted."""
    quoted = (item.replace("\\", "\\\\").replace('"', '\\"') for item in items)
    return '{"' + '","'.join(quoted) + '"}'


def lookups_of(reads: ReadModels) -> StatusLookups:
    """The worker's batcher, kept on its read models (one per app, not per module)."""
    lookups = reads.__dict__.get("status_lookups")
    if not isinstance(lookups, StatusLookups):
        lookups = reads.__dict__["status_lookups"] = StatusLookups(reads)
    return lookups


@dataclass(frozen=True)
class KeyHolder:
    """The account of a request's key and, for a plain `status` whose orders all have their
    rows or a plain `balance` whose row has all its events, the whole response."""

    account: str
    ready: bytes | None = None


async def key_holder(reads: ReadModels, key: str, asked: Plain | None = None) -> KeyHolder | None:
    """Whose API key this is (None: nobody's), and the whole answer when the request is a
    plain `status` or `balance` (`asked`) that the shared query could answer. One look-up."""
    if not reads.batches_key_lookups():
        account = await reads.account_for_key(key)
        return None if account is None else KeyHolder(account)
    lookup = lookups_of(reads)
    if isinstance(asked, PlainStatus):
        found = await lookup(token_hash(key), asked.numbers, unknown=asked.unknown)
    else:
        found = await lookup(token_hash(key), balance=isinstance(asked, PlainBalance))
    if found is None:
        return None
    return KeyHolder(found.account, asked.answer(found) if asked else None)
