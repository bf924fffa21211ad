"""The protocol answers in JSON with uvicorn's own settings, not only with orderledger's."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn import Config
from uvicorn.server import ServerState

from orderledger.http.nodelay import NoDelayH11Protocol


async def never_called(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("a request that is not HTTP reaches no application")


async def answer_to(request: bytes, config: Config) -> bytes:
    loop = asyncio.get_running_loop()
    state = ServerState()
    server = await loop.create_server(
        lambda: NoDelayH11Protocol(config, state, {}, loop), "127.0.0.1", 0
    )
    async with server:
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        answer = await asyncio.wait_for(reader.read(), timeout=10)
        writer.close()
        return answer


def test_a_request_that_is_not_http_gets_json_under_uvicorns_default_head_limit() -> None:
    config = Config(never_called, log_level="critical")  # no h11_max_incomplete_event_size
    answer = asyncio.run(answer_to(b"NOT HTTP AT ALL\r\n\r\n", config))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert json.loads(body) == {"error": "Incorrect request: malformed HTTP request"}
