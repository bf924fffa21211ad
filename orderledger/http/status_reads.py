"""`status` with one query: the key's account and the asked-for orders read together.

Networks poll every order every minute, so `status` is the hottest request. Answering it
took two round trips (the key, then the orders); one LEFT JOIN answers both, and on
PostgreSQL the look-ups of the requests waiting in a worker share one query. The rows are
read for this request only, after the key is known to be valid, and handed to the usual
`status` code through a `ReadModels` that serves them: nothing is kept between requests.
An order not in the table yet still falls through to the replay (read-your-writes), and
anything this path cannot prepare (no such key, a malformed request) takes the usual path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import msgspec

from orderledger.domain.errors import LedgerError
from orderledger.http import presenters
from orderledger.http.parsing import Status, as_number, parse_action, split_ids, valid_id
from orderledger.http.reads import Answers, ReadModels
from orderledger.projections.order_status import ORDER_STATUS
from orderledger.projections.tables import Target, column_names
from orderledger.storage.credentials import Role, token_hash

if TYPE_CHECKING:
    from orderledger.http.api_v2 import ApiContext

COLUMNS = ", ".join(f"o.{name}" for name in column_names(Target.live(ORDER_STATUS)))
KEY_AND_ORDERS_SQL = (
    f"SELECT c.subject, {COLUMNS} FROM orderledger_credentials c "
    f"LEFT JOIN {ORDER_STATUS.table} o ON o.account_id = c.subject AND o.number {{numbers}} "
    "WHERE c.token_hash = %s AND c.role = %s"
)


# Every `status` look-up a worker has waiting, as (request, number) pairs and one key hash
# per request: one query answers them all. A request with no valid number sends one pair
# with no number, so that its key is still checked. Each order's answer comes as the JSON
# PostgreSQL keeps beside its row (see `order_status.ANSWER_SQL`) and goes into the response
# as it is: no row, Decimal or dict is made per order.
# Each request's key is looked up once (`keys`), not once per asked order.
BATCHED_SQL = (
    "WITH keys AS (SELECT k.i::int AS i, c.subject "
    "FROM unnest(%s::text[]) WITH ORDINALITY AS k(hash, i) "
    "JOIN orderledger_credentials c ON c.token_hash = k.hash AND c.role = %s) "
    "SELECT q.i, keys.subject, o.number, o.answer "
    "FROM unnest(%s::int[], %s::bigint[]) AS q(i, n) JOIN keys ON keys.i = q.i "
    f"LEFT JOIN {ORDER_STATUS.table} o ON o.account_id = keys.subject AND o.number = q.n"
)

Found = tuple[str, Answers] | None


class StatusLookups:
    """Collects the `status` look-ups that arrive while one is running; one query for all.

    The read-side twin of group commit: every look-up is sent after its request arrived,
    so each still sees every commit that preceded it. Nothing is kept once answered.
    """

    def __init__(self, reads: ReadModels) -> None:
        self.reads = reads
        self.waiting: list[tuple[str, set[int], asyncio.Future[Found]]] = []
        self.running = False

    async def __call__(self, key_hash: str, numbers: set[int]) -> Found:
        answer: asyncio.Future[Found] = asyncio.get_running_loop().create_future()
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

    async def look_up(self, batch: list[tuple[str, set[int], Any]]) -> list[Found]:
        index: list[str] = []
        numbers: list[str] = []
        for i, (_, wanted, _) in enumerate(batch, start=1):  # PostgreSQL arrays count from 1
            asked = [str(n) for n in sorted(wanted)] or ["NULL"]
            index += [str(i)] * len(asked)
            numbers += asked
        hashes = [key_hash for key_hash, _, _ in batch]  # hex digits: nothing to quote
        # Arrays sent as literals: psycopg dumps a Python list element by element.
        index_array, number_array, hash_array = (
            "{" + ",".join(items) + "}" for items in (index, numbers, hashes)
        )
        found = await self.reads.query(
            BATCHED_SQL, [hash_array, Role.API.value, index_array, number_array]
        )
        results: list[Found] = [None] * len(batch)
        for i, subject, number, answer in found:
            result: tuple[str, Answers] = results[i - 1] or (str(subject), {})
            results[i - 1] = result
            if number is not None:
                result[1][number] = msgspec.Raw(answer.encode())
        return results


def lookups_of(reads: ReadModels) -> StatusLookups:
    """The worker's batcher, kept on its read models (one per app, not per module)."""
    lookups = reads.__dict__.get("status_lookups")
    if not isinstance(lookups, StatusLookups):
        lookups = reads.__dict__["status_lookups"] = StatusLookups(reads)
    return lookups


