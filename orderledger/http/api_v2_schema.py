"""`/api/v2` as the OpenAPI document describes it: the fields each action reads and the
answers it gives, as ../shared/protocol.md (the contract) says them.

The description is data handed to the app's OpenAPI configuration (http/docs.py), not read
from a route: `/api/v2` is served by a plain ASGI handler, which Litestar does not describe,
and may be served before Litestar's routing altogether; the document stays the same.
"""

from __future__ import annotations

from typing import Any

from orderledger.domain.order import OrderStatus
from orderledger.domain.refill import RefillStatus
from orderledger.domain.service_types import SERVICE_TYPES
from orderledger.http.errors import INVALID_ACTION, INVALID_KEY
from orderledger.http.parsing import ACTIONS, MAX_IDS

PATH = "/api/v2"
TAG = "API v2"

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


# Every value may arrive as a string; a JSON body may carry numbers.
NUMBER: Schema = {"type": ["integer", "string"]}
TEXT: Schema = {"type": "string"}
IDS: Schema = {
    "oneOf": [
        {"type": "string"},
        {"type": "integer"},
        {"type": "array", "items": {"type": ["integer", "string"]}, "maxItems": MAX_IDS},
    ]
}


def field(schema: Schema, description: str) -> Schema:
    return {**schema, "description": description}


LIST_TEXT = "one item a line (`\\r\\n` or `\\n`)"
FIELDS: dict[str, Schema] = {
    "key": field(TEXT, "The account's API key (`orderledger accounts create`)."),
    "action": {
        "type": "string",
        "enum": sorted(ACTIONS),
        "description": "What to do; each action reads the fields named for it below.",
    },
    "service": field(NUMBER, "add: the service id (from `services`)."),
    "link": field(TEXT, "add: the link to deliver to (every type but Subscriptions)."),
    "quantity": field(NUMBER, "add: how many, within the service's min..max."),
    "runs": field(NUMBER, "add, Default and Web Traffic drip-feed: how many runs."),
    "interval": field(NUMBER, "add, drip-feed: minutes between runs."),
    "comments": field(TEXT, f"add, Custom Comments (Package), Comment Replies: {LIST_TEXT}."),
    "usernames": field(
        TEXT, f"add, Mentions (with Hashtags, Custom List): {LIST_TEXT}, or commas."
    ),
    "hashtags": field(TEXT, f"add, Mentions with Hashtags: {LIST_TEXT}, or commas."),
    "hashtag": field(TEXT, "add, Mentions Hashtag."),
    "keywords": field(TEXT, f"add, SEO: {LIST_TEXT}."),
    "username": field(
        TEXT,
        "add: Mentions User Followers, Comment Likes, Comment Replies, and the account a "
        "Subscriptions order watches.",
    ),
    "media": field(TEXT, "add, Mentions Media Likers."),
    "answer_number": field(NUMBER, "add, Poll."),
    "groups": field(TEXT, f"add, Invites from Groups: {LIST_TEXT}."),
    "min": field(NUMBER, "add, Subscriptions: the least quantity per post."),
    "max": field(NUMBER, "add, Subscriptions: the most quantity per post."),
    "delay": field(NUMBER, "add, Subscriptions: minutes to wait after a post."),
    "posts": field(NUMBER, "add, Subscriptions (optional): how many posts."),
    "old_posts": field(NUMBER, "add, Subscriptions (optional): earlier posts to include."),
    "expiry": field(TEXT, "add, Subscriptions (optional): the last day, d/m/Y."),
    "country": field(TEXT, "add, Web Traffic."),
    "device": field(NUMBER, "add, Web Traffic: 1-5."),
    "type_of_traffic": field(NUMBER, "add, Web Traffic: 1-3."),
    "google_keyword": field(TEXT, "add, Web Traffic: needed when type_of_traffic is 1."),
    "referring_url": field(TEXT, "add, Web Traffic: needed when type_of_traffic is 2."),
    "order": field(NUMBER, "status, refill, cancel (and refill_status for `refill`): one id."),
    "orders": field(
        IDS, f"status, refill, cancel: up to {MAX_IDS} ids, comma-separated or a list."
    ),
    "refill": field(NUMBER, "refill_status: one refill id."),
    "refills": field(IDS, f"refill_status: up to {MAX_IDS} refill ids."),
}

REQUEST: Schema = {
    "type": "object",
    "required": ["key", "action"],
    "properties": FIELDS,
    "additionalProperties": True,  # unknown fields are ignored
    "description": "Fields by action: `services` and `balance` read none; `add` reads "
    "`service` and the fields of the service's type (protocol.md lists them by type); "
    "`status`, `refill`, `cancel` read `order` or `orders`; `refill_status` reads `refill` "
    "or `refills` (or `order` / `orders` when both are absent). Unknown fields are ignored.",
}

RECEIVED_REFILL = "Your refill request has been received, please wait."
ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
    "additionalProperties": False,
}
STRINGS = {"type": "string"}
ORDER_STATUS: Schema = {
    "type": "object",
    "required": ["charge", "start_count", "status", "remains", "currency"],
    "properties": {
        "charge": field(STRINGS, "What the order costs the account now, a decimal string."),
        "start_count": STRINGS,
        "status": {"type": "string", "enum": [s.value for s in OrderStatus]},
        "remains": STRINGS,
        "currency": STRINGS,
    },
}
REFILL_STATUS: Schema = {"type": "string", "enum": [s.value for s in RefillStatus]}
ID_AS_SENT: Schema = {
    "type": ["integer", "string"],
    "description": "The id as a number, or as the client wrote it when it is not one.",
}

