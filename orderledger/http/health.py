"""`/healthz`, `/readyz` and `/metrics`: what a load balancer and Prometheus ask a worker.

- `/healthz`: the process answers (no database involved): for liveness checks.
- `/readyz`: the database answers, and every read model is at most `ready_max_lag` events
  behind the head of the event log (ORDERLEDGER_READY_MAX_LAG, default 10,000: a second or
  two of the projector's work; normally it is a few events behind). The projector is the
  leading worker's, whichever that is, so every worker sees the same lag. 503 with the
  reasons in a JSON body when not.
- `/metrics`: the Prometheus text format (http/metrics.py).

With ORDERLEDGER_METRICS_TOKEN set, `/readyz` and `/metrics` want `Authorization: Bearer
<that token>` (compared in constant time); `/healthz` never does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from litestar import Litestar, Response, Router, get
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import Guard

from orderledger.http.metrics import (
    CONTENT_TYPE,
    RequestTally,
    StoreFigures,
    exposition,
    record_pools,
)
from orderledger.http.refusals import refused
from orderledger.storage.pool_use import PoolUse
from orderledger.storage.settings import one_line
from orderledger.views.reads import ReadModels
from orderledger.views.standing import Standing, queue_depths, standing

log = logging.getLogger(__name__)

DATABASE_SECONDS = 3.0  # a database slower than this to answer is not ready
RECORD_EVERY_SECONDS = 1.0  # how often each worker writes its figures down


@dataclass
class Operations:
    """What the three routes read: the worker's read models, its clock and its pools."""

    reads: ReadModels
    clock: Callable[[], datetime]
    pools: Callable[[], dict[str, PoolUse]]
    tally: RequestTally  # the worker's answers, handed to the metrics now and then
    max_lag: int
    token: str = ""

    async def standing(self) -> Standing:
        return await asyncio.wait_for(standing(self.reads), DATABASE_SECONDS)

    @asynccontextmanager
    async def recording(self, _: Litestar) -> AsyncIterator[None]:
        """The app's lifespan: every worker writes its figures down now and then (its
        answers, its pools' use), so the worker that is scraped can sum everyone's."""
        task = asyncio.get_running_loop().create_task(self.keep_recording(), name="figures")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.tally.flush()

    def record(self) -> None:
        self.tally.flush()
        record_pools(self.pools())

    async def keep_recording(self) -> None:
        while True:
            try:
                self.record()
            except Exception:  # a figure missing now and then must not end the recording
                log.exception("could not record this worker's figures")
            await asyncio.sleep(RECORD_EVERY_SECONDS)


def json(body: Any, status: int = 200) -> Response[bytes]:
    return Response(
        content=msgspec.json.encode(body), media_type="application/json", status_code=status
    )


def readiness(ops: Operations, found: Standing) -> tuple[bool, dict[str, Any]]:
    reasons = [
        f"{name} is {found.lag(name)} events behind the log (at most {ops.max_lag})"
        for name in sorted(found.positions)
        if found.lag(name) > ops.max_lag
    ]
    reasons += [f"{name} {why}" for name, why in sorted(found.stopped.items())]
    body = {
        "ready": not reasons,
        "head": found.head,
        "max_lag": ops.max_lag,
        "projections": {
            name: {"position": found.positions[name], "lag": found.lag(name)}
            for name in sorted(found.positions)
        },
    }
    if reasons:
        body["reasons"] = reasons
    return not reasons, body


async def checked(ops: Operations) -> tuple[bool, dict[str, Any], Standing | None]:
    """What `/readyz` answers (ready, its body) and the standing it read (None when the
    database did not answer); the console's health page shows the same."""
    try:
        found = await ops.standing()
    except Exception as error:  # whatever it is, the database did not answer: not ready
        reason = one_line(error) or f"no answer within {DATABASE_SECONDS:.0f} s"
        return False, {"ready": False, "reasons": [f"database: {reason}"]}, None
    ready, body = readiness(ops, found)
    return ready, body, found


def bearer_token(token: str) -> Guard:
    """Requests must carry `Authorization: Bearer <token>`; any other is refused with 401."""
    expected = token.encode()

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], __: BaseRouteHandler) -> None:
        scheme, _, given = connection.headers.get("authorization", "").partition(" ")
        if not (
            scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)
        ):
            raise NotAuthorizedException("send Authorization: Bearer <metrics token>")

    return guard


# The text format's type; the charset is added by the response, as to any text answer.
METRICS_MEDIA_TYPE = CONTENT_TYPE.removesuffix("; charset=utf-8")


class Health(msgspec.Struct):
    status: str  # "ok"


class ProjectionStanding(msgspec.Struct):
    position: int
    lag: int


class Readiness(msgspec.Struct):
    """/readyz's answer; without the database's figures when it does not answer."""

    ready: bool
    head: int | None = None
    max_lag: int | None = None
    projections: dict[str, ProjectionStanding] | None = None
    reasons: list[str] | None = None  # when not ready


def health_api(ops: Operations) -> list[Any]:
    """The routes; `/readyz` and `/metrics` behind the metrics token when one is set."""

    @get(
        "/healthz",
        summary="The process answers",
        tags=["operations"],
        responses={200: ResponseSpec(Health, description="Always, while the process answers.")},
    )
    async def healthz() -> Response[bytes]:
        return json({"status": "ok"})

    @get(
        "/readyz",
        summary="Ready to serve: the database answers, read models current",
        tags=["operations"],
        responses={
            200: ResponseSpec(Readiness, description="The database answers, read models current."),
            503: ResponseSpec(Readiness, description="Not ready: `reasons` says why."),
            **refused(401),
        },
    )
    async def readyz() -> Response[bytes]:
        ready, body, _ = await checked(ops)
        return json(body, 200 if ready else 503)

    @get(
        "/metrics",
        summary="Prometheus metrics",
        tags=["operations"],
        responses={
            200: ResponseSpec(
                str, description="The Prometheus text format.", media_type=METRICS_MEDIA_TYPE
            ),
            **refused(401),
        },
    )
    async def metrics() -> Response[bytes]:
        ops.record()
        try:
            found = await ops.standing()
            queue = await asyncio.wait_for(queue_depths(ops.reads, ops.clock()), DATABASE_SECONDS)
            store = StoreFigures(found, queue)
        except Exception as error:  # the workers' own figures matter most just then
            log.warning("/metrics without the store's figures: %s", one_line(error) or "timeout")
            store = StoreFigures(None, [])
        return Response(content=exposition(store), media_type=METRICS_MEDIA_TYPE)

    guarded = Router(
        "/",
        route_handlers=[readyz, metrics],
        guards=[bearer_token(ops.token)] if ops.token else [],
    )
    return [healthz, guarded]
