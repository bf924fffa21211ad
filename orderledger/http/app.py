"""The app factory: one Store, one live projector and one read pool per worker process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
import psycopg
from anyio import CapacityLimiter
from eventsourcing.persistence import InterfaceError, OperationalError
from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from psycopg_pool import PoolTimeout

from orderledger.application.account_locks import AccountLocks
from orderledger.application.group_commit import AddBatcher
from orderledger.application.sweep import Sweeper
from orderledger.bootstrap import Store
from orderledger.http.api_v2 import ApiContext, answer, api_v2
from orderledger.http.audit import audit_order_history
from orderledger.http.fulfilment import DISPATCH_HANDLERS, app_clock
from orderledger.projections.live import LiveProjection
from orderledger.projections.ready import catch_up_before_serving
from orderledger.storage.database import SQLiteDatabase
from orderledger.storage.settings import Settings, one_line
from orderledger.views.event_tail import EventTable
from orderledger.views.reads import PostgresQuery, Query, ReadModels, SQLiteQuery

log = logging.getLogger(__name__)


def json_http_error(_: Request[Any, Any, Any], error: HTTPException) -> Response[bytes]:
    response = answer({"error": error.detail}, error.status_code)
    response.headers.update(error.headers or {})  # `Allow` on a 405, say
    return response


# Where the database cannot be reached: a pool's timeout, a connection lost, or
# eventsourcing's names for those (it wraps psycopg's errors in its own). Not the rest of
# PersistenceError: a missing table or a bad statement is a defect, logged with its traceback.
DATABASE_FAULTS = (PoolTimeout, psycopg.OperationalError, OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = "2"


def json_server_error(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    # Never an HTML page or a stack trace: the client gets JSON, the operator the log.
    if isinstance(error, DATABASE_FAULTS):  # expected while PostgreSQL is away: one line
        log.warning("database unavailable answering %s: %s", request.url.path, one_line(error))
    else:
        log.exception("unexpected error answering %s", request.url.path, exc_info=error)
    response = answer({"error": "Service temporarily unavailable, please retry"}, 503)
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


def event_table(store: Store, query: Query) -> EventTable:
    """The event store's table, read by the worker's read queries (SQLite: its own file)."""
    table = str(getattr(store.ledger.recorder, "events_table_name", "stored_events"))
    if isinstance(query, PostgresQuery):
        return EventTable(query, table, "postgres", beside_read_models=True)
    events = SQLiteQuery(SQLiteDatabase(Path(store.ledger.env["SQLITE_DBNAME"])))
    return EventTable(events, table, "sqlite", beside_read_models=False)


def create_app(settings: Settings | None = None, projector: bool = True) -> Litestar:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        store = Store.open(settings, pool_size=settings.command_threads)
        live = LiveProjection(store.projector(), store.leadership()) if projector else None
        # The background work goes with the projector: a test that wants neither gets neither.
        sweeper = Sweeper(store, clock=lambda: app_clock(app)) if projector else None
        query: PostgresQuery | SQLiteQuery
        if settings.postgres is not None:
            query = PostgresQuery(settings.postgres.conninfo(), settings.read_pool_size)
            await query.open()
        else:
            assert isinstance(store.db, SQLiteDatabase)
            query = SQLiteQuery(store.db)
        app.state.store = store
        events = event_table(store, query)
        app.state.api = ApiContext(
            reads=ReadModels(query, store.db.dialect, events),
            ledger=store.ledger,
            commands=CapacityLimiter(settings.command_threads),
            errors_as_200=settings.errors_as_200,
            batcher=AddBatcher(
                store.ledger,
                CapacityLimiter(settings.command_threads),
                AccountLocks(settings.postgres.conninfo()) if settings.postgres else None,
            ),
        )
        app.state.api.batcher.start()
        if live is not None:
            await anyio.to_thread.run_sync(catch_up_before_serving, store.projector())
            live.start()
        if sweeper is not None:
            sweeper.start()
        try:
            yield
        finally:
            await app.state.api.batcher.stop()
            if sweeper is not None:
                sweeper.stop()
            if live is not None:
                live.stop()
            if isinstance(query, PostgresQuery):
                await query.close()
            if isinstance(events.query, SQLiteQuery):
                events.query.db.close()
            store.close()

    return Litestar(
        route_handlers=[api_v2, *DISPATCH_HANDLERS, audit_order_history],
        lifespan=[lifespan],
        exception_handlers={HTTPException: json_http_error, Exception: json_server_error},
        openapi_config=OpenAPIConfig(
            title="orderledger",
            version="0.1.0",
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An operator token (dispatch) or an auditor token (audit), "
                        "made by `orderledger operators create` / `auditors create`.",
                    )
                }
            ),
        ),
    )