SCHEMAS: dict[str, Schema] = {
    "ApiV2Request": REQUEST,
    "ApiV2Error": ERROR,
    "ApiV2Service": {
        "type": "object",
        "required": [
            "service",
            "name",
            "type",
            "category",
            "rate",
            "min",
            "max",
            "dripfeed",
            "refill",
            "cancel",
            "description",
        ],
        "properties": {
            "service": {"type": "integer"},
            "name": STRINGS,
            "type": {"type": "string", "enum": list(SERVICE_TYPES)},
            "category": STRINGS,
            "rate": field(STRINGS, "The price per 1000, a decimal string."),
            "min": STRINGS,
            "max": STRINGS,
            "dripfeed": {"type": "boolean"},
            "refill": {"type": "boolean"},
            "cancel": {"type": "boolean"},
            "description": STRINGS,
        },
    },
    "ApiV2Services": {"type": "array", "items": ref("ApiV2Service")},
    "ApiV2Added": {
        "type": "object",
        "required": ["order"],
        "properties": {"order": {"type": "integer"}},
    },
    "ApiV2OrderStatus": ORDER_STATUS,
    "ApiV2OrderStatuses": {
        "type": "object",
        "description": "Keyed by each requested id as written, in request order.",
        "additionalProperties": {"anyOf": [ref("ApiV2OrderStatus"), ref("ApiV2Error")]},
    },
    "ApiV2RefillCreated": {
        "type": "object",
        "required": ["order", "refill", "message"],
        "properties": {
            "order": STRINGS,
            "refill": STRINGS,
            "message": {"type": "string", "const": RECEIVED_REFILL},
        },
    },
    "ApiV2RefillItems": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["order", "refill", "message"],
            "properties": {
                "order": ID_AS_SENT,
                "refill": {"anyOf": [{"type": "integer"}, ref("ApiV2Error")]},
                "message": STRINGS,
            },
        },
    },
    "ApiV2RefillStatus": {
        "type": "object",
        "required": ["refill", "status"],
        "properties": {"refill": {"type": "integer"}, "status": REFILL_STATUS},
    },
    "ApiV2RefillStatuses": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["refill", "status"],
            "properties": {
                "refill": ID_AS_SENT,
                "status": {"anyOf": [REFILL_STATUS, ref("ApiV2Error")]},
            },
        },
    },
    "ApiV2Canceled": {
        "type": "object",
        "required": ["order", "cancel"],
        "properties": {"order": {"type": "integer"}, "cancel": STRINGS},
    },
    "ApiV2CancelItems": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["order", "cancel"],
            "properties": {
                "order": ID_AS_SENT,
                "cancel": {"anyOf": [STRINGS, ref("ApiV2Error")]},
            },
        },
    },
    "ApiV2Balance": {
        "type": "object",
        "required": ["balance", "currency"],
        "properties": {
            "balance": field(STRINGS, "A decimal string."),
            "currency": STRINGS,
        },
    },
}

ANSWERS = (
    ("ApiV2Services", "services"),
    ("ApiV2Added", "add"),
    ("ApiV2OrderStatus", "status of one order"),
    ("ApiV2OrderStatuses", "status of `orders`"),
    ("ApiV2RefillCreated", "refill of one order"),
    ("ApiV2RefillItems", "refill of `orders`"),
    ("ApiV2RefillStatus", "refill_status of one refill"),
    ("ApiV2RefillStatuses", "refill_status of `refills`"),
    ("ApiV2Canceled", "cancel of one order"),
    ("ApiV2CancelItems", "cancel of `orders`"),
    ("ApiV2Balance", "balance"),
    ("ApiV2Error", "any other refusal (an unknown order, too few funds, ...)"),
)


def json_answer(description: str, schema: Schema) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


AS_200 = " (HTTP 200 instead when ORDERLEDGER_ERRORS_AS_200 is on)"
RESPONSES: Schema = {
    "200": json_answer(
        'The action\'s answer, or its refusal as `{"error": ...}`: '
        + "; ".join(f"{name} ({what})" for name, what in ANSWERS),
        {"anyOf": [ref(name) for name, _ in ANSWERS]},
    ),
    "400": json_answer(
        f'`{{"error": "{INVALID_ACTION}"}}`: action missing or unknown{AS_200}', ref("ApiV2Error")
    ),
    "401": json_answer(
        f'`{{"error": "{INVALID_KEY}"}}`: key missing or unknown{AS_200}', ref("ApiV2Error")
    ),
    "413": json_answer("A body over 10 MB.", ref("ApiV2Error")),
}

DESCRIPTION = (
    "The network's API (../shared/protocol.md is the contract). One endpoint: POST with a "
    "form, multipart or JSON body, or GET with a query string. A key is checked before the "
    "action, the action before its fields; every refusal but those two is answered HTTP 200 "
    'as `{"error": "<text>"}` with the protocol\'s exact text.'
)


def operation(summary: str, **request: Any) -> Schema:
    return {
        "tags": [TAG],
        "summary": summary,
        "description": DESCRIPTION,
        **request,
        "responses": RESPONSES,
    }


def query_parameter(name: str, schema: Schema) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": name in REQUEST["required"],
        "schema": {k: v for k, v in schema.items() if k != "description"},
        "description": schema.get("description", ""),
    }


PATH_ITEM: Schema = {
    "post": operation(
        "API v2 (POST)",
        operationId="ApiV2Post",
        requestBody={
            "required": True,
            "content": {
                media: {"schema": ref("ApiV2Request")}
                for media in (
                    "application/x-www-form-urlencoded",
                    "multipart/form-data",
                    "application/json",
                )
            },
        },
    ),
    "get": operation(
        "API v2 (GET with a query string)",
        operationId="ApiV2Get",
        parameters=[query_parameter(name, schema) for name, schema in FIELDS.items()],
    ),
}
