"""Every filter of `orders list` and `refills list` is served by an index of its read model:
the database's own plan for each combination reads through an index, never a whole table.

On PostgreSQL the planner is told to avoid sequential scans (`enable_seqscan = off`), as it
would on a million rows: a table scan in the plan then means no index can serve the filter.
SQLite's `EXPLAIN QUERY PLAN` says `SCAN t` for a table scan and `USING INDEX` when an index
is walked or searched. BENCHMARKS.md has the same plans and their times on a million orders.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest

from orderledger.bootstrap import Store
from orderledger.projections.order_status import ORDER_STATUS
from orderledger.projections.refill_status import REFILL_STATUS
from orderledger.views.listings import (
    OrderFilter,
    orders_query,
    refills_sql,
)
from tests.conftest import entry, open_account
from tests.fulfilment.support import caught_up

FILTERS: dict[str, dict[str, Any]] = {
    "status": {"statuses": ["Pending"]},
    "statuses": {"statuses": ["Pending", "Completed"]},
    "account": {"account": "network"},
    "service": {"service": 1},
    "link": {"link": "https://x/1"},
    "since": {"since": datetime(2026, 1, 1, tzinfo=UTC)},
    "until": {"until": datetime(2027, 1, 1, tzinfo=UTC)},
    "before": {"before": 1},
}
COMBINATIONS = [
    combination
    for size in range(len(FILTERS) + 1)
    for combination in itertools.combinations(FILTERS, size)
    if not {"status", "statuses"} <= set(combination)
]


def plan(store: Store, sql: str, params: list[Any]) -> list[str]:
    with store.db.transaction() as cursor:
        if store.backend.name == "postgres":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            return [str(row[0]) for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [str(row[-1]) for row in cursor.fetchall()]


def scans(store: Store, lines: list[str], table: str, filtered: bool = True) -> list[str]:
    """The plan's reads of `table` that go through all of it: a table scan, or (when the list
    is filtered) an index walked without a condition of the filter."""
    if store.backend.name == "postgres":
        return [
            line
            for i, line in enumerate(lines)
            if f" on {table}" in line
            and ("Seq Scan" in line or (filtered and not has_index_cond(lines, i)))
        ]
    # SQLite names the table by its alias in the statement, or by its name.
    return [
        line
        for line in lines
        if line.startswith("SCAN ")
        and line.split()[1] in (table, table_alias(table))
        and (filtered or "USING" not in line)
    ]


def table_alias(table: str) -> str:
    return {ORDER_STATUS.table: "o", REFILL_STATUS.table: "r"}[table]


def has_index_cond(lines: list[str], node: int) -> bool:
    """Whether PostgreSQL's plan node at `node` (a scan) reads its index by a condition."""
    depth = len(lines[node]) - len(lines[node].lstrip())
    for line in lines[node + 1 :]:
        if len(line) - len(line.lstrip()) <= depth or line.lstrip().startswith("->"):
            break
        if line.lstrip().startswith(("Index Cond:", "Recheck Cond:")):
            return True
    return False


@pytest.fixture
def listed_store(store: Store) -> Store:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store)
    store.ledger.place_order(account.id, 1, {"link": "https://x/1", "quantity": 1000})
    caught_up(store)
    return store


def order_scans(store: Store) -> dict[str, list[str]]:
    """Each combination of filters whose plan reads a whole table, with that plan."""
    found = {}
    for combination in COMBINATIONS:
        wanted = OrderFilter(**{k: v for name in combination for k, v in FILTERS[name].items()})
        sql, params = orders_query(store.db, wanted)
        lines = plan(store, sql, params)
        if scans(store, lines, ORDER_STATUS.table, filtered=bool(combination)):
            found["+".join(combination) or "none"] = lines
    return found


def test_each_combination_of_order_filters_reads_through_an_index(listed_store: Store) -> None:
    assert len(COMBINATIONS) == 192
    assert order_scans(listed_store) == {}


def test_the_check_sees_a_filter_without_its_index(listed_store: Store) -> None:
    with listed_store.db.transaction() as cursor:
        for index in ("service_placed_at_number", "status_placed_at_number"):
            cursor.execute(f"DROP INDEX {ORDER_STATUS.table}_{index}")
    found = order_scans(listed_store)
    assert {"service", "status", "statuses"} <= set(found), list(found)


REFILL_FILTERS = [
    ([], [], []),
    (["Pending"], [], []),
    (["Pending", "Completed"], [], []),
    ([], ["r.account_id = %s"], ["x"]),
    (["Pending"], ["r.account_id = %s"], ["x"]),
    (["Pending"], ["r.account_id = %s", "r.number < %s"], ["x", 5]),
    ([], ["r.number < %s"], [5]),
]


def test_each_refill_filter_reads_through_an_index(listed_store: Store) -> None:
    for statuses, conditions, params in REFILL_FILTERS:
        sql = refills_sql(len(statuses), conditions)
        values = [v for s in statuses for v in (s, *params, 3)] if statuses else [*params, 3]
        lines = plan(listed_store, sql, [*values, 3])
        filtered = bool(statuses or conditions)
        assert scans(listed_store, lines, REFILL_STATUS.table, filtered) == [], lines
