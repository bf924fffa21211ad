"""Health: what `/readyz` says (the same check: http/health.py), each read model's position,
lag and stop, and the work queue as `/metrics` counts it. What leads (the projector, the
forwarder) no view tells: a session lock says nothing of its holder to others."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from orderledger.http.console.pages import page
from orderledger.http.console.parts import ConsoleParts
from orderledger.http.health import DATABASE_SECONDS, checked
from orderledger.projections.registry import PROJECTIONS
from orderledger.views.standing import QueueDepth, queue_depths

Raw = Request[Any, Any, Any]


class HealthPage(Controller):
    path = "/"

    @get("/health")
    async def show(
        self, request: Raw, console: NamedDependency[ConsoleParts], now: NamedDependency[datetime]
    ) -> Template:
        ops = console.ops
        began = time.perf_counter()
        ready, body, found = await checked(ops)
        took = time.perf_counter() - began
        queue: list[QueueDepth] = []
        if found is not None:
            try:
                queue = await asyncio.wait_for(queue_depths(ops.reads, now), DATABASE_SECONDS)
            except Exception:  # the readiness above is what matters; the queue is a figure
                queue = []
        lags = (
            [
                (
                    p.name,
                    found.positions.get(p.name, 0),
                    found.lag(p.name),
                    found.stopped.get(p.name, ""),
                )
                for p in PROJECTIONS
            ]
            if found
            else []
        )
        return page(
            request,
            "health.html",
            ready=ready,
            reasons=body.get("reasons", []),
            head=body.get("head"),
            max_lag=body.get("max_lag"),
            database=found is not None,
            took_ms=round(took * 1000),
            lags=lags,
            queue=queue,
            token_needed=bool(ops.token),
        )
