"""From any body a client sends to one tagged union on `action`.

Form, multipart, JSON and the query string all become one flat mapping; msgspec then
converts it in lax mode ("123" becomes 123), and unknown fields are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request

from orderledger.domain.errors import IncorrectRequest, UnknownOrder, UnknownRefill, UnknownService

MAX_IDS = 100


class Action(msgspec.Struct, tag_field="action"):
    key: str


class Services(Action, tag="services"):
    pass


class Add(Action, tag="add"):
    service: int | None = None


class Status(Action, tag="status"):
    order: int | None = None
    orders: str | list[int] | None = None


class RefillOrders(Action, tag="refill"):
    order: int | None = None
    orders: str | list[int] | None = None


class RefillStatus(Action, tag="refill_status"):
    refill: int | None = None
    refills: str | list[int] | None = None


class Cancel(Action, tag="cancel"):
    order: int | None = None
    orders: str | list[int] | None = None


class Balance(Action, tag="balance"):
    pass


Request_ = Services | Add | Status | RefillOrders | RefillStatus | Cancel | Balance
ACTIONS = frozenset(
    cls.__struct_config__.tag
    for cls in (Services, Add, Status, RefillOrders, RefillStatus, Cancel, Balance)
)

# A malformed id is the same refusal as an unknown one.
FIELD_ERRORS = {
    "service": UnknownService,
    "order": UnknownOrder,
    "refill": UnknownRefill,
}


def flatten(pairs: Any) -> dict[str, Any]:
    return {str(k): v for k, v in pairs}


async def read_fields(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Every field the client sent, the body's over the query string's."""
    fields = flatten(request.query_params.items())
    if request.method != "POST":
        return fields
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        fields.update(flatten(form.items()))
        return fields
    body = await request.body()
    text = body.decode("utf-8", errors="replace").strip()
    if content_type.endswith("json") or text.startswith("{"):
        try:
            document = json.loads(text) if text else {}
        except json.JSONDecodeError:
            return fields
        if isinstance(document, dict):
            fields.update(document)
        return fields
    fields.update(flatten(parse_qsl(text, keep_blank_values=True)))
    return fields


def parse_action(fields: Mapping[str, Any]) -> Request_:
    """The typed request; the caller has already checked `key` and that `action` is known."""
    data = {
        name: value
        for name, value in fields.items()
        if name in ("key", "action") or value not in ("", None)
    }
    data["key"] = str(data.get("key", ""))
    try:
        action: Request_ = msgspec.convert(data, Request_, strict=False)
        return action
    except msgspec.ValidationError as error:
        path = str(error).rsplit("$.", 1)[-1] if "$." in str(error) else ""
        field = path.strip("`").split("[")[0].split(".")[0]
        raise FIELD_ERRORS.get(field, IncorrectRequest)(
            f"{field} is malformed" if field else str(error)
        ) from error


def split_ids(value: str | list[int]) -> list[str]:
    """The ids of a multi request, as the client wrote them; at most 100."""
    tokens = [str(v) for v in value] if isinstance(value, list) else value.split(",")
    ids = [token.strip() for token in tokens if token.strip()]
    if not ids:
        raise IncorrectRequest("no ids given")
    if len(ids) > MAX_IDS:
        raise IncorrectRequest(f"at most {MAX_IDS} ids at once")
    return ids


def as_number(token: str) -> int | None:
    return int(token) if token.isascii() and token.isdigit() and int(token) > 0 else None
