"""What each API v2 service type requires of an `add`, and how many units it charges.

The table follows the protocol's "Fields by service type". Validation happens here, once, so
that the ledger records only orders that are complete and priced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from orderledger.domain.errors import (
    IncorrectRequest,
    InvalidLink,
    InvalidQuantity,
    QuantityAboveMaximum,
    QuantityBelowMinimum,
)

MAX_TEXT = 10_000
MAX_LINK = 2_000
CONTROL_CHARACTER = re.compile("[\x00-\x1f]")  # below a space: no link holds one
# Bounds that keep every number the ledger stores a sane 64-bit integer: a drip-feed of more
# than a thousand runs, or runs more than 30 days apart, is not an order but a mistake.
MAX_WHOLE = 2**63 - 1
MAX_RUNS = 1_000
MAX_INTERVAL_MINUTES = 30 * 24 * 60
MAX_DELAY_MINUTES = 30 * 24 * 60
MAX_POSTS = 100_000


class Charging(Enum):
    QUANTITY = "quantity"  # quantity (× runs when drip-fed)
    FLAT = "flat"  # the rate is the price
    COMMENT_LINES = "comment lines"
    USERNAMES = "usernames"
    PER_POST = "per post"  # subscriptions: charged as posts are delivered


@dataclass(frozen=True)
class TypeRule:
    charging: Charging
    needs_link: bool = True
    needs_quantity: bool = False
    lists: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    drip_feed: bool = False


SERVICE_TYPES: dict[str, TypeRule] = {
    "Default": TypeRule(Charging.QUANTITY, needs_quantity=True, drip_feed=True),
    "Package": TypeRule(Charging.FLAT),
    "SEO": TypeRule(Charging.QUANTITY, needs_quantity=True, lists=("keywords",)),
    "Custom Comments": TypeRule(Charging.COMMENT_LINES, lists=("comments",)),
    "Custom Comments Package": TypeRule(Charging.FLAT, lists=("comments",)),
    "Mentions": TypeRule(Charging.QUANTITY, needs_quantity=True, lists=("usernames",)),
    "Mentions with Hashtags": TypeRule(
        Charging.QUANTITY, needs_quantity=True, lists=("usernames", "hashtags")
    ),
    "Mentions Custom List": TypeRule(Charging.USERNAMES, lists=("usernames",)),
    "Mentions Hashtag": TypeRule(Charging.QUANTITY, needs_quantity=True, texts=("hashtag",)),
    "Mentions User Followers": TypeRule(
        Charging.QUANTITY, needs_quantity=True, texts=("username",)
    ),
    "Mentions Media Likers": TypeRule(Charging.QUANTITY, needs_quantity=True, texts=("media",)),
    "Comment Likes": TypeRule(Charging.QUANTITY, needs_quantity=True, texts=("username",)),
    "Comment Replies": TypeRule(Charging.COMMENT_LINES, texts=("username",), lists=("comments",)),
    "Poll": TypeRule(Charging.QUANTITY, needs_quantity=True, texts=("answer_number",)),
    "Invites from Groups": TypeRule(Charging.QUANTITY, needs_quantity=True, lists=("groups",)),
    "Subscriptions": TypeRule(Charging.PER_POST, needs_link=False, texts=("username",)),
    "Web Traffic": TypeRule(
        Charging.QUANTITY,
        needs_quantity=True,
        texts=("country",),
        drip_feed=True,
    ),
}

# usernames and hashtags are also split on commas: the widely copied PHP client sends them so.
COMMA_LISTS = frozenset({"usernames", "hashtags"})
LINE_BREAK = re.compile(r"\r\n|\n")
LINE_OR_COMMA = re.compile(r"\r\n|\n|,")


@dataclass(frozen=True)
class Limits:
    minimum: int
    maximum: int


@dataclass(frozen=True)
class OrderRequest:
    """A validated `add`: what to deliver and how many units the charge covers."""

    link: str
    quantity: int  # per run, as the client sent it (or counted from its list)
    runs: int | None
    interval: int | None
    charged_quantity: int  # quantity × runs; 1 for flat packages; 0 for subscriptions
    charging: Charging
    details: dict[str, Any] = field(default_factory=dict)


def whole_number(value: object) -> int | None:
    """A whole number from a form string or a JSON number; None when it is not one."""
    if isinstance(value, bool):
        return None
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 19:
            number = int(text)
    return number if number is not None and abs(number) <= MAX_WHOLE else None


def text_of(value: object) -> str:
    """Stripped text; "" for what is not text a database can store (a lone surrogate)."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return ""
        return value.replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(value)
    return ""


def split_list(name: str, value: object) -> list[str]:
    if isinstance(value, list):
        items = [text_of(item) for item in value]
    else:
        pattern = LINE_OR_COMMA if name in COMMA_LISTS else LINE_BREAK
        items = [item.strip() for item in pattern.split(text_of(value))]
    return [item for item in items if item]


def check_limits(quantity: int, limits: Limits) -> None:
    if quantity < limits.minimum:
        raise QuantityBelowMinimum(limits.minimum)
    if quantity > limits.maximum:
        raise QuantityAboveMaximum(limits.maximum)


def present(fields: Mapping[str, object], name: str) -> bool:
    return text_of(fields.get(name)) != "" or isinstance(fields.get(name), list)


