"""The queue of a group commit: hands out the requests that arrive together as one batch.

A batch opens at its first request and closes when as many requests have arrived as the
previous batch held, or when the window ends, whichever is first. Clients that send their
next request once answered (a network's order pusher, a bot) come back together after each
batch: waiting for exactly that many closes the batch the moment the last of them arrives,
instead of idling out a fixed window; a lone request after a quiet spell waits for nobody.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class Arrivals(Generic[T]):
    def __init__(self, window: float, most: int) -> None:
        self.window = window
        self.most = most
        self.waiting: list[T] = []
        self.expected = 1  # the size of the last batch handed out
        self.signal = asyncio.Event()

    def add(self, item: T) -> None:
        self.waiting.append(item)
        if len(self.waiting) == 1 or len(self.waiting) >= self.expected:
            self.signal.set()

    async def next_batch(self) -> list[T]:
        """The next batch: at least one request, at most `most`."""
        while not self.waiting:
            self.signal.clear()
            await self.signal.wait()
        loop = asyncio.get_running_loop()
        closes = loop.time() + self.window
        while len(self.waiting) < min(self.expected, self.most):
            left = closes - loop.time()
            if left <= 0:
                break
            self.signal.clear()
            try:
                await asyncio.wait_for(self.signal.wait(), left)
            except TimeoutError:
                break
        batch, self.waiting = self.waiting[: self.most], self.waiting[self.most :]
        self.expected = len(batch)
        return batch

    def drain(self) -> Iterable[T]:
        """Everything still waiting (when shutting down)."""
        left, self.waiting = self.waiting, []
        return left
