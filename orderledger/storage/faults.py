"""What a database that cannot be reached raises, as the HTTP layer tells it from a defect."""

from __future__ import annotations

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout

# Where the database cannot be reached: a pool's timeout, a connection lost, or
# eventsourcing's names for those (it wraps psycopg's errors in its own). Not the rest of
# PersistenceError: a missing table or a bad statement is a defect, logged with its traceback.
DATABASE_FAULTS: tuple[type[Exception], ...] = (
    PoolTimeout,
    psycopg.OperationalError,
    OperationalError,
    InterfaceError,
)
