"""The projections: each read model's position against the log's head, its lag, and its
state (running, or stopped by an event it cannot fold; a rebuild under way), as
`orderledger projections status` prints them (projections/lag.py); and verify.

Verify (projections/verify.py, as `orderledger projections verify` runs it) replays the
whole log, which takes minutes on a big store. It runs in a thread of its own, and its page
is streamed: the layout first, then a line per stretch of events verified, then the
verdict, so the browser shows progress as it goes and no worker's request threads wait on
it. Streaming is one request, so it works whichever worker takes it (a job polled for would
live in one worker's memory). It only reads: unlike the command, it does not bring the read
models up to date first (that writes); it compares each one with the events up to its own
position, which is as sound. Navigating away stops it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Stream, Template

from orderledger.application.ledger import Ledger
from orderledger.http.console.pages import NO_STORE, layout_context, page
from orderledger.http.console.parts import ConsoleParts
from orderledger.http.dependencies import CommandThreads
from orderledger.projections.lag import projection_lags
from orderledger.projections.verify import verify

Raw = Request[Any, Any, Any]
MARK = "<!--verify-->"  # where the streamed lines go in verify.html
EVERY = 0.25  # seconds between progress lines at most
ONE_AT_A_TIME = threading.BoundedSemaphore(1)  # per worker: a replay is heavy


class Stopped(Exception):
    """The browser went away: the replay stops at its next page of events."""


@dataclass
class Outcome:
    differences: list[str] | None = None
    error: BaseException | None = None


def start_verify(
    ledger: Ledger, console: ConsoleParts, report: Callable[[object], object]
) -> threading.Event:
    """Verify in a thread of its own; `report` is given each count of events verified,
    then the Outcome. Setting the returned event stops it."""
    stop = threading.Event()

    def progress(count: int) -> None:
        if stop.is_set():
            raise Stopped
        report(count)

    def work() -> None:
        outcome = Outcome()
        try:
            outcome.differences = verify(ledger, console.db, progress=progress)
        except BaseException as error:  # reported to the page, and logged by it
            outcome.error = error
        finally:
            ONE_AT_A_TIME.release()
            report(outcome)

    threading.Thread(target=work, name="console-verify", daemon=True).start()
    return stop


async def verify_lines(ledger: Ledger, console: ConsoleParts, head: int) -> AsyncIterator[str]:
    """The streamed part of the verify page: progress lines, then the verdict."""
    if not ONE_AT_A_TIME.acquire(blocking=False):
        yield '<p class="refusal" role="alert">A verify is already running here: wait for it.</p>'
        return
    loop = asyncio.get_running_loop()
    reports: asyncio.Queue[object] = asyncio.Queue()
    stop = start_verify(ledger, console, lambda r: loop.call_soon_threadsafe(reports.put_nowait, r))
    done, shown = 0, 0.0
    try:
        while True:
            report = await reports.get()
            if isinstance(report, Outcome):
                yield verdict(report, done)
                return
            done += int(report)  # type: ignore[call-overload]
            if time.monotonic() - shown >= EVERY:
                shown = time.monotonic()
                yield progress_line(done, head)
    finally:
        stop.set()


def progress_line(done: int, head: int) -> str:
    share = f" ({100 * done // head}%)" if head else ""
    return f'<p class="step">verified {done:,} of {head:,} events{share}</p>\n'


def verdict(outcome: Outcome, done: int) -> str:
    if outcome.error is not None:
        return (
            '<div class="verdict refusal" role="alert" id="verdict">Verify failed: '
            f"{escape(str(outcome.error) or type(outcome.error).__name__)}</div>"
        )
    differences = outcome.differences or []
    if not differences:
        return (
            '<div class="verdict notice" role="status" id="verdict">OK: the read models match '
            f"the events ({done:,} events replayed).</div>"
        )
    items = "".join(f"<li>{escape(d)}</li>" for d in differences)
    return (
        f'<div class="verdict" role="alert" id="verdict"><p class="refusal">{len(differences)} '
        f"difference(s) between the events and the read models:</p><ul>{items}</ul></div>"
    )


class ProjectionPages(Controller):
    path = "/projections"

    @get()
    async def show(
        self,
        request: Raw,
        ledger: NamedDependency[Ledger],
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
    ) -> Template:
        lags = await run(projection_lags, ledger, console.db)
        return page(request, "projections.html", lags=lags, head=lags[0].head if lags else 0)

    @get("/verify")
    async def verify(
        self,
        request: Raw,
        ledger: NamedDependency[Ledger],
        console: NamedDependency[ConsoleParts],
        run: NamedDependency[CommandThreads],
    ) -> Stream:
        lags = await run(projection_lags, ledger, console.db)
        head = lags[0].head if lags else 0
        template = request.app.template_engine.get_template("verify.html")  # type: ignore[union-attr]
        before, _, after = template.render(**layout_context(request, head=head)).partition(MARK)

        async def body() -> AsyncIterator[str]:
            yield before
            async for line in verify_lines(ledger, console, head):
                yield line
            yield after

        return Stream(body(), media_type="text/html; charset=utf-8", headers=NO_STORE)
