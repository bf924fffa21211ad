"""A snapshot reads back exactly as the aggregate is, or it is not stored at all."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import IntEnum
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import StoredEvent

from orderledger.domain.account import Billing
from orderledger.domain.ids import account_id
from orderledger.domain.refill import RefillStatus
from orderledger.domain.snapshots import (
    SnapshotMapper,
    UnfaithfulSnapshot,
    faithful_snapshot,
    identical,
)
from orderledger.domain.transcoder import ledger_transcoder
from tests.old_snapshots import OLD_ACCOUNT, OLD_REFILL

MAPPER = SnapshotMapper(ledger_transcoder())


class Level(IntEnum):
    LOW = 1


class Holder(Aggregate):
    @event("Made")
    def __init__(self, value: Any) -> None:
        self.value = value


def read_back(aggregate: Aggregate) -> Any:
    snapshot: Any = MAPPER.to_domain_event(faithful_snapshot(MAPPER, aggregate))
    return snapshot.mutate(None)


@pytest.mark.parametrize(
    "value",
    [
        None,
        {"tags", "more"},
        frozenset({1, 2}),
        {"nested": {"charge": Decimal("0.25000"), "at": datetime(2026, 1, 2, tzinfo=UTC)}},
        [uuid4(), None, True, 2, "x"],
        {"post": {"ids": {uuid4()}}},
    ],
)
def test_values_json_can_carry_come_back_identical(value: Any) -> None:
    holder = Holder(value)
    holder.collect_events()  # as saved
    assert identical(vars(read_back(holder)), vars(holder))


@pytest.mark.parametrize("value", [("a", "tuple"), Level.LOW, Billing.PREPAID])
def test_a_snapshot_that_would_not_read_back_identical_is_refused(value: Any) -> None:
    with pytest.raises(UnfaithfulSnapshot, match="value"):
        faithful_snapshot(MAPPER, Holder(value))


def old_snapshot(state: bytes, version: int) -> Any:
    stored = StoredEvent(account_id("network"), version, "eventsourcing.domain:Snapshot", state)
    snapshot: Any = MAPPER.to_domain_event(stored)
    return snapshot.mutate(None)


def test_an_old_account_snapshot_reads_back_postpaid() -> None:
    account = old_snapshot(OLD_ACCOUNT, 2)
    assert account.billing is Billing.POSTPAID
    assert account.can_pay(Decimal("1000")) and account.owed == Decimal("0.25000")


def test_an_old_refill_snapshot_reads_back_with_its_status() -> None:
    refill = old_snapshot(OLD_REFILL, 3)
    assert refill.status is RefillStatus.IN_PROGRESS and not refill.status.is_finished
    assert refill.account_id == UUID("403f2107403d50f6a816a39ee9f7c361")
