"""The app factory: a worker process's runtime (bootstrap.py), started and stopped with it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, Response
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from orderledger.bootstrap import runtime
from orderledger.http.api_v2 import ApiContext, answer, api_v2
from orderledger.http.audit import audit_order_history
from orderledger.http.fulfilment import DISPATCH_HANDLERS, app_clock
from orderledger.storage.faults import DATABASE_FAULTS
from orderledger.storage.settings import Settings, one_line

log = logging.getLogger(__name__)


def json_http_error(_: Request[Any, Any, Any], error: HTTPException) -> Response[bytes]:
    response = answer({"error": error.detail}, error.status_code)
    response.headers.update(error.headers or {})  # `Allow` on a 405, say
    return response


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


def create_app(settings: Settings | None = None, projector: bool = True) -> Litestar:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        parts = runtime(settings, projector, clock=lambda: app_clock(app))
        app.state.store = parts.store
        app.state.api = ApiContext(
            reads=parts.reads,
            ledger=parts.store.ledger,
            commands=parts.commands,
            errors_as_200=settings.errors_as_200,
            batcher=parts.batcher,
        )
        await parts.start()
        try:
            yield
        finally:
            await parts.stop()

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
