"""How long after a bot's report is answered `status` shows it: `status_lag_after_report_ms`.

A bot (an operator token) claims orders through `/dispatch/orders/claim`, then reports on each
in turn: `start` (with a start count), then `deliver` (half the quantity). As soon as a report's
answer arrives, a network client asks `/api/v2` `status` for that order again and again, one
request at a time, until the answer shows what the report's answer shows (status, start count
and what remains). A sample is the time from the report's answer arriving to that `status`
answer arriving, so it includes at least one `status` round trip. Reports go one at a time with
a short pause between, from this process over loopback (two keep-alive connections), while
nothing else loads the server. Every answer is checked; any refusal fails the run.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import msgspec

from orderledger.bench.load import exchange, http_request, percentile

PAUSE_SECONDS = 0.01  # at most, between one sample and the next report
SAMPLE_TIMEOUT = 10.0
START_COUNT = 7


class ReportFailed(RuntimeError):
    pass


class Bot:
    def __init__(self, port: int, token: str, key: str) -> None:
        self.port = port
        self.token = token
        self.key = key

    async def open(self) -> None:
        self.dispatch = await asyncio.open_connection("127.0.0.1", self.port)
        self.api = await asyncio.open_connection("127.0.0.1", self.port)

    def close(self) -> None:
        self.dispatch[1].close()
        self.api[1].close()

    async def report(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = http_request(
            self.port,
            msgspec.json.encode(body).decode(),
            path=path,
            content_type="application/json",
            headers=(f"Authorization: Bearer {self.token}",),
        )
        status, answer = await exchange(*self.dispatch, request)
        if status != 200:
            raise ReportFailed(f"{path}: HTTP {status}: {answer[:200]!r}")
        decoded = msgspec.json.decode(answer)
        if not isinstance(decoded, dict):
            raise ReportFailed(f"{path}: not an object: {answer[:200]!r}")
        return decoded

    async def status(self, number: int) -> dict[str, Any]:
        request = http_request(self.port, f"key={self.key}&action=status&order={number}")
        status, answer = await exchange(*self.api, request)
        decoded = msgspec.json.decode(answer)
        if status != 200 or not isinstance(decoded, dict) or "status" not in decoded:
            raise ReportFailed(f"status of {number}: HTTP {status}: {answer[:200]!r}")
        return decoded

    async def claim(self, count: int) -> list[dict[str, Any]]:
        claimed: list[dict[str, Any]] = []
        while len(claimed) < count:
            limit = min(100, count - len(claimed))
            answer = await self.report("/dispatch/orders/claim", {"limit": limit})
            orders = answer.get("orders")
            if not isinstance(orders, list) or not orders:
                raise ReportFailed(f"claimed {len(claimed)} of {count} orders; then {answer}")
            claimed += orders
        return claimed

    async def lag_until_shown(self, number: int, order: dict[str, Any], answered: float) -> float:
        expected = (order["status"], str(order["start_count"]), str(order["remains"]))
        while True:
            shown = await self.status(number)
            now = time.perf_counter()
            if (shown["status"], shown.get("start_count"), shown.get("remains")) == expected:
                return now - answered
            if now - answered > SAMPLE_TIMEOUT:
                raise ReportFailed(
                    f"status of {number} still {shown} {SAMPLE_TIMEOUT:.0f} s after a report "
                    f"answered {expected}"
                )

    async def one(self, path: str, number: int, body: dict[str, Any]) -> float:
        order = await self.report(path, body)
        answered = time.perf_counter()
        if order.get("order") != number:
            raise ReportFailed(f"{path} answered another order: {order}")
        return await self.lag_until_shown(number, order, answered)


async def measure(port: int, token: str, key: str, orders: int, seed: int = 13) -> list[float]:
    """The lags (seconds) of `2 × orders` reports: a start and a delivery on each order."""
    pause = random.Random(seed)
    bot = Bot(port, token, key)
    await bot.open()
    try:
        lags = []
        for order in await bot.claim(orders):
            number = int(order["order"])
            base = f"/dispatch/orders/{number}"
            for path, body in (
                (f"{base}/start", {"start_count": START_COUNT}),
                (f"{base}/deliver", {"delivered": int(order["quantity"]) // 2}),
            ):
                await asyncio.sleep(pause.uniform(0, PAUSE_SECONDS))
                lags.append(await bot.one(path, number, body))
        return lags
    finally:
        bot.close()


def p99_ms(port: int, token: str, key: str, orders: int) -> float:
    lags = sorted(asyncio.run(measure(port, token, key, orders)))
    return percentile(lags, 0.99) * 1000
