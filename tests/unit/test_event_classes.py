"""Stores written before the event classes were declared explicitly load unchanged: every
event class keeps its topic, its ancestry, its fields, their defaults and their order, and
events stored by the old code give back the same aggregates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from orderledger.domain.snapshots import identical
from orderledger.domain.transcoder import ledger_transcoder
from tests.unit.event_catalogue import catalogue
from tests.unit.old_events import mapper, recorded

HERE = Path(__file__).parent
FROZEN = json.loads((HERE / "event_topics.json").read_text())
OLD = json.loads((HERE / "old_events.json").read_text())
# Bases no command records: an aggregate's own `Event` and unused `Created`, Order.Finished.
NEVER_RECORDED = {"Event", "Created", "Finished"}
# Classes added after old_events.json was frozen: no old store holds them (their entries in
# event_topics.json freeze them from now on).
ADDED_SINCE = {
    "Account.Adjusted",
    "Account.DepositedWithNote",
    "TokenHolder.Named",
    "TokenHolder.Revoked",
    # upstream providers (issue 14)
    "Order.CancelForwarded",
    "Order.ForwardAttempted",
    "Order.ForwardInDoubt",
    "Order.ForwardNotPlaced",
    "Order.ForwardReopened",
    "Order.Forwarded",
    "Order.UpstreamCostReported",
    "Order.UpstreamOrderAttached",
    "Refill.AssignedToUpstream",
    "Refill.ForwardedUpstream",
    "Service.LinkedToUpstream",
    "Service.UnlinkedFromUpstream",
    "Upstream.Added",
    "Upstream.FundsRanShort",
    "Upstream.FundsRestored",
    "Upstream.Moved",
}


def test_every_event_class_keeps_its_topic_ancestry_and_fields() -> None:
    now = catalogue()
    assert sorted(now) == sorted(FROZEN)
    for name, described in FROZEN.items():
        assert now[name] == described, name


def stored_events(aggregate: dict[str, Any]) -> list[StoredEvent]:
    return [
        StoredEvent(
            UUID(e["originator_id"]), e["originator_version"], e["topic"], e["state"].encode()
        )
        for e in aggregate["events"]
    ]


def decoded(state: str) -> Any:
    return ledger_transcoder().decode(state.encode())


def test_the_old_events_hold_every_event_class_a_command_records() -> None:
    topics = {e["topic"] for aggregate in OLD for e in aggregate["events"]}
    recordable = {
        described["topic"]
        for name, described in FROZEN.items()
        if name.split(".")[1] not in NEVER_RECORDED and name not in ADDED_SINCE
    }
    assert topics == recordable


def test_events_stored_by_the_old_code_load_into_the_aggregates_it_built() -> None:
    read = mapper()
    for aggregate in OLD:
        loaded: Aggregate | None = None
        for stored in stored_events(aggregate):
            event = read.to_domain_event(stored)
            assert isinstance(event, CanMutateAggregate)
            assert get_topic(type(event)) == stored.topic
            loaded = event.mutate(loaded)
        assert loaded is not None
        state = read.to_stored_event(Aggregate.Snapshot.take(loaded)).state.decode()
        then, now = decoded(aggregate["state"]), decoded(state)
        assert (now["topic"], now["state"]) == (then["topic"], then["state"])
        assert identical(now["state"], then["state"])


def without_timestamp(state: str) -> dict[str, Any]:
    document: dict[str, Any] = decoded(state)
    document.pop("timestamp")
    return document


def test_the_commands_record_what_the_old_code_recorded() -> None:
    for now, then in zip(recorded(), OLD, strict=True):
        assert [
            (e["originator_id"], e["originator_version"], e["topic"]) for e in now["events"]
        ] == [(e["originator_id"], e["originator_version"], e["topic"]) for e in then["events"]]
        for new, old in zip(now["events"], then["events"], strict=True):
            written, stored = without_timestamp(new["state"]), without_timestamp(old["state"])
            assert list(written) == list(stored)  # the same fields, in the same order
            assert identical(written, stored)
