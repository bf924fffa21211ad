"""How the fulfilment and audit APIs' refusals are described in the OpenAPI document: as they
are answered, `{"error": "..."}` (with `fields` naming what a 422's body got wrong)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec


class Refusal(msgspec.Struct):
    error: str
    fields: list[dict[str, Any]] | None = None  # a 422's: what the body got wrong


MEANINGS = {
    400: "The body is not JSON, or a parameter is malformed.",
    401: "A missing or bad bearer token (or one of another role).",
    404: "No such order or refill.",
    409: "Does not fit the current state, or another bot holds a claim on it; nothing recorded.",
    422: "A body that is not what the endpoint takes; `fields` names what it got wrong.",
}


def refused(*codes: int) -> dict[int, ResponseSpec]:
    """The refusals an endpoint answers, for its `responses=`."""
    return {
        code: ResponseSpec(data_container=Refusal, description=MEANINGS[code]) for code in codes
    }
