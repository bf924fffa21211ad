"""The app factory: a worker process's runtime (bootstrap.py), and the app that serves it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Receive, Scope, Send

from orderledger.bootstrap import Runtime, runtime
from orderledger.domain.claims import utc_now
from orderledger.http.api_v2 import API_PATH, ApiContext, ApiFront, answer, api_v2_endpoint
from orderledger.http.audit import audit_api
from orderledger.http.bearer import requires
from orderledger.http.console import console_routes, console_templates
from orderledger.http.dependencies import runtime_dependencies
from orderledger.http.docs import ClosedStructs, documentation, documentation_assets
from orderledger.http.fulfilment import fulfilment_api
from orderledger.http.health import Operations, health_api
from orderledger.http.metrics import ADD_BATCH, RequestTally
from orderledger.http.observability import Observed
from orderledger.storage.console_secret import console_secret
from orderledger.storage.credentials import Role
from orderledger.storage.faults import DATABASE_FAULTS
from orderledger.storage.pool_use import pools_in_use
from orderledger.storage.settings import Settings, one_line

log = logging.getLogger(__name__)


def json_http_error(_: Request[Any, Any, Any], error: HTTPException) -> Response[bytes]:
    response = answer({"error": error.detail}, error.status_code)
    response.headers.update(error.headers or {})  # `Allow` on a 405, say
    return response


RETRY_AFTER_SECONDS = "2"


def json_error(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    """The app's answer to a failure, as its exception handlers give it."""
    if isinstance(error, HTTPException):
        return json_http_error(request, error)
    return json_server_error(request, error)


def json_server_error(request: Request[Any, Any, Any], error: Exception) -> Response[bytes]:
    # Never an HTML page or a stack trace: the client gets JSON, the operator the log.
    if isinstance(error, DATABASE_FAULTS):  # expected while PostgreSQL is away: one line
        log.warning("database unavailable answering %s: %s", request.url.path, one_line(error))
    else:
        log.exception("unexpected error answering %s", request.url.path, exc_info=error)
    response = answer({"error": "Service temporarily unavailable, please retry"}, 503)
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response


class OrderLedgerApp(Litestar):
    """The app: Litestar, but `/api/v2` goes to its front (`api_v2.ApiFront`) as the server
    hands it over, before Litestar's entry and routing. Everything else, lifespan included,
    is Litestar's. What must see every request (the access log and the metrics) is
    `observed`, which wraps that choice: middleware given to Litestar would not see what
    the front answers."""

    front: ApiFront | None = None
    observed: ASGIApp | None = None  # `dispatch`, wrapped by what sees every request

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.observed is not None:
            await self.observed(scope, receive, send)
            return
        await self.dispatch(scope, receive, send)

    async def dispatch(self, scope: Any, receive: Receive, send: Send) -> None:
        """A request to the front, or as Litestar routes it."""
        if self.front is not None and scope["type"] == "http" and scope["path"] == API_PATH:
            await self.front(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def routed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A request as Litestar routes it."""
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings | None = None,
    projector: bool = True,
    clock: Callable[[], datetime] = utc_now,
    parts: Runtime | None = None,
) -> Litestar:
    """One worker process's app. Its runtime (bootstrap.runtime) is built here, before the
    app, and started and stopped by the app's lifespan; the handlers receive its parts as
    dependencies (http/dependencies.py), the bearer-token guards close over its reads.

    `clock` is the time claims, leases, reports and the sweep go by: a test gives one it
    moves. A test that reaches into the runtime builds it and gives it as `parts` (then
    `projector` and `clock` are the runtime's own)."""
    settings = settings or Settings.from_env()
    parts = parts or runtime(settings, projector, clock=clock)
    context = ApiContext(
        reads=parts.reads,
        ledger=parts.store.ledger,
        commands=parts.commands,
        errors_as_200=settings.errors_as_200,
        batcher=parts.batcher,
    )

    tally = RequestTally()
    ops = operations(settings, parts, tally)
    parts.batcher.committed = ADD_BATCH.observe

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await parts.start()
        try:
            yield
        finally:
            await parts.stop()

    app = OrderLedgerApp(
        route_handlers=[
            api_v2_endpoint(context),
            fulfilment_api(requires_operator=requires(Role.OPERATOR, parts.reads)),
            audit_api(requires_auditor=requires(Role.AUDITOR, parts.reads)),
            documentation_assets(),
            *health_api(ops),
            *console_routes(
                console_secret(parts.store.db, settings.console_secret),
                context,
                parts.store.db,
                parts.clock,
                ops,
            ),
        ],
        template_config=console_templates(),
        dependencies=runtime_dependencies(parts),
        lifespan=[lifespan, ops.recording],
        # `serve` configures logging, the same in every worker (http/logs.py); Litestar's
        # own configuration would replace it with another format.
        logging_config=None,
        exception_handlers={HTTPException: json_http_error, Exception: json_server_error},
        openapi_config=documentation(version="0.1.0"),
        plugins=[ClosedStructs()],
    )
    app.front = ApiFront(context, app, app.routed, json_error)
    # Outermost: every request, answered by the front or routed by Litestar, is counted,
    # timed and logged once (http/observability.py).
    app.observed = Observed(app.dispatch, parts.reads, tally)
    return app


def operations(settings: Settings, parts: Runtime, tally: RequestTally) -> Operations:
    """What /healthz, /readyz and /metrics read of the worker's runtime."""
    store = parts.store
    return Operations(
        reads=parts.reads,
        clock=parts.clock,
        pools=lambda: pools_in_use(parts.query, store.db, store.ledger.recorder),
        tally=tally,
        max_lag=settings.ready_max_lag,
        token=settings.metrics_token,
    )
