"""What the projections read the events from: the ledger, as the eventsourcing application it
is (its recorder's notifications, its mapper, its event store), never its commands."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application

Source = Application[UUID]