def read_quantity(fields: Mapping[str, object], limits: Limits) -> int:
    quantity = whole_number(fields.get("quantity"))
    if quantity is None or quantity <= 0:
        raise InvalidQuantity("quantity must be a positive whole number")
    check_limits(quantity, limits)
    return quantity


def read_drip_feed(
    fields: Mapping[str, object], rule: TypeRule, service_drip_feed: bool
) -> tuple[int | None, int | None]:
    # Clients that always send the drip-feed fields send them empty or as 0 when unused.
    unused = ("", "0", 0, None)
    if fields.get("runs", "") in unused and fields.get("interval", "") in unused:
        return None, None
    if not (rule.drip_feed and service_drip_feed):
        raise IncorrectRequest("drip-feed is not available for this service")
    runs, interval = whole_number(fields.get("runs")), whole_number(fields.get("interval"))
    if runs is None or interval is None or runs < 1 or interval < 1:
        raise IncorrectRequest("runs and interval must both be positive whole numbers")
    if runs > MAX_RUNS or interval > MAX_INTERVAL_MINUTES:
        raise IncorrectRequest(
            f"at most {MAX_RUNS} runs, at most {MAX_INTERVAL_MINUTES} minutes apart"
        )
    return runs, interval


def read_web_traffic(fields: Mapping[str, object], details: dict[str, Any]) -> None:
    device = whole_number(fields.get("device"))
    if device is None or not 1 <= device <= 5:
        raise IncorrectRequest("device must be 1 to 5")
    traffic = whole_number(fields.get("type_of_traffic"))
    if traffic is None or not 1 <= traffic <= 3:
        raise IncorrectRequest("type_of_traffic must be 1 to 3")
    details["device"], details["type_of_traffic"] = device, traffic
    needed = {1: "google_keyword", 2: "referring_url"}.get(traffic)
    for name in ("google_keyword", "referring_url"):
        value = text_of(fields.get(name))
        if name == needed and not value:
            raise IncorrectRequest(f"{name} is required for type_of_traffic {traffic}")
        if value:
            details[name] = value


def read_subscription(
    fields: Mapping[str, object],
    limits: Limits,
    details: dict[str, Any],
    today: date | None = None,
) -> None:
    numbers: dict[str, int] = {}
    for name in ("min", "max", "delay"):
        number = whole_number(fields.get(name))
        if number is None:
            raise IncorrectRequest(f"{name} is required and must be a whole number")
        numbers[name] = number
    if numbers["min"] <= 0 or numbers["max"] < numbers["min"]:
        raise InvalidQuantity("min must be positive and not above max")
    check_limits(numbers["min"], limits)
    check_limits(numbers["max"], limits)
    if numbers["delay"] > MAX_DELAY_MINUTES:
        raise IncorrectRequest(f"delay must be at most {MAX_DELAY_MINUTES} minutes")
    details.update(numbers)
    for name in ("posts", "old_posts"):
        if present(fields, name):
            number = whole_number(fields.get(name))
            if number is None or not 0 <= number <= MAX_POSTS:
                raise IncorrectRequest(f"{name} must be a whole number from 0 to {MAX_POSTS}")
            details[name] = number
    if present(fields, "expiry"):
        expiry = read_expiry(text_of(fields.get("expiry")))
        if expiry < (today or datetime.now(UTC).date()):
            raise IncorrectRequest("expiry is in the past")
        details["expiry"] = expiry.isoformat()


def read_expiry(text: str) -> date:
    try:
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError as error:
        raise IncorrectRequest("expiry must be a date as d/m/Y") from error


def read_order(
    service_type: str,
    limits: Limits,
    service_drip_feed: bool,
    fields: Mapping[str, object],
) -> OrderRequest:
    """Validate an `add` against its service's type and limits; raise the protocol's error."""
    rule = SERVICE_TYPES.get(service_type)
    if rule is None:
        raise IncorrectRequest(f"service type {service_type!r} is not supported")
    link = text_of(fields.get("link"))
    if rule.needs_link and not link:
        raise InvalidLink("link is required")
    if len(link) > MAX_LINK or CONTROL_CHARACTER.search(link):
        raise InvalidLink("link is too long or holds control characters")
    details: dict[str, Any] = {}
    for name in rule.texts:
        value = text_of(fields.get(name))
        if not value:
            raise IncorrectRequest(f"{name} is required")
        details[name] = value[:MAX_TEXT]
    for name in rule.lists:
        items = split_list(name, fields.get(name))
        if not items:
            raise IncorrectRequest(f"{name} is required")
        details[name] = items

    if rule.charging is Charging.QUANTITY:
        quantity = read_quantity(fields, limits)
    elif rule.charging is Charging.COMMENT_LINES:
        quantity = len(details["comments"])
        check_limits(quantity, limits)
    elif rule.charging is Charging.USERNAMES:
        quantity = len(details["usernames"])
        check_limits(quantity, limits)
    elif rule.charging is Charging.FLAT:
        quantity = 1
    else:
        quantity = 0
        read_subscription(fields, limits, details)

    if service_type == "Web Traffic":
        read_web_traffic(fields, details)
    runs, interval = read_drip_feed(fields, rule, service_drip_feed)
    charged = quantity * (runs or 1)
    return OrderRequest(
        link=link,
        quantity=quantity,
        runs=runs,
        interval=interval,
        charged_quantity=charged,
        charging=rule.charging,
        details=details,
    )
