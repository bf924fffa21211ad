"""A plain-Python reference model of the rules in ../shared/protocol.md and the README's
fulfilment section: accounts, the catalogue, orders and refills, and every answer they give.

Written from the documents, not from orderledger's code: it imports nothing of orderledger,
so a rule the ledger gets wrong cannot be copied into the expectation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

FIVE_PLACES = Decimal("0.00001")
CANCEL_RECEIVED = "Your cancellation request has been received."
REFILL_RECEIVED = "Your refill request has been received, please wait."
ACTIVE_LINK = "You have active order with this link. Please wait until order being completed."
INCORRECT_REQUEST = "Incorrect request"
UNFINISHED = frozenset({"Pending", "Processing", "In progress"})
REFILLABLE = frozenset({"Completed", "Partial"})
COMMA_LISTS = frozenset({"usernames", "hashtags"})


def money(value: Decimal) -> Decimal:
    return value.quantize(FIVE_PLACES, rounding=ROUND_HALF_UP)


def wire(value: Decimal) -> str:
    return f"{money(value):f}"


class Refusal(Exception):
    """What the ledger must refuse, with the protocol's text (for /api/v2)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class Kind:
    """A service type's fields and how many units it charges (protocol: fields by type)."""

    charging: str  # quantity | flat | lines | usernames | posts
    link: bool = True
    lists: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    drip: bool = False


KINDS: dict[str, Kind] = {
    "Default": Kind("quantity", drip=True),
    "Package": Kind("flat"),
    "SEO": Kind("quantity", lists=("keywords",)),
    "Custom Comments": Kind("lines", lists=("comments",)),
    "Custom Comments Package": Kind("flat", lists=("comments",)),
    "Mentions": Kind("quantity", lists=("usernames",)),
    "Mentions with Hashtags": Kind("quantity", lists=("usernames", "hashtags")),
    "Mentions Custom List": Kind("usernames", lists=("usernames",)),
    "Mentions Hashtag": Kind("quantity", texts=("hashtag",)),
    "Mentions User Followers": Kind("quantity", texts=("username",)),
    "Mentions Media Likers": Kind("quantity", texts=("media",)),
    "Comment Likes": Kind("quantity", texts=("username",)),
    "Comment Replies": Kind("lines", texts=("username",), lists=("comments",)),
    "Poll": Kind("quantity", texts=("answer_number",)),
    "Invites from Groups": Kind("quantity", lists=("groups",)),
    "Subscriptions": Kind("posts", link=False, texts=("username",)),
    "Web Traffic": Kind("quantity", texts=("country",), drip=True),
}


@dataclass
class Service:
    number: int
    type: str
    rate: Decimal
    min: int
    max: int
    dripfeed: bool = False
    refill: bool = False
    cancel: bool = False
    refill_days: int = 30
    enabled: bool = True

    def entry(self) -> dict[str, Any]:
        """The service as a catalogue file holds it (the shape of the `services` answer)."""
        return {
            "service": self.number,
            "name": f"Service {self.number}",
            "type": self.type,
            "category": "Tests",
            "rate": str(self.rate),
            "min": str(self.min),
            "max": str(self.max),
            "dripfeed": self.dripfeed,
            "refill": self.refill,
            "cancel": self.cancel,
            "description": "-",
            "refill_days": self.refill_days,
        }

    def listed(self) -> dict[str, Any]:
        """Its item in the `services` answer (rate compared as a number)."""
        item = self.entry()
        del item["refill_days"]
        item["rate"] = self.rate
        return item


@dataclass
class Account:
    name: str
    postpaid: bool
    credit: Decimal = Decimal(0)
    deposits: Decimal = Decimal(0)
    charges: Decimal = Decimal(0)
    refunds: Decimal = Decimal(0)
    currency: str = "USD"

    @property
    def balance(self) -> Decimal:
        return self.credit + self.deposits - self.charges + self.refunds

    def can_pay(self, amount: Decimal) -> bool:
        return self.postpaid or amount <= self.balance

    def shown(self) -> dict[str, str]:
        """The `balance` answer: a postpaid account shows its fixed figure."""
        return {
            "balance": wire(self.credit if self.postpaid else self.balance),
            "currency": self.currency,
        }


@dataclass(frozen=True)
class Placement:
    """An `add` the model accepts, before the ledger numbers it."""

    account: str
    service: Service
    link: str
    quantity: int
    runs: int | None
    interval: int | None
    charged_quantity: int
    charge: Decimal
    details: dict[str, int]


