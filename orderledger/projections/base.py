"""What a projection is: a row type, a key, the events it folds and a pure `evolve`."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from operator import attrgetter
from typing import Any, Generic, TypeVar

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

Row = TypeVar("Row")

SQL_TYPES = {int: "BIGINT", str: "TEXT", Decimal: "TEXT", bool: "BOOLEAN"}


@dataclass(frozen=True)
class Projection(Generic[Row]):
    """A read model of one row per aggregate, keyed by the aggregate's id (the row's first
    field, `id`). `evolve(None, event)` creates a row; returning the same row means no
    change, so the writer skips it."""

    name: str
    table: str
    row_type: type[Row]
    events: tuple[type[Any], ...]
    evolve: Callable[[Row | None, Any], Row | None]
    unique: tuple[str, ...] = ()  # columns looked up by value (order and refill numbers)
    # Plain indexes: a column, or several (a filter and the order a list is read in).
    indexed: tuple[str | tuple[str, ...], ...] = ()
    # Columns a table made by an older version lacks, and the value they take there: a
    # start adds them (`ensure`), so the column must be one the older events all fold to.
    added_columns: tuple[tuple[str, str], ...] = ()
    # Columns PostgreSQL derives from the row's own columns as it stores them: (name, type and
    # generation expression). Never written or read as part of the row.
    postgres_generated: tuple[tuple[str, str], ...] = ()

    @property
    def indexes(self) -> list[tuple[str, str]]:
        """Each plain index as (its name's suffix, its columns): `number`, or
        `status_placed_at` over `status, placed_at`."""
        return [
            (index, index) if isinstance(index, str) else ("_".join(index), ", ".join(index))
            for index in self.indexed
        ]

    @property
    def topics(self) -> frozenset[str]:
        return frozenset(get_topic(cls) for cls in self.events)

    def handles(self, event: DomainEventProtocol[Any]) -> bool:
        return isinstance(event, self.events)

    @cached_property
    def columns(self) -> list[tuple[str, type[Any]]]:
        hints = typing.get_type_hints(self.row_type)
        return [(f.name, hints[f.name]) for f in dataclasses.fields(self.row_type)]  # type: ignore[arg-type]

    @cached_property
    def field_values(self) -> Callable[[Row], tuple[Any, ...]]:
        # attrgetter, not dataclasses.astuple: astuple deep-copies every value, and writing
        # rows is the projector's hottest loop (a rebuild writes every row of every table).
        getter = attrgetter(*(name for name, _ in self.columns))
        if len(self.columns) == 1:
            return lambda row: (getter(row),)
        return getter

    @cached_property
    def decimal_columns(self) -> tuple[int, ...]:
        return tuple(i for i, (_, column_type) in enumerate(self.columns) if column_type is Decimal)

    def to_db(self, row: Row) -> tuple[Any, ...]:
        # Only the Decimal columns need converting (stored as text); a generator over every
        # value of every row was a tenth of a rebuild.
        values = self.field_values(row)
        if not self.decimal_columns:
            return values
        converted = list(values)
        for i in self.decimal_columns:
            if converted[i] is not None:
                converted[i] = str(converted[i])
        return tuple(converted)

    def from_db(self, values: tuple[Any, ...]) -> Row:
        converted = [
            column_type(value) if value is not None else None
            for (_, column_type), value in zip(self.columns, values, strict=True)
        ]
        return self.row_type(*converted)


def fold_into(projection: Projection[Row], rows: dict[Any, Row], event: Any) -> None:
    """Apply one event to the in-memory rows, keyed by its aggregate's id."""
    key = str(event.originator_id)
    row = projection.evolve(rows.get(key), event)
    if row is None:
        rows.pop(key, None)
    else:
        rows[key] = row


def fold(projection: Projection[Row], events: typing.Iterable[Any]) -> dict[Any, Row]:
    """Fold events into rows in memory: what replay, verify and read-your-writes share."""
    rows: dict[Any, Row] = {}
    for event in events:
        if projection.handles(event):
            fold_into(projection, rows, event)
    return rows