class Prefetched(ReadModels):
    """The read models, with this request's order answers already read."""

    def __init__(
        self, reads: ReadModels, account: str, numbers: set[int], answers: Answers
    ) -> None:
        super().__init__(reads.query, reads.dialect)
        self.account = account
        self.numbers = numbers
        self.answers = answers

    async def order_answers(self, account_id: str, numbers: Sequence[int]) -> Answers:
        if account_id != self.account or not self.numbers.issuperset(numbers):
            return await super().order_answers(account_id, numbers)
        return {n: self.answers[n] for n in numbers if n in self.answers}


@dataclass(frozen=True)
class Asked:
    """A well-formed `status` request: one order, or the ids of many with their numbers."""

    single: int | None
    tokens: dict[str, int | None] | None

    @property
    def numbers(self) -> set[int]:
        if self.tokens is None:
            return {self.single} if self.single else set()
        return {n for n in self.tokens.values() if n}


def asked_of(fields: Mapping[str, Any]) -> Asked | None:
    """What a `status` request asks for; None when it is not a well-formed one (the usual
    path then answers it, with the usual refusal)."""
    try:
        request = parse_action(fields)
        if not isinstance(request, Status):
            return None
        if request.orders is not None:
            return Asked(None, {token: as_number(token) for token in split_ids(request.orders)})
    except LedgerError:
        return None
    if request.order is None or not valid_id(request.order):
        return None
    return Asked(request.order, None)


async def key_and_orders(reads: ReadModels, key: str, numbers: set[int]) -> Found:
    if reads.dialect == "postgres":
        return await lookups_of(reads)(token_hash(key), numbers)
    # SQLite is read in a thread, one query at a time: one query per request.
    marks = ", ".join(["%s"] * len(numbers)) or "NULL"
    sql = KEY_AND_ORDERS_SQL.format(numbers=f"IN ({marks})")
    found = await reads.query(sql, [*sorted(numbers), token_hash(key), Role.API.value])
    if not found:
        return None
    rows = [ORDER_STATUS.from_db(values[1:]) for values in found if values[1] is not None]
    return str(found[0][0]), {row.number: presenters.order_status(row) for row in rows}


async def account_for_key(reads: ReadModels, key: str) -> str | None:
    """The key's account. On PostgreSQL the key joins the worker's shared look-up (as a
    `status` asking for no order), so concurrent `add`s do not each take a connection and
    a round trip to check their key; it is still read after the request arrived."""
    if reads.dialect != "postgres":
        return await reads.account_for_key(key)
    found = await lookups_of(reads)(token_hash(key), set())
    return None if found is None else found[0]


async def prefetch_status(
    ctx: ApiContext, key: str, fields: Mapping[str, Any]
) -> tuple[str, ApiContext, Asked] | None:
    """For a `status` request: the key's account, a context holding its order answers, and
    what it asks for (parsed once)."""
    if fields.get("action") != "status":
        return None
    asked = asked_of(fields)
    if asked is None:
        return None
    numbers = asked.numbers
    found = await key_and_orders(ctx.reads, key, numbers)
    if found is None:
        return None
    account, answers = found
    return account, replace(ctx, reads=Prefetched(ctx.reads, account, numbers, answers)), asked