@dataclass
class Order:
    number: int
    account: str
    service: int
    type: str
    link: str
    quantity: int
    runs: int | None
    interval: int | None
    charged_quantity: int
    charge: Decimal
    rate: Decimal  # fixed at placement; subscription posts are charged at it
    details: dict[str, int]
    refunded: Decimal = Decimal(0)
    status: str = "Pending"
    start_count: int = 0
    delivered: int = 0
    cancel_requested: bool = False
    claimed_by: str | None = None
    run: int = 0
    run_handed_at: datetime | None = None
    posts: dict[str, int] = field(default_factory=dict)
    open_refill: int | None = None

    @property
    def finished(self) -> bool:
        return self.status not in UNFINISHED

    @property
    def remains(self) -> int:
        return max(self.charged_quantity - self.delivered, 0)

    @property
    def net_charge(self) -> Decimal:
        return self.charge - self.refunded

    @property
    def deliverable(self) -> int:
        if self.runs is None:
            return self.charged_quantity
        return min(self.run * self.quantity, self.charged_quantity)

    @property
    def posts_left(self) -> int | None:
        if "posts" not in self.details:
            return None
        limit = self.details["posts"] + self.details.get("old_posts", 0)
        return None if limit == 0 else max(limit - len(self.posts), 0)

    def status_answer(self, currency: str) -> dict[str, str]:
        return {
            "charge": wire(self.net_charge),
            "start_count": str(self.start_count),
            "status": self.status,
            "remains": str(self.remains),
            "currency": currency,
        }


@dataclass
class Refill:
    number: int
    order: int
    account: str
    status: str = "Pending"
    claimed_by: str | None = None  # kept after it finishes, until the lease runs out


def split(name: str, value: str) -> list[str]:
    text = value.replace("\r\n", "\n")
    if name in COMMA_LISTS:
        text = text.replace(",", "\n")
    return [item.strip() for item in text.split("\n") if item.strip()]


def within(quantity: int, service: Service) -> None:
    if quantity < service.min:
        raise Refusal(f"Quantity less than minimal {service.min}")
    if quantity > service.max:
        raise Refusal(f"Quantity more than maximal {service.max}")


