"""What the handlers are given: the parts of the worker's runtime they use, as Litestar
dependencies.

The app factory builds one `Runtime` (bootstrap.py) and declares these on the app; a handler
names what it needs (`ledger`, `work_claims`, `run`, `now`) and receives it, without looking
anything up on the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from litestar.di import Provide

from orderledger.application.claiming import WorkClaims
from orderledger.bootstrap import Runtime

T = TypeVar("T")


@dataclass(frozen=True)
class CommandThreads:
    """The threads that carry out commands, the same limiter as /api/v2's: `await run(fn,
    *args)` runs `fn` in one of them, off the event loop."""

    limiter: CapacityLimiter

    async def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs), limiter=self.limiter)


def always(value: object) -> Provide:
    """A dependency that is always this one part of the runtime, made once."""

    def part() -> object:
        return value

    return Provide(part, use_cache=True, sync_to_thread=False)


def runtime_dependencies(parts: Runtime) -> dict[str, Provide]:
    clock = parts.clock

    def now() -> datetime:
        """The request's moment by the runtime's clock (a test's clock moves when it says)."""
        return clock()

    return {
        "ledger": always(parts.store.ledger),
        "work_claims": always(WorkClaims(parts.store.ledger, parts.store.db)),
        "run": always(CommandThreads(parts.commands)),
        "now": Provide(now, sync_to_thread=False),
    }
