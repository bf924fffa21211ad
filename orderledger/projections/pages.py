"""The log's pages as a rebuild folds them: read and decoded ahead, in a thread of their own.

A rebuild did one thing at a time: PostgreSQL read a page while Python waited, Python
decoded and folded it while PostgreSQL waited, then PostgreSQL wrote its rows while Python
waited again. With two cores the next pages can be read and decoded while this one is
written: psycopg lets go of the GIL while it waits on the server.

Only reading runs ahead. Every write, and the positions it moves, stays in the folding
thread, one transaction per page in log order, so a rebuild stopped at any moment has
committed whole pages and nothing else. A page read ahead but not folded yet is dropped when
the rebuild stops (interrupted, a fold failed, another runner moved a position): nothing of
it was written. An error while reading is raised in the folding thread once it has folded
every page read before it.
"""

from __future__ import annotations

import gc
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from eventsourcing.persistence import Notification

# How long the reader waits for room in the queue before it looks whether to stop.
PUT_WAIT_SECONDS = 0.05


@dataclass(frozen=True)
class Page:
    count: int  # notifications read, folded or not: what progress counts
    last: int  # its last notification's id: the positions it moves to
    events: list[tuple[int, str, Any]]  # the events some target folds (runner.Folded)


Read = Callable[[int], Sequence[Notification]]  # the notifications after a position
Decode = Callable[[Sequence[Notification]], list[tuple[int, str, Any]]]


def read_pages(read: Read, decode: Decode, start: int) -> Iterator[Page]:
    """The pages after `start`, up to the last one committed when it is reached."""
    while True:
        notifications = read(start)
        if not notifications:
            return
        start = notifications[-1].id
        yield Page(len(notifications), start, decode(notifications))


class PagesAhead:
    """`pages`, produced by a thread of its own up to `depth` pages ahead of the consumer.

    Use it as a context manager: leaving it stops the reader and waits for it (at most the
    page it is reading), whether every page was taken or not."""

    def __init__(self, pages: Iterator[Page], depth: int) -> None:
        self.pages = pages
        # A page, the end of the log (None) or what the reader raised.
        self.ready: queue.Queue[Page | BaseException | None] = queue.Queue(maxsize=depth)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="rebuild-reader", daemon=True)

    def __enter__(self) -> PagesAhead:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self.thread.join()

    def __iter__(self) -> Iterator[Page]:
        while True:
            item = self.ready.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def run(self) -> None:
        try:
            for page in self.pages:
                if not self.put(page):
                    return
            self.put(None)
        except BaseException as error:  # raised in the consumer, after the pages before it
            self.put(error)

    def put(self, item: Page | BaseException | None) -> bool:
        """Hand `item` over once there is room; False if told to stop first."""
        while not self.stopping.is_set():
            try:
                self.ready.put(item, timeout=PUT_WAIT_SECONDS)
            except queue.Full:
                continue
            return True
        return False


class PagesInline:
    """`pages` read by the consumer itself, each when it is asked for (depth 0)."""

    def __init__(self, pages: Iterator[Page]) -> None:
        self.pages = pages

    def __enter__(self) -> PagesInline:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def __iter__(self) -> Iterator[Page]:
        return self.pages


def pages_ahead(pages: Iterator[Page], depth: int) -> PagesAhead | PagesInline:
    """`pages` read `depth` pages ahead in a thread of their own, or inline for 0."""
    return PagesAhead(pages, depth) if depth > 0 else PagesInline(pages)


@contextmanager
def cycles_left_for_later() -> Iterator[None]:
    """Python's cycle collector paused meanwhile; reference counting still frees every object
    that is not part of a cycle, which is every event, row and page a rebuild makes.

    A rebuild keeps a page of decoded events, its rows and the pages read ahead alive while
    it folds them, so they outlive the collector's young generations, and its full
    collections traverse them again and again: measured, a quarter of a rebuild's CPU (a scan
    that drops each event as it decodes it spent an eighth). What cyclic garbage the libraries
    leave meanwhile waits for the collector, which resumes as it was once this ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
