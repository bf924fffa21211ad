"""What the event store writes comes back byte for byte, and snapshots match the events."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from orderledger.application.ledger_base import apply_events
from orderledger.bootstrap import Store
from orderledger.domain.account import Account
from orderledger.domain.ids import account_id
from orderledger.storage.event_recorder import TextArrayRecorder, events_literal
from tests.conftest import entry, open_account

AWKWARD_TEXTS = ['quote " and backslash \\ and \\"', "{braces},(parens) 'single'", "é ✓ \u2028"]


def test_the_events_literal_quotes_every_special_character() -> None:
    event = StoredEvent(uuid4(), 3, 'a:"B\\', b'{"x": "\\\\"}')
    literal = events_literal([event])
    assert literal.startswith('{"(') and literal.endswith(')"}')
    assert '\\"a:\\\\\\"B\\\\\\\\\\"' in literal  # topic: quoted in the record, then in the array
    assert "\\\\\\\\x" + b'{"x": "\\\\"}'.hex() in literal


def test_stored_events_come_back_exactly_as_written(store: Store) -> None:
    recorder = store.ledger.recorder
    if not isinstance(recorder, TextArrayRecorder):
        pytest.skip("the text-array insert is PostgreSQL's")
    originator = uuid4()
    written = [
        StoredEvent(originator, version, f"tests.topic:{version}", text.encode() + bytes([0, 255]))
        for version, text in enumerate(AWKWARD_TEXTS, start=1)
    ]
    ids = recorder.insert_events(written)
    assert ids is not None and len(ids) == len(written) and ids == sorted(ids)
    assert recorder.select_events(originator) == written


def test_awkward_order_fields_survive_the_round_trip(store: Store) -> None:
    store.ledger.sync_services([entry(1, "Custom Comments", min=1)])
    account, _ = open_account(store)
    comments = "\n".join(AWKWARD_TEXTS)
    order = store.ledger.place_order(
        account.id, 1, {"link": 'https://x.example/"\\', "comments": comments}
    )
    loaded = store.ledger.order(order.number)
    assert loaded is not None and loaded.link == 'https://x.example/"\\'
    assert loaded.details == order.details


def test_an_account_is_snapshotted_from_the_saved_state(store: Store) -> None:
    store.ledger.sync_services([entry(1)])
    account, _ = open_account(store, deposit="1000")
    every = store.ledger.snapshot_every[Account]
    # the account opened (1) and was funded (2); each order adds a charge
    for i in range(every - 1):
        store.ledger.place_order(account.id, 1, {"link": f"l{i}", "quantity": "100"})
    assert store.ledger.snapshots is not None
    snapshots = list(store.ledger.snapshots.get(account_id("network")))
    assert [s.originator_version for s in snapshots] == [every]
    replayed = apply_events(None, store.ledger.events.get(account_id("network"), lte=every))
    assert vars(apply_events(None, snapshots)) == vars(replayed)
    assert replayed.balance == Decimal("1000") - (every - 2) * Decimal("0.25")
