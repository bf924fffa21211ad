"""A group commit's batch closes when the expected requests are in, or when its window ends."""

from __future__ import annotations

import asyncio

from orderledger.application.arrivals import Arrivals


def test_a_lone_request_waits_for_nobody() -> None:
    async def scenario() -> tuple[list[int], float]:
        arrivals: Arrivals[int] = Arrivals(window=5.0, most=10)
        arrivals.add(1)
        began = asyncio.get_running_loop().time()
        batch = await arrivals.next_batch()
        return batch, asyncio.get_running_loop().time() - began

    batch, waited = asyncio.run(scenario())
    assert batch == [1] and waited < 1.0  # a 5 s window, not waited out


def test_a_batch_waits_for_as_many_as_the_last_one_held() -> None:
    async def scenario() -> list[list[int]]:
        # a window of 0.2 s: had the second batch waited it out, it would hold all four
        arrivals: Arrivals[int] = Arrivals(window=0.2, most=10)
        for i in range(3):
            arrivals.add(i)
        first = await arrivals.next_batch()

        async def trickle() -> None:
            for i in range(3, 7):
                arrivals.add(i)
                await asyncio.sleep(0.01)

        feeding = asyncio.create_task(trickle())
        second = await arrivals.next_batch()  # closes at the third arrival
        await feeding
        third = await arrivals.next_batch()
        return [first, second, third]

    assert asyncio.run(scenario()) == [[0, 1, 2], [3, 4, 5], [6]]


def test_the_window_closes_a_batch_that_is_still_short() -> None:
    async def scenario() -> tuple[list[int], list[int]]:
        arrivals: Arrivals[int] = Arrivals(window=0.05, most=10)
        for i in range(4):
            arrivals.add(i)
        first = await arrivals.next_batch()
        arrivals.add(4)
        return first, await arrivals.next_batch()  # expected 4, only 1 comes

    assert asyncio.run(scenario()) == ([0, 1, 2, 3], [4])


def test_a_batch_holds_at_most_its_limit() -> None:
    async def scenario() -> list[list[int]]:
        arrivals: Arrivals[int] = Arrivals(window=0.05, most=3)
        for i in range(5):
            arrivals.add(i)
        return [await arrivals.next_batch(), await arrivals.next_batch()]

    assert asyncio.run(scenario()) == [[0, 1, 2], [3, 4]]
