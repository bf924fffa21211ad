"""The load generator, run as its own process: `python -m orderledger.bench.load < spec.json`.

A minimal HTTP/1.1 keep-alive client on asyncio streams, because a general-purpose client
spends more CPU per request than the server under test and would measure itself. It
checks every answer, counts what completes inside the measured window, and prints one
JSON result. Closed loop (each connection sends its next request when the last is
answered) or open loop at a fixed rate.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import msgspec


class LoadSpec(msgspec.Struct):
    port: int
    check: str  # baseline | status | batch | add | balance
    bodies: list[str] = []  # form bodies, cycled
    template: str = ""  # for add: a body with {i}, numbered from `first` (unique links)
    first: int = 0
    connections: int = 16
    warmup: float = 1.0
    duration: float = 5.0
    rate: float = 0.0  # > 0: open loop at this many requests per second
    batch_size: int = 100


class LoadResult(msgspec.Struct):
    completed: int  # answers inside the measured window
    elapsed: float
    failures: int
    first_failure: str
    p50_ms: float
    p99_ms: float
    answered: list[tuple[int, float]]  # add: each order number and when its answer arrived


class CheckFailed(Exception):
    pass


class HasStatus(msgspec.Struct):
    """One order's answer as the batch check reads it: a status, other fields skipped."""

    status: str


# The load generator shares the two cores with the server it measures: decoding each 100-order
# answer into typed structs skips building the fields the check does not read.
read_batch = msgspec.json.Decoder(dict[str, HasStatus]).decode


def check_answer(spec: LoadSpec, status: int, body: bytes) -> Any:
    if status != 200:
        raise CheckFailed(f"HTTP {status}: {body[:200]!r}")
    if spec.check == "batch":  # every asked order must come back with a status
        try:
            orders = read_batch(body)
        except msgspec.ValidationError as error:
            raise CheckFailed(f"{error}: {body[:200]!r}") from error
        if len(orders) != spec.batch_size:
            raise CheckFailed(f"{len(orders)} of {spec.batch_size} orders: {body[:200]!r}")
        return orders
    answer = msgspec.json.decode(body)
    if not isinstance(answer, dict):
        raise CheckFailed(f"not an object: {body[:200]!r}")
    match spec.check:
        case "baseline" | "status":
            if "status" not in answer:
                raise CheckFailed(f"no status: {body[:200]!r}")
        case "add":
            if not isinstance(answer.get("order"), int):
                raise CheckFailed(f"no order number: {body[:200]!r}")
        case "balance":
            if not all(isinstance(answer.get(k), str) for k in ("balance", "currency")):
                raise CheckFailed(f"no balance: {body[:200]!r}")
        case _:
            raise CheckFailed(f"unknown check {spec.check!r}")
    return answer


def http_request(
    port: int,
    body: str,
    path: str = "/api/v2",
    content_type: str = "application/x-www-form-urlencoded",
    headers: tuple[str, ...] = (),
) -> bytes:
    data = body.encode()
    extra = "".join(f"{header}\r\n" for header in headers)
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: {content_type}\r\n{extra}"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode() + data


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


class Run:
    def __init__(self, spec: LoadSpec) -> None:
        self.spec = spec
        self.requests = self.request_source()
        self.started = time.monotonic()
        self.window_start = self.started + spec.warmup
        self.window_end = self.window_start + spec.duration
        self.completed = 0
        self.latencies: list[float] = []
        self.failures = 0
        self.first_failure = ""
        self.answered: list[tuple[int, float]] = []

    def request_source(self) -> Iterator[bytes]:
        if self.spec.template:
            return (
                http_request(self.spec.port, self.spec.template.format(i=i))
                for i in itertools.count(self.spec.first)
            )
        return itertools.cycle([http_request(self.spec.port, b) for b in self.spec.bodies])

    def record(self, began: float, status: int, body: bytes) -> None:
        ended = time.monotonic()
        try:
            answer = check_answer(self.spec, status, body)
        except (CheckFailed, msgspec.DecodeError) as error:
            self.failures += 1
            self.first_failure = self.first_failure or str(error)
            return
        if self.spec.check == "add":
            self.answered.append((int(answer["order"]), time.time()))
        if self.window_start <= ended <= self.window_end:
            self.completed += 1
            self.latencies.append(ended - began)

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.spec.port)

    async def closed_loop(self) -> None:
        reader, writer = await self.connect()
        try:
            while time.monotonic() < self.window_end:
                began = time.monotonic()
                status, body = await exchange(reader, writer, next(self.requests))
                self.record(began, status, body)
        finally:
            writer.close()

    async def open_loop(self) -> None:
        idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        for _ in range(self.spec.connections):
            idle.put_nowait(await self.connect())
        interval = 1.0 / self.spec.rate
        tasks: set[asyncio.Task[None]] = set()

        async def send(due: float) -> None:
            connection = await idle.get()
            try:
                status, body = await exchange(*connection, next(self.requests))
                self.record(due, status, body)  # latency from when it was due: no omission
            finally:
                idle.put_nowait(connection)

        due = time.monotonic()
        while due < self.window_end:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            task = asyncio.create_task(send(due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            due += interval
        await asyncio.gather(*tasks)
        while not idle.empty():
            idle.get_nowait()[1].close()

    async def run(self) -> LoadResult:
        if self.spec.rate > 0:
            await self.open_loop()
        else:
            await asyncio.gather(*(self.closed_loop() for _ in range(self.spec.connections)))
        self.latencies.sort()
        return LoadResult(
            completed=self.completed,
            elapsed=self.spec.duration,
            failures=self.failures,
            first_failure=self.first_failure,
            p50_ms=percentile(self.latencies, 0.50) * 1000,
            p99_ms=percentile(self.latencies, 0.99) * 1000,
            answered=self.answered,
        )


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(read: Callable[[], bytes] = sys.stdin.buffer.read) -> None:
    spec = msgspec.json.decode(read(), type=LoadSpec)
    result = asyncio.run(Run(spec).run())
    sys.stdout.buffer.write(msgspec.json.encode(result))


if __name__ == "__main__":
    main()