def positive(fields: Mapping[str, str], name: str) -> int | None:
    text = fields.get(name, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def check_subscription(fields: Mapping[str, str], service: Service) -> dict[str, int]:
    numbers = {name: fields.get(name, "").strip() for name in ("min", "max", "delay")}
    if not all(value.isdigit() for value in numbers.values()):
        raise Refusal(INCORRECT_REQUEST)
    low, high = int(numbers["min"]), int(numbers["max"])
    if low <= 0 or high < low:
        raise Refusal("Incorrect quantity")
    within(low, service)
    within(high, service)
    details = {"min": low, "max": high, "delay": int(numbers["delay"])}
    details.update({name: int(fields[name]) for name in ("posts", "old_posts") if name in fields})
    return details


def check_web_traffic(fields: Mapping[str, str]) -> None:
    device, traffic = fields.get("device", ""), fields.get("type_of_traffic", "")
    if device not in {"1", "2", "3", "4", "5"} or traffic not in {"1", "2", "3"}:
        raise Refusal(INCORRECT_REQUEST)
    needed = {"1": "google_keyword", "2": "referring_url"}.get(traffic)
    if needed is not None and not fields.get(needed, "").strip():
        raise Refusal(INCORRECT_REQUEST)


def check_drip_feed(fields: Mapping[str, str], kind: Kind, service: Service) -> int | None:
    """The number of runs of a drip-feed, None for a plain order."""
    if "runs" not in fields and "interval" not in fields:
        return None
    if not (kind.drip and service.dripfeed):
        raise Refusal(INCORRECT_REQUEST)
    runs, interval = positive(fields, "runs"), positive(fields, "interval")
    if runs is None or interval is None:
        raise Refusal(INCORRECT_REQUEST)
    return runs


def units(
    fields: Mapping[str, str], kind: Kind, service: Service, lists: dict[str, list[str]]
) -> int:
    """The quantity an order asks for, checked against the service's limits."""
    if kind.charging == "quantity":
        quantity = positive(fields, "quantity")
        if quantity is None:
            raise Refusal("Incorrect quantity")
    elif kind.charging == "lines":
        quantity = len(lists["comments"])
    elif kind.charging == "usernames":
        quantity = len(lists["usernames"])
    else:
        return 1 if kind.charging == "flat" else 0
    within(quantity, service)
    return quantity


def charge_of(service: Service, kind: Kind, charged: int) -> Decimal:
    if kind.charging == "posts":
        return Decimal(0)
    if kind.charging == "flat":
        return money(service.rate)
    return money(service.rate * charged / 1000)


STAFF = "staff"  # the command line: not tied to a claim


@dataclass
class Ledger:
    """The whole reference: what the ledger must hold and answer after each command."""

    services: dict[int, Service]
    accounts: dict[str, Account]
    orders: dict[int, Order] = field(default_factory=dict)
    refills: dict[int, Refill] = field(default_factory=dict)
    links: dict[tuple[str, int, str], int] = field(default_factory=dict)  # active orders

    # ---- the network ---------------------------------------------------------------------

    def check_add(self, account: str, number: int, fields: Mapping[str, str]) -> Placement:
        """The order an `add` places, or the Refusal the protocol names, in its order."""
        service = self.services.get(number)
        if service is None or not service.enabled:
            raise Refusal("Incorrect service ID")
        kind = KINDS[service.type]
        link = fields.get("link", "").strip()
        if kind.link and not link:
            raise Refusal("Incorrect link")
        if any(not fields.get(name, "").strip() for name in kind.texts):
            raise Refusal(INCORRECT_REQUEST)
        lists = {name: split(name, fields.get(name, "")) for name in kind.lists}
        if not all(lists.values()):
            raise Refusal(INCORRECT_REQUEST)
        quantity = units(fields, kind, service, lists)
        details = check_subscription(fields, service) if kind.charging == "posts" else {}
        if service.type == "Web Traffic":
            check_web_traffic(fields)
        runs = check_drip_feed(fields, kind, service)
        charged = quantity * (runs or 1)
        charge = charge_of(service, kind, charged)
        if link and (account, number, link) in self.links:
            raise Refusal(ACTIVE_LINK)
        if not self.accounts[account].can_pay(charge):
            raise Refusal("Not enough funds on balance")
        interval = positive(fields, "interval") if runs else None
        return Placement(account, service, link, quantity, runs, interval, charged, charge, details)

    def record_order(self, number: int, placed: Placement) -> Order:
        order = Order(
            number=number,
            account=placed.account,
            service=placed.service.number,
            type=placed.service.type,
            link=placed.link,
            quantity=placed.quantity,
            runs=placed.runs,
            interval=placed.interval,
            charged_quantity=placed.charged_quantity,
            charge=placed.charge,
            rate=placed.service.rate,
            details=placed.details,
        )
        self.orders[number] = order
        self.accounts[placed.account].charges += placed.charge
        if placed.link:
            self.links[(placed.account, order.service, placed.link)] = number
        return order

    def mine(self, account: str, number: int) -> Order:
        order = self.orders.get(number)
        if order is None or order.account != account:
            raise Refusal("Incorrect order ID")
        return order

    def request_cancel(self, account: str, number: int) -> None:
        order = self.mine(account, number)
        if not self.services[order.service].cancel or order.finished:
            raise Refusal("Order cannot be canceled")
        order.cancel_requested = True

    def check_refill(self, account: str, number: int) -> Order:
        order = self.mine(account, number)
        service = self.services[order.service]
        # The window is counted from the finish, a moment ago: only 0 days closes it.
        in_window = service.refill_days > 0
        if not (service.refill and order.status in REFILLABLE and in_window) or (
            order.open_refill is not None
        ):
            raise Refusal("Order cannot be refilled")
        return order

    def record_refill(self, number: int, order: Order) -> None:
        self.refills[number] = Refill(number, order.number, order.account)
        order.open_refill = number

    def refill_status(self, account: str, number: int) -> str:
        refill = self.refills.get(number)
        if refill is None or refill.account != account:
            raise Refusal("Refill not found")
        return refill.status

    # ---- operators -----------------------------------------------------------------------

    def deposit(self, account: str, amount: Decimal) -> None:
        self.accounts[account].deposits += money(amount)

    # ---- fulfilment: each returns "done" or "repeat" (recorded nothing), or refuses ------

    def unfinished(self, number: int) -> Order:
        order = self.orders[number]
        if order.finished:
            raise Refusal("finished")
        return order

    @staticmethod
    def bound(order: Order, actor: str) -> None:
        """A bot may report only on an order it holds, or one nobody holds (a repeat of a
        recorded report included); staff on any."""
        if actor != STAFF and order.claimed_by not in (None, actor):
            raise Refusal("claimed by another bot")

    def finish(self, order: Order, status: str, refund: Decimal) -> str:
        order.status = status
        order.refunded += refund
        order.claimed_by = None
        self.accounts[order.account].refunds += refund
        key = (order.account, order.service, order.link)
        if self.links.get(key) == order.number:
            del self.links[key]
        return "done"

    def claim(self, number: int, operator: str, now: datetime) -> str:
        order = self.unfinished(number)
        if order.claimed_by is not None:
            raise Refusal("claimed")
        if order.runs is not None and order.delivered >= order.run * order.quantity:
            if order.run < order.runs:
                if order.run > 0 and order.run_handed_at is not None and order.interval:
                    if now < order.run_handed_at + timedelta(minutes=order.interval):
                        raise Refusal("next run not due")
                order.run += 1
                order.run_handed_at = now
        if order.status == "Pending":
            order.status = "Processing"
        order.claimed_by = operator
        return "done"

    def start(self, number: int, actor: str, start_count: int) -> str:
        order = self.orders[number]
        self.bound(order, actor)
        if order.status == "In progress":
            if order.start_count == start_count:
                return "repeat"
            raise Refusal("already started")
        self.unfinished(number)
        order.status, order.start_count = "In progress", start_count
        return "done"

    def deliver(self, number: int, actor: str, delivered: int) -> str:
        order = self.orders[number]
        self.bound(order, actor)
        if order.delivered == delivered and (order.status == "In progress" or order.finished):
            return "repeat"
        self.unfinished(number)
        if not order.delivered <= delivered <= min(order.charged_quantity, order.deliverable):
            raise Refusal("delivered out of range")
        order.status, order.delivered = "In progress", delivered
        if order.runs is not None and 0 < order.run < order.runs:
            if delivered >= order.run * order.quantity:  # the run is done: its claim ends
                order.claimed_by = None
        return "done"

    def complete(self, number: int, actor: str) -> str:
        order = self.orders[number]
        self.bound(order, actor)
        if order.status == "Completed":
            return "repeat"
        self.unfinished(number)
        order.delivered = order.charged_quantity
        return self.finish(order, "Completed", Decimal(0))

    def partial(self, number: int, actor: str, remains: int) -> str:
        order = self.orders[number]
        self.bound(order, actor)
        if order.status == "Partial" and order.remains == remains:
            return "repeat"
        self.unfinished(number)
        if not 0 < remains <= order.remains:
            raise Refusal("remains out of range")
        refund = money(order.charge * remains / order.charged_quantity)
        order.delivered = order.charged_quantity - remains
        return self.finish(order, "Partial", refund)

    def cancel(self, number: int, actor: str) -> str:
        order = self.orders[number]
        self.bound(order, actor)
        if order.status == "Canceled":
            return "repeat"
        self.unfinished(number)
        if order.delivered:
            raise Refusal("delivered: stop it as partial")
        return self.finish(order, "Canceled", order.net_charge)

    def fail(self, number: int, actor: str, reason: str) -> str:
        order = self.orders[number]
        self.bound(order, actor)
        if order.status == "Failed":
            return "repeat"
        self.unfinished(number)
        return self.finish(order, "Failed", order.net_charge)

    def refund(self, number: int, actor: str) -> str:
        order = self.orders[number]
        self.bound(order, actor)
        if order.status == "Refunded":
            return "repeat"
        if order.status not in REFILLABLE:
            raise Refusal("only a completed or partial order is refunded")
        return self.finish(order, "Refunded", order.net_charge)

    def post(self, number: int, actor: str, post: str, quantity: int) -> str:
        order = self.orders[number]
        if order.type != "Subscriptions":
            raise Refusal("not a subscription")
        self.bound(order, actor)
        if post in order.posts:
            if order.posts[post] == quantity:
                return "repeat"
            raise Refusal("post already reported")
        self.unfinished(number)
        if not order.details["min"] <= quantity <= order.details["max"]:
            raise Refusal("quantity per post out of range")
        charge = money(order.rate * quantity / 1000)
        account = self.accounts[order.account]
        if not account.can_pay(charge):
            raise Refusal("Not enough funds")
        order.status = "In progress"
        order.posts[post] = quantity
        order.delivered += quantity
        order.charged_quantity += quantity
        order.charge += charge
        account.charges += charge
        if order.posts_left == 0:
            self.finish(order, "Completed", Decimal(0))
        return "done"

    def claim_refill(self, number: int, operator: str) -> None:
        refill = self.refills[number]
        if refill.status not in ("Pending", "In progress"):
            raise Refusal("refill finished")
        if refill.claimed_by not in (None, operator):
            raise Refusal("claimed by another bot")
        refill.claimed_by = operator

    def move_refill(self, number: int, actor: str, target: str) -> str:
        refill = self.refills[number]
        if actor != STAFF and refill.claimed_by not in (None, actor):
            raise Refusal("claimed by another bot")
        if refill.status == target:
            return "repeat"
        if refill.status not in ("Pending", "In progress") or (
            target == "In progress" and refill.status != "Pending"
        ):
            raise Refusal("refill already finished or started")
        refill.status = target
        if target != "In progress":
            order = self.orders[refill.order]
            if order.open_refill == number:
                order.open_refill = None
        return "done"
