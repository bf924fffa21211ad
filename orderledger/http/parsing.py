"""From any body a client sends to one tagged union on `action`.

Form, multipart, JSON and the query string all become one flat mapping; msgspec then
converts it in lax mode ("123" becomes 123), and unknown fields are ignored.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request

from orderledger.domain.errors import IncorrectRequest, UnknownOrder, UnknownRefill, UnknownService

MAX_IDS = 100
MAX_ID = 2**63 - 1  # order and refill numbers are 64-bit; anything larger is unknown
MULTI = {"order": "orders", "refill": "refills"}
REFILL_ALIASES = {"order": "refill", "orders": "refills"}


class Action(msgspec.Struct, tag_field="action"):
    key: str


class Services(Action, tag="services"):
    pass


class Add(Action, tag="add"):
    service: int | None = None


class Status(Action, tag="status"):
    order: int | None = None
    orders: str | int | list[Any] | None = None


class RefillOrders(Action, tag="refill"):
    order: int | None = None
    orders: str | int | list[Any] | None = None


class RefillStatus(Action, tag="refill_status"):
    refill: int | None = None
    refills: str | int | list[Any] | None = None


class Cancel(Action, tag="cancel"):
    order: int | None = None
    orders: str | int | list[Any] | None = None


class Balance(Action, tag="balance"):
    pass


Request_ = Services | Add | Status | RefillOrders | RefillStatus | Cancel | Balance
# Each action's own type: converting to it directly costs a twentieth of converting to the
# union (msgspec builds the union's type information on every call).
BY_ACTION: dict[Any, Any] = {
    cls.__struct_config__.tag: cls
    for cls in (Services, Add, Status, RefillOrders, RefillStatus, Cancel, Balance)
}
ACTIONS = frozenset(BY_ACTION)

# A malformed id is the same refusal as an unknown one.
FIELD_ERRORS = {
    "service": UnknownService,
    "order": UnknownOrder,
    "refill": UnknownRefill,
}


def flatten(pairs: Any) -> dict[str, Any]:
    """Form pairs to fields. `orders[]=1&orders[]=2`, `orders[0]=1` and a repeated `orders`
    (what PHP's http_build_query, Node's qs and Python's requests send for a list) become a
    list, in the client's order; any other repeated field keeps its last value."""
    fields: dict[str, Any] = {}
    lists: dict[str, list[tuple[int, Any]]] = {}
    for raw_name, value in pairs:
        name = str(raw_name)
        base, _, index = name[:-1].partition("[") if name.endswith("]") else (name, "", "")
        position = int(index) if index.isdigit() else len(lists.get(base, ()))
        lists.setdefault(base, []).append((position, value))
        fields[base] = value
    for name, values in lists.items():
        if len(values) > 1 and name in MULTI.values():
            fields[name] = [value for _, value in sorted(values, key=lambda item: item[0])]
    return fields


def charset_of(content_type: str) -> str:
    """The body's declared charset (PHP clients may send ISO-8859-1); UTF-8 otherwise."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            try:
                return codecs.lookup(value.strip().strip('"')).name
            except LookupError:
                break
    return "utf-8"


def form_pairs(text: str, charset: str = "utf-8") -> list[tuple[str, str]]:
    """The form's (name, value) pairs in the client's order, as `parse_qsl` reads them with
    blank values kept. Parsed here rather than by the framework, whose form parser loses the
    order of keys; a form with nothing escaped (no `%`, no `+`: what networks send) is split
    directly, which is what `parse_qsl` does with it, at a fraction of the cost."""
    if "%" in text or "+" in text:
        return parse_qsl(text, keep_blank_values=True, encoding=charset, errors="replace")
    return [
        (name, value)
        for name, _, value in (item.partition("=") for item in text.split("&") if item)
    ]


def content_type_of(headers: Iterable[tuple[bytes, bytes]]) -> str:
    # Read from the ASGI scope (names arrive lower-cased) rather than through the framework's
    # header mapping, which is built anew for every request.
    for name, value in headers:
        if name == b"content-type":
            return value.decode("latin-1")
    return ""


async def read_fields(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Every field the client sent, the body's over the query string's."""
    header = content_type_of(request.scope["headers"]) if request.method == "POST" else ""
    if media_type(header) == "multipart/form-data":
        fields = query_fields(request.scope.get("query_string", b""))
        form = await request.form()
        fields.update(flatten(form.multi_items()))
        return fields
    body = await request.body() if request.method == "POST" else b""
    return body_fields(request.scope.get("query_string", b""), request.method, header, body)


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def query_fields(query_string: bytes) -> dict[str, Any]:
    query = query_string.decode("latin-1")
    return flatten(form_pairs(query)) if query else {}


def body_fields(query_string: bytes, method: str, header: str, body: bytes) -> dict[str, Any]:
    """Every field of a request that is not multipart: the body's (a POST's, read whole, of
    the content type `header`) over the query string's."""
    fields = query_fields(query_string)
    if method != "POST":
        return fields
    content_type = media_type(header)
    charset = charset_of(header)
    text = body.decode(charset, errors="replace").strip()
    if content_type.endswith("json") or (content_type == "" and text.startswith("{")):
        try:
            document = json.loads(text) if text else {}
        except json.JSONDecodeError:
            return fields
        if isinstance(document, dict):
            fields.update(document)
        return fields
    fields.update(flatten(form_pairs(text, charset)))
    return fields


def parse_action(fields: Mapping[str, Any]) -> Request_:
    """The typed request; the caller has already checked `key` and that `action` is known."""
    data = {
        name: value.strip() if isinstance(value, str) else value
        for name, value in fields.items()
        if name in ("key", "action") or value not in ("", None)
    }
    data["key"] = str(data.get("key", ""))
    name = data.get("action")
    if name == "refill_status" and "refill" not in data and "refills" not in data:
        # Published clients ask for refills by `order` / `orders` (the protocol allows it).
        for alias, field in REFILL_ALIASES.items():
            if alias in data:
                data[field] = data.pop(alias)
    for single, multi in MULTI.items():
        if multi in data:  # a multi request: a stray single id does not matter
            data.pop(single, None)
    target = BY_ACTION.get(name, Request_) if isinstance(name, str) else Request_
    read_ids(data, target)
    try:
        action: Request_ = msgspec.convert(data, target, strict=False)
        return action
    except msgspec.ValidationError as error:
        path = str(error).rsplit("$.", 1)[-1] if "$." in str(error) else ""
        field = path.strip("`").split("[")[0].split(".")[0]
        raise FIELD_ERRORS.get(field, IncorrectRequest)(
            f"{field} is malformed" if field else str(error)
        ) from error


def read_ids(data: dict[str, Any], target: Any) -> None:
    """The single ids this action takes, as numbers, read as `as_number` reads the ids of a
    multi request (msgspec's lax mode would take "1.0" and "1e0", and refuse "01")."""
    fields = getattr(target, "__struct_fields__", ())
    for field, refusal in FIELD_ERRORS.items():
        value = data.get(field)
        if value is None or field not in fields:
            continue
        number = id_number(value)
        if number is None:
            raise refusal(f"{field} is malformed")
        data[field] = number


def id_number(value: object) -> int | None:
    """An id from a form string or a JSON number: only a whole number is one, not 1.0."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if valid_id(value) else None
    return as_number(value.strip()) if isinstance(value, str) else None


def split_ids(value: str | int | list[Any]) -> list[str]:
    """The distinct ids of a multi request, as the client wrote them; at most 100."""
    items = value if isinstance(value, list) else [value]
    tokens = [token.strip() for item in items for token in str(item).split(",")]
    ids = list(dict.fromkeys(tokens))
    if "" in ids:
        ids.remove("")
    if not ids:
        raise IncorrectRequest("no ids given")
    if len(ids) > MAX_IDS:
        raise IncorrectRequest(f"at most {MAX_IDS} ids at once")
    return ids


# Numbers as the network writes them, comma-separated: no sign, no leading zero, no spaces;
# 18 digits at most, so each is always a valid id.
PLAIN_NUMBERS = re.compile(r"[1-9][0-9]{0,17}(?:,[1-9][0-9]{0,17})*")


def as_number(token: str) -> int | None:
    """An order, refill or service number: ASCII digits, leading zeros allowed ("01" is 1);
    None for what cannot be one (a sign, a decimal point, an exponent, zero, over 64 bits)."""
    if not (token.isascii() and token.isdigit()):
        return None
    significant = token.lstrip("0")
    if not significant or len(significant) > 19:
        return None
    number = int(significant)
    return number if number <= MAX_ID else None


def valid_id(number: int) -> bool:
    return 0 < number <= MAX_ID
